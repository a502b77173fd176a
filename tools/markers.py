"""Completion and failure markers under `.markers/`: how steps tell each other what happened."""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from collections.abc import Iterator
from typing import Any

from tools.errors import PipelineError, PreconditionFailed
from tools.redaction import redact_parameters, scrub
from tools.scene_layout import MARKERS_DIR, complete_marker_path, failed_marker_path
from tools.storage import Storage

MARKER_SCHEMA_VERSION = 1
_MAX_LOCAL_ATTEMPTS = 10_000
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _now() -> str:
    return dt.datetime.now(tz=dt.UTC).isoformat()


def execution_id() -> str:
    """The Cloud Run execution name, or `local` when running outside Cloud Run."""
    return os.environ.get("CLOUD_RUN_EXECUTION", "local")


def cloud_run_attempt() -> int | None:
    """The Cloud Run task attempt (0-based), or None outside Cloud Run."""
    value = os.environ.get("CLOUD_RUN_TASK_ATTEMPT")
    return int(value) if value is not None and value.isdigit() else None


def write_failure_marker(
    storage: Storage,
    step: str,
    scene_id: str,
    error: BaseException,
    *,
    parameters: dict[str, Any] | None = None,
    partial_results: dict[str, Any] | None = None,
) -> str:
    """Write a create-only failure marker for this attempt and return its key.

    The marker holds the job, scene, attempt, error type and message, the stack trace and the
    redacted parameters; every text is scrubbed of loaded secrets.
    """
    retryable = bool(getattr(error, "retryable", True))
    payload: dict[str, Any] = {
        "schema_version": MARKER_SCHEMA_VERSION,
        "status": "failed",
        "step": step,
        "scene_id": scene_id,
        "execution": execution_id(),
        "task_index": os.environ.get("CLOUD_RUN_TASK_INDEX"),
        "error_type": type(error).__name__,
        "error_message": scrub(str(error)),
        "retryable": retryable if isinstance(error, PipelineError) else True,
        "exit_code": getattr(error, "exit_code", 1),
        "stack_trace": scrub("".join(traceback.format_exception(error))),
        "parameters": redact_parameters(parameters or {}),
        "partial_results": redact_parameters(partial_results or {}),
        "failed_at": _now(),
    }
    attempt = cloud_run_attempt()
    payload["attempt"] = attempt
    for tag in _marker_tags(attempt):
        key = failed_marker_path(step, tag)
        if attempt is None:
            payload["attempt"] = tag
        try:
            storage.write_json(key, payload, create_only=True)
            return key
        except PreconditionFailed:
            continue
    raise PreconditionFailed(failed_marker_path(step, "*"))


def _marker_tags(attempt: int | None) -> Iterator[int | str]:
    """Marker name tags to try in turn, create-only. Locally the attempt count. On Cloud Run
    the execution, task and attempt: a later execution or another task failing at the same
    attempt number gets its own marker (a suffix only if the very same attempt failed twice)."""
    if attempt is None:
        yield from range(_MAX_LOCAL_ATTEMPTS)
        return
    execution = _UNSAFE_NAME.sub("_", execution_id())
    tag = f"{execution}-task{task_index()}-attempt{attempt}"
    yield tag
    for repeat in range(2, _MAX_LOCAL_ATTEMPTS):
        yield f"{tag}-{repeat}"


def task_index() -> int:
    """The Cloud Run task index (0 outside Cloud Run)."""
    value = os.environ.get("CLOUD_RUN_TASK_INDEX", "0")
    return int(value) if value.isdigit() else 0


def failure_markers(storage: Storage, step: str) -> list[dict[str, Any]]:
    """Every failure marker of a step, oldest first."""
    prefix = f"{step}.failed-"
    keys = [k for k in storage.list(MARKERS_DIR) if k.split("/")[-1].startswith(prefix)]
    markers = [storage.read_json(k) for k in keys]
    return sorted(markers, key=lambda m: str(m.get("failed_at", "")))


def permanent_failure(storage: Storage, step: str) -> dict[str, Any] | None:
    """A non-retryable failure marker from this Cloud Run execution, if a prior attempt left one.

    Cloud Run retries any non-zero exit; a later attempt that sees this stops before working.
    Outside Cloud Run every run is a new execution, so this is always None there.
    """
    execution = execution_id()
    if execution == "local":
        return None
    for marker in failure_markers(storage, step):
        if marker.get("execution") == execution and not marker.get("retryable", True):
            return marker
    return None


def write_complete_marker(storage: Storage, step: str, payload: dict[str, Any]) -> str:
    """Write the completion marker (last thing a successful step does)."""
    key = complete_marker_path(step)
    body = {"schema_version": MARKER_SCHEMA_VERSION, "status": "complete", "step": step}
    body.update(payload)
    body["completed_at"] = _now()
    storage.write_json(key, body)
    return key


def read_complete_marker(storage: Storage, step: str) -> dict[str, Any] | None:
    """The step's completion marker, or None."""
    key = complete_marker_path(step)
    if not storage.exists(key):
        return None
    marker = storage.read_json(key)
    return marker if isinstance(marker, dict) else None


def clear_complete_marker(storage: Storage, step: str) -> None:
    """Remove a stale completion marker before a step runs again."""
    storage.delete(complete_marker_path(step))
