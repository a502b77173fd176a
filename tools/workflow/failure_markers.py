"""SPEC-004's `write_failure_marker(bucket=, scene_id=, job_name=, ...)` on `tools.markers`.

Jobs run through `tools.job_runner` get their marker from the runner; this entry point is for
code outside it that follows the spec's template (catch, write the marker, re-raise).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from tools import markers
from tools.config import JobSettings, load_settings
from tools.steps import ENTRY_POINT_GROUP
from tools.storage import open_storage
from tools.structured_logging import get_logger

log = get_logger(__name__)


def write_failure_marker(
    *,
    bucket: str | None,
    scene_id: str | None,
    job_name: str,
    error: BaseException,
    input_params: Mapping[str, Any] | None = None,
    partial_results: Mapping[str, Any] | None = None,
) -> str | None:
    """Write the create-only failure marker of this attempt under the scene's `.markers/`.

    The scene is `gs://<bucket>/scenes/<scene_id>`, or the local `SCENE_DIR` when no bucket is
    given (as for the jobs' own settings). The marker is `tools.markers.write_failure_marker`'s:
    error type and message, stack trace, redacted `input_params`, `partial_results`, attempt.

    Args:
        bucket: the scene bucket (None or empty: use `SCENE_DIR`).
        scene_id: the scene id.
        job_name: the Cloud Run job name (`simready-job`) or the step name (`simready`); the
            marker is named after the step, where the runner and later attempts look.
        error: the exception that failed the job.
        input_params: the job's parameters (secrets are redacted).
        partial_results: what succeeded before the failure.

    Returns:
        The marker's scene-relative key, or None when it could not be written: that is logged
        and never replaces the caller's error (the caller re-raises it).
    """
    env = {"SCENE_ID": scene_id or ""}
    if bucket:
        env["BUCKET"] = bucket
    elif os.environ.get("SCENE_DIR"):
        env["SCENE_DIR"] = os.environ["SCENE_DIR"]
    try:
        scene = load_settings(JobSettings, env)
        return markers.write_failure_marker(
            open_storage(scene.scene_uri),
            step_name(job_name),
            scene.SCENE_ID,
            error,
            parameters=dict(input_params or {}),
            partial_results=dict(partial_results or {}),
        )
    except Exception as marker_exc:
        log.error("%s: could not write its failure marker: %s", job_name, marker_exc)
        return None


def step_name(job_name: str) -> str:
    """The registered step a Cloud Run job name (or step name) stands for; else `job_name`.

    Read from the step entry points' names and packages (`simready = "simready_job.step:STEP"`
    for job `simready-job`), without importing any job: a failing job must not fail again here.
    """
    package = job_name.replace("-", "_")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if job_name == entry.name or package == entry.module.split(".")[0]:
            return entry.name
    return job_name
