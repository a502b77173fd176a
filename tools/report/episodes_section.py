"""Episodes: success per task and per skill, failure reasons, randomized ranges, throughput.

Successful episodes are rows of the LeRobot episodes table (task, skill, target, goal); failed
attempts are in the episodes job's summary, keyed `ep-<slot>/attempt-<k>` with the first success
rule they broke. A failed attempt belongs to its slot's task and skill (place_on, place_in,
stack, place_at_height, open/close: `tools.tasks.skills`) when that slot succeeded later.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from tools.report.layout import EPISODES_TABLE_DIR
from tools.report.scene_files import SceneFiles

# A simulation that went unsound judged no skill: its attempts count against none.
NO_SKILL_FAILURES = frozenset({"sim_unstable"})
UNKNOWN_TASK = "(task unknown: its slot never succeeded)"
UNKNOWN_SKILL = "(skill unknown: its slot never succeeded)"
UNRECORDED_SKILL = "pick and place (skill not recorded)"  # datasets written before skills
_EPISODE_COLUMNS = (
    "episode_key",
    "tasks",
    "task_id",
    "skill",
    "target_id",
    "goal_id",
    "goal_region/centre",
    "goal_region/half_extents",
    "goal_region/yaw",
    "randomization_values/target_x",
    "randomization_values/target_y",
)


@dataclass(frozen=True)
class Rate:
    """Successes out of attempts."""

    label: str
    succeeded: int
    attempts: int
    note: str = ""

    @property
    def percent(self) -> float | None:
        """Success rate in percent, None without attempts."""
        return 100.0 * self.succeeded / self.attempts if self.attempts else None


@dataclass(frozen=True)
class EpisodesView:
    """What the report shows about the episodes step."""

    figures: list[tuple[str, str]] = field(default_factory=list)
    per_task: list[Rate] = field(default_factory=list)
    per_skill: list[Rate] = field(default_factory=list)
    failure_reasons: dict[str, int] = field(default_factory=dict)
    ranges: list[tuple[str, float, float]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)


def episode_rows(files: SceneFiles) -> list[dict[str, Any]]:
    """The rows of the dataset's episodes table (only the columns the report uses)."""
    rows: list[dict[str, Any]] = []
    for key in files.keys(EPISODES_TABLE_DIR):
        raw = files.bytes(key) if key.endswith(".parquet") else None
        if raw is None:
            continue
        table = pq.read_table(io.BytesIO(raw))
        columns = [c for c in _EPISODE_COLUMNS if c in table.column_names]
        rows.extend(table.select(columns).to_pylist())
    return rows


def _failed_attempts(summary: Mapping[str, Any]) -> dict[str, str]:
    failed: dict[str, str] = {}
    for shard in summary.get("shards", []):
        if isinstance(shard, Mapping):
            failed.update({str(k): str(v) for k, v in shard.get("failed_attempts", {}).items()})
    return failed


def _task_label(row: Mapping[str, Any]) -> str:
    tasks = row.get("tasks") or []
    text = tasks[0] if isinstance(tasks, list) and tasks else ""
    task_id = row.get("task_id") or text or "?"
    return f"{text} ({task_id})" if text and row.get("task_id") else str(task_id)


def _rates(
    rows: Sequence[Mapping[str, Any]], failed: Mapping[str, str]
) -> tuple[list[Rate], list[Rate]]:
    task_of_slot = {str(r.get("episode_key")): _task_label(r) for r in rows}
    skill_of_slot = {str(r.get("episode_key")): _skill(r) for r in rows}
    successes = Counter(_task_label(r) for r in rows)
    failures: Counter[str] = Counter()
    skill_successes = Counter(_skill(r) for r in rows)
    skill_failures: Counter[str] = Counter()
    unsound = 0
    for key, reason in failed.items():
        slot = key.split("/", 1)[0]
        failures[task_of_slot.get(slot, UNKNOWN_TASK)] += 1
        if reason in NO_SKILL_FAILURES:
            unsound += 1
        else:
            skill_failures[skill_of_slot.get(slot, UNKNOWN_SKILL)] += 1
    per_task = [
        Rate(task, successes[task], successes[task] + failures[task])
        for task in sorted(set(successes) | set(failures))
    ]
    per_skill = [
        Rate(skill, skill_successes[skill], skill_successes[skill] + skill_failures[skill])
        for skill in sorted(set(skill_successes) | set(skill_failures))
    ]
    if unsound:
        attempts = len(rows) + len(failed)
        per_skill.append(Rate("simulation sound", attempts - unsound, attempts))
    return per_task, per_skill


def _skill(row: Mapping[str, Any]) -> str:
    return str(row.get("skill") or UNRECORDED_SKILL)


def _figures(summary: Mapping[str, Any], episodes: int) -> list[tuple[str, str]]:
    rate = summary.get("success_rate")
    per_hour = summary.get("episodes_per_hour")
    shown = [
        ("episodes in the dataset", str(summary.get("dataset_episodes", episodes))),
        (
            "success rate over attempts",
            f"{100 * rate:.0f} %" if isinstance(rate, float | int) else "-",
        ),
        ("attempts this run", str(summary.get("attempts_this_run", "-"))),
        ("failed attempts", str(summary.get("failed_attempts", "-"))),
        ("episodes per hour", f"{per_hour:.0f}" if isinstance(per_hour, float | int) else "-"),
        ("wall time", f"{summary['wall_seconds']:.0f} s" if "wall_seconds" in summary else "-"),
        ("backend", str(summary.get("backend", "-"))),
        ("cameras", ", ".join(summary.get("cameras", [])) or "-"),
    ]
    return shown


def episodes_view(files: SceneFiles, summary: Mapping[str, Any]) -> EpisodesView | None:
    """The episodes section, or None when the episodes step has left no summary.

    Args:
        files: the scene's files.
        summary: the episodes job's summary (`reports/episodes_summary.json`, else the
            result in its completion marker).
    """
    if not summary:
        return None
    rows = episode_rows(files)
    failed = _failed_attempts(summary)
    per_task, per_skill = _rates(rows, failed)
    reasons = summary.get("failure_reasons") or dict(Counter(failed.values()))
    ranges = (summary.get("randomization") or {}).get("ranges") or {}
    return EpisodesView(
        figures=_figures(summary, len(rows)),
        per_task=per_task,
        per_skill=per_skill,
        failure_reasons={str(k): int(v) for k, v in sorted(reasons.items())},
        ranges=[
            (str(name), float(r["min"]), float(r["max"]))
            for name, r in sorted(ranges.items())
            if isinstance(r, Mapping) and "min" in r and "max" in r
        ],
        episodes=rows,
    )
