"""Validation of the `episodes` step: format, provenance, and each episode's outcome re-checked."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from episode_generation_job.final_state import FINAL_STATE_COLUMN, rejudge
from episode_generation_job.randomization_record import RECORD_COLUMN
from episode_generation_job.success import GOAL_Z_TOLERANCE, MIN_LIFT, RIM_DEPTH
from tools.lerobot import InvalidDatasetError, open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR
from tools.steps import Check, StepContext, Validation
from tools.tasks.articulated import judge_fraction
from tools.tasks.drawer_placement import recheck_in_drawer
from tools.tasks.skills import OPEN_DOOR, OPEN_DRAWER, PLACE_IN_DRAWER, STATION_SKILLS
from tools.tasks.task_specifier import GoalRegion

ENV_STATE = "observation.environment_state"
_FINAL_FRAMES = 5  # the target must rest in the goal over the last frames, not pass through
# The judged end pose is one control step after the last recorded frame: at rest (<= 1 cm/s)
# it is within 0.4 mm of it; more means the record does not belong to these frames.
_LAST_FRAME_TOLERANCE = 0.002


def check_episode(env_state: np.ndarray, extra: dict[str, Any]) -> list[str]:
    """Problems of one kept episode, judged from its recorded object poses only.

    Args:
        env_state: (T, 14) target pose then goal pose per frame.
        extra: the episode's metadata columns (`goal_region/*`, `target_bottom_offset`).

    Returns:
        Human-readable problems (empty: lifted >= 3 cm and resting on the goal surface, or
        inside the container for an "in" goal).
    """
    problems = []
    z = env_state[:, 2]
    lift = float(z.max() - z[0])
    if lift < MIN_LIFT:
        problems.append(f"target lifted {lift:.3f} m < {MIN_LIFT} m")
    region = GoalRegion(
        tuple(extra["goal_region/centre"]),
        tuple(extra["goal_region/half_extents"]),
        float(extra["goal_region/yaw"]),
        float(extra["goal_region/surface_z"]),
    )
    for frame in env_state[-_FINAL_FRAMES:]:
        if not region.contains(frame[:3]):
            problems.append(f"target at {np.round(frame[:2], 3).tolist()} outside the goal region")
            break
    bottom = float(env_state[-1, 2]) - float(extra["target_bottom_offset"])
    if extra.get("goal_region/relation") == "in":
        floor = float(extra["goal_region/bottom_z"])
        if not floor - GOAL_Z_TOLERANCE <= bottom <= region.surface_z - RIM_DEPTH:
            problems.append(
                f"target bottom {bottom:.3f} m not inside the container "
                f"({floor:.3f}..{region.surface_z:.3f})"
            )
    elif abs(bottom - region.surface_z) > GOAL_Z_TOLERANCE:
        problems.append(
            f"target bottom {bottom:.3f} m not on the goal surface {region.surface_z:.3f}"
        )
    return problems


def is_articulated(extra: dict[str, Any]) -> bool:
    """Whether an episode opened or closed a door or drawer, or placed into an opened drawer
    (its `skill` column): judged from the joint or the tray, not a final-state record."""
    return extra.get("skill") in STATION_SKILLS


def check_articulated(env_state: np.ndarray, extra: dict[str, Any]) -> list[str]:
    """Judge a kept open/close episode again from its joint record: the end open fraction
    and the release, by the step's own rule, and a handle that moved.

    Args:
        env_state: (T, 14) handle pose then its goal pose per frame.
        extra: the episode's columns (`skill`, `end_fraction`, `checks/released`).

    Returns:
        Human-readable problems (empty: the stored success holds).
    """
    fraction, released = extra.get("end_fraction"), extra.get("checks/released")
    if not isinstance(fraction, float | int) or not isinstance(released, bool):
        return ["no end_fraction / checks/released record"]
    ok, reason = judge_fraction(extra["skill"] in (OPEN_DRAWER, OPEN_DOOR), fraction, released)
    problems = [] if ok else [f"re-judged from its joint: failed ({reason})"]
    if len(env_state) < 2 or float(np.linalg.norm(env_state[-1, :3] - env_state[0, :3])) < 0.01:
        problems.append("the handle did not move")
    return problems


def check_final_state(env_state: np.ndarray, extra: dict[str, Any]) -> list[str]:
    """Judge a kept episode again from its `final_state` record with the step's own judge.

    The record must exist, decode, belong to these frames (its end pose is where the last
    frame leaves the target) and give the same verdict and checks the episode was kept with.

    Args:
        env_state: (T, 14) target pose then goal pose per frame.
        extra: the episode's metadata columns (`final_state`, `checks/*`).

    Returns:
        Human-readable disagreements (empty: the re-judged verdict is the stored success).
    """
    column = extra.get(FINAL_STATE_COLUMN)
    if not isinstance(column, str):
        return ["no final_state record"]
    try:
        verdict = rejudge(column)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if not verdict.success:
        problems.append(f"re-judged from its final state: failed ({verdict.reason})")
    stored = {k.split("/", 1)[1]: v for k, v in extra.items() if k.startswith("checks/")}
    differing = sorted(k for k, v in verdict.checks.items() if k in stored and stored[k] != v)
    if differing:
        problems.append(f"re-judged checks differ from the stored ones: {differing}")
    record = json.loads(column)
    end = np.asarray(record["end"][record["target_id"]][:3], dtype=float)
    gap = float(np.linalg.norm(end - env_state[-1, :3])) if len(env_state) else np.inf
    if gap > _LAST_FRAME_TOLERANCE:
        problems.append(f"final_state end pose {gap:.4f} m from the last recorded frame")
    return problems


def check_outcomes(root: Any) -> tuple[int, list[str]]:
    """Re-check every episode of a dataset from its environment state and final-state record.

    Args:
        root: the dataset folder.

    Returns:
        (episodes checked, problems with their episode index).
    """
    contents = open_dataset(root)
    problems: list[str] = []
    count = 0
    for row, table in contents.iter_episode_tables():
        column: pa.ChunkedArray = table.column(ENV_STATE)
        env_state = np.array(column.to_pylist(), dtype=float)
        extra = contents.extra_metadata(row)
        if extra.get("skill") == PLACE_IN_DRAWER:
            found = recheck_in_drawer(env_state, extra)
        elif is_articulated(extra):
            found = check_articulated(env_state, extra)
        else:
            found = check_episode(env_state, extra) + check_final_state(env_state, extra)
        for problem in found:
            problems.append(f"episode {row['episode_index']}: {problem}")
        count += 1
    return count, problems


def check_randomization(root: Any) -> tuple[int, list[str]]:
    """Check that every episode recorded its randomization, and that bundle draws differ.

    Args:
        root: the dataset folder.

    Returns:
        (distinct records, problems with their episode index).
    """
    contents = open_dataset(root)
    problems: list[str] = []
    seen: set[str] = set()
    randomized = 0
    for row in contents.episodes:
        extra = contents.extra_metadata(row)
        if is_articulated(extra):  # no randomization of their own: the joint starts as set
            continue
        randomized += 1
        raw = extra.get(RECORD_COLUMN)
        try:
            record = json.loads(raw) if isinstance(raw, str) else None
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict) or record.get("mode") not in ("bundle", "none"):
            problems.append(f"episode {row['episode_index']}: no randomization record")
            continue
        if record["mode"] == "bundle" and not record.get("bundle"):
            problems.append(f"episode {row['episode_index']}: bundle mode without bundle values")
        seen.add(json.dumps(record.get("bundle") or record.get("objects"), sort_keys=True))
    if randomized > 1 and len(seen) == 1:
        problems.append("every episode recorded the same randomization")
    return len(seen), problems


def listed(check: Check) -> dict[str, Any]:
    """A check's JSON with its figures also at the top level, where readers of the episodes'
    validation (tests, dashboards, the report's older pages) have always found them."""
    return {**check.figures, **check.as_dict()}


def check_replay(ctx: StepContext) -> Check:
    """The replay certificate on a sample of the kept episodes (`replay.replay_sample`).

    Args:
        ctx: the step context.

    Returns:
        A check whose figures hold the largest `observation.state` and object pose errors
        reached, per-episode figures and the tolerance (skipped for Isaac Sim datasets, which
        record no engine state to replay).
    """
    root = ctx.scene_dir / LEROBOT_DIR
    if open_dataset(root).info.provenance.backend != "mujoco":
        skipped = "replay needs the mujoco backend"
        return Check("replay", True, f"skipped: {skipped}", {"skipped": skipped})
    from episode_generation_job.replay import replay_sample  # MuJoCo: not in the Isaac image

    raw = replay_sample(root, ctx.scene_dir)
    figures = {k: v for k, v in raw.items() if k not in ("name", "ok", "problems")}
    replayed = len(figures.get("episodes") or [])
    detail = (
        f"skipped: {figures['skipped']}"
        if "skipped" in figures
        else f"{replayed} episode(s) replayed within {figures['tolerance']:g}"
    )
    return Check("replay", bool(raw["ok"]), detail, figures, tuple(raw["problems"]))


def validate_episodes(ctx: StepContext) -> Validation:
    """Validate `episodes/lerobot/`: LeRobot v3.0 format, backend recorded, outcomes.

    Args:
        ctx: the step context.

    Returns:
        {"ok": bool, "checks": [...]}: each check a `tools.steps.Check` (name, ok, detail,
        figures, problems) with its figures repeated at the top level (`listed`).
    """
    root = ctx.scene_dir / LEROBOT_DIR
    checks: list[Check] = []
    problems = validate_dataset(root)
    checks.append(_problems_check("lerobot_format", problems, "LeRobot v3.0 layout and metadata"))
    if problems:
        return _report(checks)
    try:
        info = open_dataset(root).info
    except InvalidDatasetError as exc:
        checks.append(_problems_check("metadata", list(exc.problems), "dataset metadata"))
        return _report(checks)
    backend = info.provenance.backend
    checks.append(
        Check(
            "provenance",
            bool(backend) and info.provenance.scene_sha256 is not None,
            f"backend {backend or 'missing'}, scene sha256 "
            + ("recorded" if info.provenance.scene_sha256 is not None else "missing"),
            {"backend": backend},
        )
    )
    count, outcome_problems = check_outcomes(root)
    checks.append(
        Check(
            "outcomes_from_state",
            count > 0 and not outcome_problems,
            f"{count} episode(s) re-judged from their recorded state",
            {"episodes": count},
            tuple(outcome_problems[:20]),
        )
    )
    distinct, randomization_problems = check_randomization(root)
    checks.append(
        Check(
            "randomization_recorded",
            not randomization_problems,
            f"{distinct} distinct randomization record(s)",
            {"distinct": distinct},
            tuple(randomization_problems[:20]),
        )
    )
    checks.append(check_replay(ctx))
    return _report(checks)


def _problems_check(name: str, problems: list[str], what: str) -> Check:
    detail = f"{what}: ok" if not problems else f"{what}: {len(problems)} problem(s)"
    return Check(name, not problems, detail, problems=tuple(problems[:20]))


def _report(checks: list[Check]) -> Validation:
    return {"ok": all(c.ok for c in checks), "checks": [listed(c) for c in checks]}
