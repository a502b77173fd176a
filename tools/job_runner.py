"""The shared job runner: the only place errors become markers, log lines and exit codes."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from tools.config import JobSettings, load_settings
from tools.errors import EXIT_FAILURE, EXIT_OK, ConfigError, PipelineError
from tools.input_state import changed_since, missing_outputs, state_record
from tools.markers import (
    clear_complete_marker,
    cloud_run_attempt,
    execution_id,
    permanent_failure,
    read_complete_marker,
    task_index,
    write_complete_marker,
    write_failure_marker,
)
from tools.pipeline_graph import DEPENDENCIES_KEY, dependency_stamps, ready_dependencies
from tools.provenance import provenance_record, tool_versions
from tools.report import write_report_quietly
from tools.steps import (
    TASK_PART_ONLY,
    StepContext,
    StepResult,
    StepSpec,
    fingerprint_inputs,
    output_settings,
)
from tools.storage import LocalStorage, Storage, open_storage
from tools.structured_logging import configure_logging, get_logger, log_fields
from tools.tracing import configure_tracing, span

log = get_logger("job_runner")


class JobTerminatedError(PipelineError):
    """The task received SIGTERM (Cloud Run cancel or timeout); another attempt may finish."""

    retryable = True


class PermanentFailureSeenError(PipelineError):
    """An earlier attempt of this execution failed permanently; retrying cannot help."""


@dataclass(frozen=True)
class StepOutcome:
    """What happened to one step run."""

    step: str
    status: str  # "completed" | "skipped" | "task part done" (another task completes the step)
    duration_s: float
    result: StepResult


def _stage_inputs(storage: Storage, spec: StepSpec, workdir: Path) -> None:
    for entry in spec.inputs:
        if entry.endswith("/"):
            storage.download_prefix(entry, workdir)
        elif storage.exists(entry):
            storage.download_file(entry, workdir / entry)


def _upload_outputs(storage: Storage, spec: StepSpec, workdir: Path) -> None:
    for entry in spec.outputs:
        local = workdir / entry
        if local.is_dir():
            storage.upload_tree(local, entry.rstrip("/"))
        elif local.is_file():
            storage.upload_file(local, entry)


def execute_step(spec: StepSpec, settings: JobSettings, *, force: bool = False) -> StepOutcome:
    """Run one step with markers, staging, skipping and tracing around its job function.

    A step whose inputs and settings are unchanged since its completion marker, and whose
    recorded outputs all exist, is skipped unless `force`. On a bucket a step refuses to run
    while a dependency's completion marker is missing or stale. A task of a multi-task step
    that did only its part (`TASK_PART_ONLY`) writes no completion marker. On failure a
    create-only failure marker is written and the error re-raised.

    Raises:
        DependencyNotReady: a dependency has not completed (bucket only).
        PermanentFailureSeenError: an earlier attempt of this execution failed permanently.
        PipelineError: (or any exception) from the job function, after the marker is written.
    """
    storage = open_storage(settings.scene_uri)
    local = isinstance(storage, LocalStorage)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"bp-{spec.name}-") as tmp:
        scene_dir = storage.root if isinstance(storage, LocalStorage) else Path(tmp)
        ctx = StepContext(scene_dir=scene_dir, settings=settings, storage=storage, logger=log)
        try:
            earlier = permanent_failure(storage, spec.name)
            if earlier is not None:
                raise PermanentFailureSeenError(
                    f"attempt {earlier.get('attempt')} of this execution failed permanently: "
                    f"{earlier.get('error_message')}"
                )
            log.info("step %s started", spec.name, extra=log_fields(step=spec.name, **_task()))
            # On a bucket every step is its own job: refuse to run on missing or stale
            # dependencies. A local folder is a developer's: the runner runs dependencies
            # first, and a job run by hand on a hand-made folder is allowed.
            deps: dict[str, dict[str, Any] | None] = (
                _dependency_markers(storage, spec)
                if local
                else dict(ready_dependencies(storage, spec))
            )
            if not local:
                _stage_inputs(storage, spec, scene_dir)
            inputs_sha = fingerprint_inputs(scene_dir, spec, settings, deps)
            marker = read_complete_marker(storage, spec.name)
            reason = (
                "forced" if force else _rerun_reason(storage, scene_dir, spec, marker, inputs_sha)
            )
            if marker is not None and reason is None:
                log.info("step %s: inputs unchanged, skipped", spec.name)
                return StepOutcome(spec.name, "skipped", 0.0, dict(marker.get("result", {})))
            if marker is not None:
                log.info("step %s: %s, running it", spec.name, reason)
            clear_complete_marker(storage, spec.name)
            with span(f"step.{spec.name}", scene_id=settings.SCENE_ID, step=spec.name):
                result = spec.run(ctx)
            _raise_if_terminated()
            if not local:
                _upload_outputs(storage, spec, scene_dir)
            duration = time.monotonic() - started
            if result.get(TASK_PART_ONLY):
                log.info(
                    "step %s: this task's part is done; another task completes the step",
                    spec.name,
                    extra=log_fields(step=spec.name, duration_s=round(duration, 3), status="part"),
                )
                return StepOutcome(spec.name, "task part done", duration, result)
            provenance = _provenance(scene_dir, settings, result)
            write_complete_marker(
                storage,
                spec.name,
                {
                    "scene_id": settings.SCENE_ID,
                    "job": spec.job,
                    "inputs_sha256": inputs_sha,
                    DEPENDENCIES_KEY: dependency_stamps(deps),
                    "duration_s": round(duration, 3),
                    "result": {k: v for k, v in result.items() if k != "provenance"},
                    "parameters": settings.public_parameters(),
                    "tool_versions": tool_versions(),
                    "provenance": provenance,
                    **state_record(scene_dir, spec.inputs + spec.outputs),
                },
            )
            log.info(
                "step %s completed",
                spec.name,
                extra=log_fields(step=spec.name, duration_s=round(duration, 3), status="ok"),
            )
            return StepOutcome(spec.name, "completed", duration, result)
        except BaseException as exc:
            _report_failure(storage, spec, settings, exc, time.monotonic() - started)
            raise


def _dependency_markers(storage: Storage, spec: StepSpec) -> dict[str, dict[str, Any] | None]:
    return {name: read_complete_marker(storage, name) for name in spec.depends_on}


def _task() -> dict[str, Any]:
    """Which Cloud Run execution, task and attempt this is (log fields; none locally)."""
    attempt = cloud_run_attempt()
    if attempt is None:
        return {}
    return {"execution": execution_id(), "task_index": task_index(), "attempt": attempt}


def _rerun_reason(
    storage: Storage,
    scene_dir: Path,
    spec: StepSpec,
    marker: dict[str, Any] | None,
    inputs_sha: str,
) -> str | None:
    """Why the step must run although it completed before, or None to skip it."""
    if marker is None:
        return "no completion marker"
    if marker.get("inputs_sha256") != inputs_sha:
        return "inputs, settings or dependencies changed"
    # Outputs are hashed only where they are at hand (GCS stages inputs alone); that every
    # recorded output still exists is checked on the storage itself, wherever it is.
    checked = spec.inputs + (spec.outputs if isinstance(storage, LocalStorage) else ())
    changed = changed_since(storage, scene_dir, marker, checked)
    missing = missing_outputs(storage, spec.outputs)
    if not changed and not missing:
        return None
    kind, paths = ("output(s) missing", missing) if missing else ("file(s) changed", changed)
    listed = ", ".join(paths[:3]) + (", …" if len(paths) > 3 else "")
    return f"{len(paths)} {kind} since the last run ({listed})"


def _report_failure(
    storage: Storage, spec: StepSpec, settings: JobSettings, exc: BaseException, seconds: float
) -> None:
    """One error line naming the failure marker. A stop on an earlier permanent failure
    writes no new marker; a marker that cannot be written is logged, never raised over the
    original error (whose exit code stands)."""
    key: str | None = None
    if not isinstance(exc, PermanentFailureSeenError):
        partial = getattr(exc, "partial_results", None)
        try:
            key = write_failure_marker(
                storage,
                spec.name,
                settings.SCENE_ID,
                exc,
                parameters=settings.public_parameters(),
                partial_results=partial if isinstance(partial, dict) else None,
            )
        except Exception as marker_exc:
            log.error(
                "step %s: could not write its failure marker: %s",
                spec.name,
                marker_exc,
                extra=log_fields(step=spec.name),
            )
    log.error(
        "step %s %s: %s",
        spec.name,
        "stopped" if isinstance(exc, PermanentFailureSeenError) else "failed",
        exc,
        exc_info=_wants_traceback(exc),
        extra=log_fields(
            step=spec.name,
            duration_s=round(seconds, 3),
            status="failed",
            **({} if key is None else {"failure_marker": key}),
            **_task(),
        ),
    )


def _wants_traceback(exc: BaseException) -> bool:
    """Bugs and outages get a stack trace; bad input and a termination signal one line."""
    if isinstance(exc, JobTerminatedError | PermanentFailureSeenError):
        return False
    return not isinstance(exc, PipelineError) or exc.retryable


def _provenance(scene_dir: Path, settings: JobSettings, result: StepResult) -> dict[str, Any]:
    """The step's own provenance record when its result carries one (the episodes step names
    its run fingerprint, robot asset and backend), else the generic one."""
    own = result.get("provenance")
    if isinstance(own, dict):
        return own
    return provenance_record(scene_dir, settings=output_settings(settings))


_signals_received: list[int] = []


def raise_terminated(signum: int, _frame: FrameType | None) -> None:
    """Signal handler: the running step fails with a marker and the process exits promptly.

    The signal is also recorded: an exception raised from a handler can be swallowed by the
    C extension that happens to be running (pxr's module initialisation does), and a step
    that was told to stop must not then report success.
    """
    _signals_received.append(signum)
    raise JobTerminatedError(f"received signal {signal.Signals(signum).name}")


def _raise_if_terminated() -> None:
    if _signals_received:
        name = signal.Signals(_signals_received[0]).name
        raise JobTerminatedError(f"received signal {name} (the step went on; not completed)")


def _mark_config_failure(spec: StepSpec, exc: ConfigError, env: dict[str, Any] | None) -> None:
    """Leave a failure marker when the scene's location itself is valid (best effort)."""
    try:
        base = load_settings(JobSettings, env)
    except ConfigError:
        return  # no valid scene location: there is nowhere to put a marker
    try:
        write_failure_marker(open_storage(base.scene_uri), spec.name, base.SCENE_ID, exc)
    except Exception as marker_exc:  # the exit code and the stderr line already say it all
        print(f"{spec.job}: could not write the failure marker: {marker_exc}", file=sys.stderr)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code: 0 ok, 1 failure, 2 bad configuration or input."""
    if isinstance(exc, PipelineError):
        return exc.exit_code
    return EXIT_FAILURE


def run_job_main(spec: StepSpec, env: dict[str, Any] | None = None) -> NoReturn:
    """Cloud Run entrypoint body: validate config, run the step, exit with a meaningful code."""
    try:
        settings = load_settings(spec.settings_cls, env)
    except ConfigError as exc:
        print(f"{spec.job}: {exc}", file=sys.stderr)
        _mark_config_failure(spec, exc, env)
        sys.exit(exc.exit_code)
    configure_logging(
        spec.job,
        settings.SCENE_ID,
        structured=settings.STRUCTURED_LOGGING,
        level=settings.LOG_LEVEL,
    )
    provider = configure_tracing(spec.job)
    signal.signal(signal.SIGTERM, raise_terminated)
    code = EXIT_OK
    try:
        execute_step(spec, settings, force=settings.FORCE)
    except BaseException as exc:  # the runner is the one place errors become exit codes
        code = exit_code_for(exc)
    finally:
        provider.shutdown()
    write_report_quietly(settings.scene_uri)  # the scene's page shows this step's outcome
    sys.exit(code)
