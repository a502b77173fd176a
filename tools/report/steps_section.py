"""Per step: status, duration, key figures of its result and validation, warnings and drops.

Everything comes from what the runner already writes: completion and failure markers
(`.markers/`), the validation report, and, for a local run, the run summary (which alone knows
that a step was skipped or blocked in this run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.steps import Check

# Result keys whose entries name something left out or worth a look, and how to call them.
NOTICE_KEYS: Mapping[str, str] = {
    "dropped": "dropped",
    "dropped_objects": "dropped",
    "skipped_tasks": "skipped",
    "quarantined": "quarantined",
    "given_up": "given up",
    "warnings": "warning",
    "preview_error": "warning",
    "rejected": "rejected",
}
# Result keys that are paths, hashes or bulky detail rather than figures.
_NOT_FIGURES = (
    "provenance",
    "files",
    "notes",
    "shards",
    "randomization",
    "disturbed_objects",
    "scene_id",
)
_MAX_FIGURES = 16
_MAX_INLINE_ITEMS = 6


@dataclass(frozen=True)
class Notice:
    """Something dropped, skipped or worth a warning, with its reason."""

    kind: str
    subject: str
    reason: str


@dataclass(frozen=True)
class StepRow:
    """What the report shows for one step."""

    name: str
    status: str
    duration_s: float | None = None
    finished_at: str | None = None
    error: str | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def validated(self) -> bool | None:
        """True/False when validation ran (all checks passed or not), None when it did not."""
        return all(c.ok for c in self.checks) if self.checks else None


def format_value(value: Any) -> str:
    """A short, readable form of a figure (4 significant digits for floats)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {format_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) or "none"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _figures(result: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    figures: list[tuple[str, str]] = []
    for key, value in result.items():
        if key in _NOT_FIGURES or key in NOTICE_KEYS or key.endswith(("_path", "_dir", "sha256")):
            continue
        label = f"{prefix}{key}"
        if _is_scalar(value):
            if value is not None and not (isinstance(value, str) and len(value) > 60):
                figures.append((label, format_value(value)))
        elif isinstance(value, Mapping):
            if value and len(value) <= _MAX_INLINE_ITEMS and all(map(_is_scalar, value.values())):
                figures.append((label, format_value(value)))
            elif not prefix:  # one level of nesting (e.g. the usd step's settling figures)
                figures.extend(_figures(value, f"{label}."))
        elif (
            isinstance(value, list)
            and 0 < len(value) <= _MAX_INLINE_ITEMS
            and all(_is_scalar(v) for v in value)
        ):
            figures.append((label, format_value(value)))
    return figures


def _reasons(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_reasons(v) for v in value)
    if isinstance(value, Mapping):
        reason = value.get("reason") or value.get("error") or value.get("detail")
        return str(reason) if reason else format_value(value)
    return str(value)


def notices_in(document: Any, kind_of: Mapping[str, str] = NOTICE_KEYS) -> list[Notice]:
    """Every entry under a notice key anywhere in a result or validation document."""
    found: list[Notice] = []
    if isinstance(document, Mapping):
        for key, value in document.items():
            kind = kind_of.get(key)
            if kind is None or isinstance(value, bool):
                found.extend(notices_in(value, kind_of))
            elif isinstance(value, Mapping):
                found.extend(Notice(kind, str(k), _reasons(v)) for k, v in value.items())
            elif isinstance(value, list | tuple):
                for item in value:
                    subject = item.get("object_id", "") if isinstance(item, Mapping) else ""
                    reason = _reasons(item) if subject else str(item)
                    found.append(Notice(kind, str(subject), reason))
            elif value:
                found.append(Notice(kind, "", str(value)))
    elif isinstance(document, list):
        for item in document:
            found.extend(notices_in(item, kind_of))
    return found


def _checks(validation: Mapping[str, Any]) -> list[Check]:
    """The validation's checks, each with one line of detail (its problems and scalar figures
    inlined), read leniently: the report shows whatever a step wrote."""
    checks = []
    for check in validation.get("checks", []):
        if not isinstance(check, Mapping):
            continue
        detail = str(check.get("detail") or "")
        problems = [str(p) for p in check.get("problems") or []]
        if problems:
            detail = "; ".join([detail, *problems]) if detail else "; ".join(problems)
        figures = check.get("figures")
        if isinstance(figures, Mapping):
            shown = [f"{k} {format_value(v)}" for k, v in figures.items() if _is_scalar(v)]
            if shown:
                detail = f"{detail} ({', '.join(shown[:_MAX_INLINE_ITEMS])})"
        checks.append(Check(str(check.get("name", "?")), bool(check.get("ok")), detail))
    return checks


def _latest_failure(markers: Mapping[str, Mapping[str, Any]], step: str) -> Mapping[str, Any]:
    failures = [m for name, m in markers.items() if name.startswith(f"{step}.failed-")]
    return max(failures, key=lambda m: str(m.get("failed_at", "")), default={})


def step_names(
    markers: Mapping[str, Mapping[str, Any]],
    validation: Mapping[str, Any],
    run_steps: Iterable[str] = (),
) -> list[str]:
    """Steps in the run's order, then the others in the order they last finished."""
    names = list(dict.fromkeys(run_steps))
    finished: dict[str, str] = {}
    for file_name, marker in markers.items():
        step = str(marker.get("step") or file_name.split(".", 1)[0])
        when = str(marker.get("completed_at") or marker.get("failed_at") or "")
        finished[step] = max(finished.get(step, ""), when)
    for step in sorted(finished, key=lambda s: finished[s]):
        if step not in names:
            names.append(step)
    names.extend(s for s in validation.get("steps", {}) if s not in names)
    return names


def step_rows(
    markers: Mapping[str, Mapping[str, Any]],
    validation: Mapping[str, Any],
    run_summary: Mapping[str, Any] | None = None,
) -> list[StepRow]:
    """One row per step that ran, was skipped or blocked, or left a marker.

    Args:
        markers: marker documents by file name (see `SceneFiles.markers`).
        validation: `reports/validation_report.json` (empty without `--validate`).
        run_summary: the local runner's summary of this run, if any.
    """
    run_steps: Mapping[str, Any] = (run_summary or {}).get("steps", {})
    validations: Mapping[str, Any] = validation.get("steps", {})
    rows = []
    for name in step_names(markers, validation, run_steps):
        complete = markers.get(f"{name}.complete.json", {})
        failure = _latest_failure(markers, name)
        this_run = run_steps.get(name, {})
        status = this_run.get("status")
        if status is None:
            failed_later = str(failure.get("failed_at", "")) > str(complete.get("completed_at", ""))
            status = "failed" if failure and failed_later else "completed" if complete else "-"
        # A failed step shows what it saved before failing, never an earlier run's result.
        earlier = failure.get("partial_results") if status == "failed" else complete.get("result")
        result = this_run.get("result") or earlier or {}
        error = this_run.get("error") or (
            failure.get("error_message") if status == "failed" else None
        )
        checks = _checks(validations.get(name, {}))
        notices = notices_in(result) + notices_in(validations.get(name, {}))
        if status == "waiting":  # the runner's reason: an input delivered from outside
            notices.insert(0, Notice("waiting", "", str(this_run.get("detail", ""))))
        duration = complete.get("duration_s") if status != "failed" else None
        rows.append(
            StepRow(
                name=name,
                status=str(status),
                duration_s=float(duration) if isinstance(duration, int | float) else None,
                finished_at=complete.get("completed_at") or failure.get("failed_at"),
                error=str(error) if error else None,
                figures=_figures(result)[:_MAX_FIGURES] if isinstance(result, Mapping) else [],
                checks=checks,
                notices=list(dict.fromkeys(notices)),
            )
        )
    return rows
