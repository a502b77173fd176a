"""Run pipeline steps locally on a scene folder with the very same job functions as Cloud Run.

Usage:
    python -m tools.run_local_pipeline --scene-dir DIR [--steps a,b] [--validate] [--force]

Exit codes: 0 every step succeeded, 1 a step failed, 2 bad arguments, configuration or input.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tools.config import JobSettings, load_settings
from tools.errors import EXIT_FAILURE, EXIT_OK, ConfigError, PipelineError
from tools.job_runner import JobTerminatedError, execute_step, exit_code_for, raise_terminated
from tools.pipeline_graph import dependants, resolve_steps
from tools.provenance import provenance_record, tool_versions
from tools.report import write_report_quietly
from tools.scene_layout import VALIDATION_REPORT_PATH
from tools.steps import StepContext, StepSpec, Validation, registered_steps
from tools.storage import LocalStorage
from tools.structured_logging import configure_logging, get_logger
from tools.tracing import configure_tracing, span

log = get_logger("runner")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-dir", required=True, type=Path, help="the scene folder")
    parser.add_argument("--scene-id", help="scene id (default: the folder's name)")
    parser.add_argument("--steps", help="comma-separated steps (default: all); deps run first")
    parser.add_argument("--validate", action="store_true", help="validate each step's outputs")
    parser.add_argument("--force", action="store_true", help="rerun steps with unchanged inputs")
    return parser.parse_args(argv)


def _settings_for(cls: type[JobSettings], scene_id: str, scene_dir: Path) -> JobSettings:
    # One override path: the environment, as on Cloud Run; location comes from the arguments.
    env = {k: v for k, v in os.environ.items() if k not in ("BUCKET",)}
    env.update({"SCENE_ID": scene_id, "SCENE_DIR": str(scene_dir)})
    return load_settings(cls, env)


def _progress(index: int, total: int, name: str, status: str, seconds: float | None = None) -> None:
    took = f" ({seconds:.1f} s)" if seconds is not None else ""
    print(f"[{index}/{total}] {name:<18} {status}{took}", file=sys.stderr, flush=True)


def _validate(check: Callable[[StepContext], Validation], ctx: StepContext) -> Validation:
    """A step's validation as a report: one that cannot even run is a failed check in the
    report (and a non-zero exit), never a traceback that leaves no report at all."""
    try:
        return check(ctx)
    except Exception as exc:
        log.error("validation could not run: %s", exc, exc_info=not isinstance(exc, PipelineError))
        detail = f"validation could not run: {exc}"
        problem = {"name": "validation", "ok": False, "detail": detail, "figures": {}}
        return {"ok": False, "checks": [problem | {"problems": [detail]}]}


def _awaited(spec: StepSpec, settings: JobSettings, scene_dir: Path) -> str | None:
    """Why a step waits (its delivered input is missing), or None when it can run."""
    if spec.awaits is None:
        return None
    path = spec.awaits(settings)
    if (scene_dir / path).exists():
        return None
    return (
        f"waiting for {path} (delivered outside the pipeline); "
        f"run --steps {spec.name} once it is there"
    )


def _failed(report: Validation) -> str:
    """The failed checks of a validation report in one line: name and detail of each."""
    failed = [c for c in report.get("checks", []) if not c.get("ok", False)]
    if not failed:
        return "no check failed, but the report is not ok"
    return "; ".join(f"{c.get('name')}: {c.get('detail')}" for c in failed)


def run_pipeline(
    scene_dir: Path,
    *,
    steps: list[str] | None = None,
    validate: bool = False,
    force: bool = False,
    scene_id: str | None = None,
    specs: Mapping[str, StepSpec] | None = None,
) -> dict[str, Any]:
    """Run the requested steps (and their dependencies) in order; returns a run summary.

    A failing step stops its dependants; independent steps still run. Where every step runs
    (`steps` None), a step whose delivered input (`StepSpec.awaits`: Genie Sim's results) is
    not there yet is reported as waiting, not failed, and its dependants are not run.

    Args:
        scene_dir: the scene folder.
        steps: step names (None: all registered steps).
        validate: run each step's validation and write reports/validation_report.json.
        force: rerun steps whose inputs are unchanged.
        scene_id: defaults to the folder name.
        specs: the step registry (default: steps registered by installed job packages).
    """
    specs = registered_steps() if specs is None else specs
    order = resolve_steps(steps, specs)
    scene_dir = scene_dir.absolute()
    scene_id = scene_id or scene_dir.name
    summary: dict[str, Any] = {"scene_id": scene_id, "steps": {}, "ok": True}
    validations: dict[str, Any] = {}
    blocked: set[str] = set()
    with span("pipeline.run", scene_id=scene_id, steps=",".join(order)):
        for index, name in enumerate(order, start=1):
            spec = specs[name]
            if name in blocked:
                _progress(index, len(order), name, "not run (a dependency failed)")
                summary["steps"][name] = {"status": "blocked"}
                continue
            try:
                settings = _settings_for(spec.settings_cls, scene_id, scene_dir)
                awaited = _awaited(spec, settings, scene_dir) if steps is None else None
                if awaited is not None:
                    _progress(index, len(order), name, awaited)
                    summary["steps"][name] = {"status": "waiting", "detail": awaited}
                    blocked |= dependants(name, order, specs)
                    continue
                _progress(index, len(order), name, "running…")
                outcome = execute_step(spec, settings, force=force or settings.FORCE)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | JobTerminatedError):
                    raise  # the whole run stops (the step's failure marker is written)
                _progress(index, len(order), name, f"FAILED: {exc}")
                summary["ok"] = False
                summary["steps"][name] = {
                    "status": "failed",
                    "error": str(exc),
                    "exit_code": exit_code_for(exc),
                }
                blocked |= dependants(name, order, specs)
                continue
            _progress(index, len(order), name, outcome.status, outcome.duration_s)
            summary["steps"][name] = {"status": outcome.status, "result": outcome.result}
            if validate and spec.validate is not None:
                ctx = StepContext(scene_dir, settings, LocalStorage(scene_dir), log)
                report = _validate(spec.validate, ctx)
                validations[name] = report
                if not report.get("ok", False):
                    summary["ok"] = False
                    _progress(index, len(order), name, f"validation FAILED: {_failed(report)}")
    if validate:
        report_doc = {
            "scene_id": scene_id,
            "ok": summary["ok"],
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tool_versions": tool_versions(),
            "provenance": provenance_record(scene_dir),
            "steps": validations,
        }
        LocalStorage(scene_dir).write_json(VALIDATION_REPORT_PATH, report_doc)
        summary["validation_report"] = str(scene_dir / VALIDATION_REPORT_PATH)
    page = write_report_quietly(scene_dir, summary)  # after the steps that ran
    summary["report"] = str(scene_dir / page) if page else None
    return summary


def main(argv: list[str] | None = None) -> int:
    """CLI entry: returns the process exit code."""
    args = _parse_args(argv)
    scene_id = args.scene_id or args.scene_dir.name
    configure_logging("local-runner", scene_id)
    provider = configure_tracing("local-runner")
    # As on Cloud Run: SIGTERM (and Ctrl-C) fails the running step with a marker, then exits.
    previous = {s: signal.signal(s, raise_terminated) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not args.scene_dir.is_dir():
            raise ConfigError("--scene-dir", f"{args.scene_dir} is not a folder")
        base = _settings_for(JobSettings, scene_id, args.scene_dir)
        # Logs go to stderr even as JSON lines: stdout carries the run summary.
        configure_logging(
            "local-runner",
            scene_id,
            structured=base.STRUCTURED_LOGGING,
            level=base.LOG_LEVEL,
            stream=sys.stderr,
        )
        steps = args.steps.split(",") if args.steps else None
        summary = run_pipeline(
            args.scene_dir,
            steps=steps,
            validate=args.validate,
            force=args.force,
            scene_id=args.scene_id,
        )
    except PipelineError as exc:
        print(f"run_local_pipeline: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        provider.shutdown()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print(json.dumps(summary, indent=2, default=str))
    if summary["ok"]:
        return EXIT_OK
    codes = [s.get("exit_code", EXIT_FAILURE) for s in summary["steps"].values()]
    return max([c for c in codes if isinstance(c, int)] + [EXIT_FAILURE])


if __name__ == "__main__":
    sys.exit(main())
