"""A local shard worker: runs one shard under the Cloud Run task contract (no merge, no markers).

Usage (started by the job with WORKERS > 1):
    SCENE_ID=... SCENE_DIR=... CLOUD_RUN_TASK_INDEX=i CLOUD_RUN_TASK_COUNT=n \
        python -m episode_generation_job.worker
"""

from __future__ import annotations

import os
import sys

from episode_generation_job.backends.isaacsim_app import run_in_kit, wants_isaac_sim
from episode_generation_job.settings import EpisodeSettings
from tools.config import load_settings
from tools.errors import ConfigError
from tools.job_runner import exit_code_for
from tools.storage import LocalStorage
from tools.structured_logging import configure_logging


def main() -> int:
    """Run this process's shard; the exit code follows the job runner's convention."""
    try:
        settings = load_settings(EpisodeSettings)
    except ConfigError as exc:
        print(f"episode worker: {exc}", file=sys.stderr)
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
        return exit_code_for(exc)
    return 0


if __name__ == "__main__":
    if wants_isaac_sim(os.environ):  # Kit before the engine imports, closed after the shard
        run_in_kit(main)
    sys.exit(main())
