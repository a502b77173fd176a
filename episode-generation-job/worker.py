"""A local shard worker: runs one shard under the Cloud Run task contract (no merge, no markers).

Usage (started by the job with WORKERS > 1):
    SCENE_ID=... SCENE_DIR=... CLOUD_RUN_TASK_INDEX=i CLOUD_RUN_TASK_COUNT=n \
        python -m episode_generation_job.worker
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from episode_generation_job.backends.isaacsim_app import run_in_kit, wants_isaac_sim
from episode_generation_job.settings import EpisodeSettings
from tools.config import load_settings
from tools.errors import ConfigError
from tools.job_runner import exit_code_for
from tools.storage import LocalStorage
from tools.structured_logging import configure_logging

# The file a failing worker writes {"exit_code", "message"} to (set by the parent job).
WORKER_ERROR_ENV = "BLUEPRINT_WORKER_ERROR_FILE"


def main() -> int:
    """Run this process's shard; the exit code follows the job runner's convention."""
    try:
        settings = load_settings(EpisodeSettings)
    except ConfigError as exc:
        print(f"episode worker: {exc}", file=sys.stderr)
        _report_error(exc)
        return exc.exit_code
    configure_logging("episode-generation-job", settings.SCENE_ID, level=settings.LOG_LEVEL)
    # Imported here: the engines (mujoco, pxr) load only after Kit started (Isaac Sim path).
    from episode_generation_job.shard_work import run_one_shard

    assert settings.SCENE_DIR is not None
    try:
        run_one_shard(
            settings.SCENE_DIR,
            LocalStorage(settings.SCENE_DIR),
            settings,
            settings.CLOUD_RUN_TASK_INDEX,
            settings.CLOUD_RUN_TASK_COUNT,
        )
    except Exception as exc:
        print(f"episode worker: {exc}", file=sys.stderr)
        _report_error(exc)
        return exit_code_for(exc)
    return 0


def _report_error(exc: Exception) -> None:
    """Leave the error where the parent looks for it (`WORKER_ERROR_ENV`), so the step fails
    with the worker's own message and exit code rather than a bare list of exit codes."""
    path = os.environ.get(WORKER_ERROR_ENV)
    if path:
        report = {"exit_code": exit_code_for(exc), "message": str(exc)}
        Path(path).write_text(json.dumps(report), encoding="utf-8")


if __name__ == "__main__":
    if wants_isaac_sim(os.environ):  # Kit before the engine imports, closed after the shard
        run_in_kit(main)
    sys.exit(main())
