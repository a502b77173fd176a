"""Step specifications and their registry (job packages register steps via entry points)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from tools.config import JobSettings
from tools.storage import Storage

ENTRY_POINT_GROUP = "blueprint_pipeline.steps"
# Settings that say where or how loudly a step runs, not what it produces.
# Which Cloud Run task runs is not what the step produces: every task of a step shares one
# fingerprint, so a rerun with unchanged inputs skips on every task.
_NON_SEMANTIC_SETTINGS = {
    "SCENE_DIR",
    "BUCKET",
    "STRUCTURED_LOGGING",
    "LOG_LEVEL",
    "FORCE",
    "CLOUD_RUN_TASK_INDEX",
}
TASK_PART_ONLY = "task_part_only"
"""Result key: a task of a multi-task step did its part, another task completes the step
(merges and writes the completion marker); the runner writes no completion marker for it."""


@dataclass(frozen=True)
class StepContext:
    """What a job function gets: a local scene folder, its settings and the scene storage.

    `scene_dir` is a local folder holding the step's inputs (staged from GCS when the scene
    lives in a bucket); outputs written under it are uploaded after success. `storage` is the
    scene's real storage, for checkpoints that must survive the process.
    """

    scene_dir: Path
    settings: JobSettings
    storage: Storage
    logger: logging.Logger
    extras: dict[str, Any] = field(default_factory=dict)


StepResult = dict[str, Any]
Validation = dict[str, Any]


@dataclass(frozen=True)
class Check:
    """One named validation check: its verdict, one line of detail, figures, every problem.

    A step's `validate` returns `{"ok": ..., "checks": [check.as_dict(), ...], ...}`; the scene
    report (tools/report) reads that JSON back from reports/validation_report.json.
    `warning` marks a passing check worth a look (e.g. objects the ingest dropped); it is
    written only when set, so every other check keeps its five keys.
    """

    name: str
    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (problems serialise as a list)."""
        data = asdict(self)
        if not self.warning:
            del data["warning"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        """The check back from its `as_dict()` form (e.g. JSON from a child process)."""
        return cls(
            str(data["name"]),
            bool(data["ok"]),
            str(data["detail"]),
            dict(data.get("figures") or {}),
            tuple(str(p) for p in data.get("problems") or ()),
            bool(data.get("warning", False)),
        )


def checks_report(checks: Iterable[Check], **extra: Any) -> Validation:
    """A step's validation: ok when every check passed, each check as JSON, plus `extra`."""
    listed = list(checks)
    return {"ok": all(c.ok for c in listed), "checks": [c.as_dict() for c in listed], **extra}


@dataclass(frozen=True)
class StepSpec:
    """One pipeline step.

    Attributes:
        name: step name used by the runner, markers and logs.
        job: Cloud Run job name.
        run: the job function (the only implementation, shared by Cloud Run and the runner).
        settings_cls: the job's settings model.
        depends_on: steps that must complete first.
        inputs: scene-relative files or folder prefixes (ending in '/') the step reads (staged
            from GCS before it runs).
        hashed_inputs: inputs whose content decides whether the step must rerun. None means
            `inputs` for a step without dependencies, and nothing for a step with dependencies:
            their completion markers stand for what they produced (an input folder such as
            `assets/` also holds what this and later steps add there, hulls and asset USDs,
            which would otherwise never look unchanged).
        outputs: scene-relative folder prefixes or files the step writes.
        validate: optional check of the step's outputs; returns {"ok": bool, "checks": [...]}.
        description: one line for `--help` and docs.
        output_fingerprint: optional digest of everything else the step's output depends on
            (e.g. hashes of files it reads that a dependency's marker does not stand for, or
            of assets outside the scene); part of the skip decision.
        awaits: optional scene-relative file, from the step's settings, that no step of the
            pipeline writes and someone else delivers (Genie Sim's results). Where the local
            runner runs every step and the file is not there yet, the step is reported as
            waiting for it, not failed; named with `--steps` it runs (and fails) as usual.
    """

    name: str
    job: str
    run: Callable[[StepContext], StepResult]
    settings_cls: type[JobSettings]
    depends_on: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    hashed_inputs: tuple[str, ...] | None = None
    outputs: tuple[str, ...] = ()
    validate: Callable[[StepContext], Validation] | None = None
    description: str = ""
    order: int = 100
    output_fingerprint: Callable[[Path, JobSettings], str] | None = None
    awaits: Callable[[JobSettings], str] | None = None


def registered_steps() -> dict[str, StepSpec]:
    """Every step registered by an installed job package, by name, in pipeline order."""
    specs: list[StepSpec] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = ep.load()
        if not isinstance(spec, StepSpec):
            raise TypeError(f"entry point {ep.name} does not name a StepSpec")
        specs.append(spec)
    specs.sort(key=lambda s: (s.order, s.name))
    return {s.name: s for s in specs}


def _files_under(scene_dir: Path, entries: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for entry in entries:
        path = scene_dir / entry
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file())
    return sorted(set(files))


def fingerprint_inputs(
    scene_dir: Path,
    spec: StepSpec,
    settings: JobSettings,
    dependency_markers: dict[str, dict[str, Any] | None] | None = None,
) -> str:
    """sha256 over the hashed input files, the dependencies' completion and the settings.

    Args:
        scene_dir: local scene folder.
        spec: the step.
        settings: its settings (only fields that change results count).
        dependency_markers: completion marker of each dependency (None if missing).
    """
    digest = hashlib.sha256()
    for name in sorted(dependency_markers or {}):
        marker = (dependency_markers or {})[name] or {}
        stamp = f"{name}:{marker.get('inputs_sha256')}:{marker.get('completed_at')}"
        digest.update(stamp.encode() + b"\0")
    hashed = spec.hashed_inputs
    if hashed is None:
        hashed = () if spec.depends_on else spec.inputs
    for path in _files_under(scene_dir, hashed):
        digest.update(path.relative_to(scene_dir).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    if spec.output_fingerprint is not None:
        digest.update(spec.output_fingerprint(scene_dir, settings).encode() + b"\0")
    digest.update(json.dumps(output_settings(settings), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def output_settings(settings: JobSettings) -> dict[str, Any]:
    """The public settings that change what a step produces (not where or how loudly)."""
    return {
        k: v for k, v in settings.public_parameters().items() if k not in _NON_SEMANTIC_SETTINGS
    }
