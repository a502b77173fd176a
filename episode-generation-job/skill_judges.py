"""One judge per pick-and-place skill, from simulation state only.

Every skill first passes the shared rules of `success.judge` (sound simulation, lifted,
released, in the goal's footprint, resting on or in the goal and carried by it, upright, at
rest, nothing else knocked over); then its own:
- `place_in`: the target's centre inside the container's inner volume (below the rim) and its
  bottom on the container's floor, or on what the container already holds;
- `stack`: the lower object stayed where it was (moved at most 3 cm, tilted at most 10°);
- `place_at_height`: the target ended on another level than it started (its bottom 3 cm or
  more above or below its start);
- `place_on`: the shared rules alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from episode_generation_job.success import EpisodeObservation, Verdict, judge, supporters
from tools.tasks.skills import PLACE_AT_HEIGHT, PLACE_IN, PLACE_ON, STACK

# In a container: the bottom at most this far above its outer bottom (the floor's thickness,
# a bowl's curved inner bottom), unless it rests on what the container already holds.
CONTAINER_FLOOR_TOLERANCE = 0.03
STACK_MAX_SHIFT = 0.03  # m: the lower object of a stack may slide this far under the placing
STACK_MAX_TILT = math.radians(10)
MIN_LEVEL_CHANGE = 0.03  # m: a surface at another level ends this much above or below

Rules = list[tuple[str, bool]]
Checks = dict[str, float | bool]


def _bottom(target_id: str, obs: EpisodeObservation, end: bool = True) -> float:
    poses = obs.end if end else obs.start
    return poses[target_id].position[2] - obs.target_bottom_offset


def _in_container(target_id: str, goal_id: str, obs: EpisodeObservation) -> tuple[Rules, Checks]:
    centre_z = obs.end[target_id].position[2]
    above_floor = _bottom(target_id, obs) - obs.goal.floor_z
    on_contents = any(k != goal_id for k in supporters(target_id, goal_id, obs))
    rules = [
        ("centre_above_rim", centre_z <= obs.goal.surface_z),
        ("not_on_container_floor", above_floor <= CONTAINER_FLOOR_TOLERANCE or on_contents),
    ]
    checks: Checks = {
        "centre_below_rim_m": round(obs.goal.surface_z - centre_z, 4),
        "on_contents": on_contents,
    }
    return rules, checks


def _stack(target_id: str, goal_id: str, obs: EpisodeObservation) -> tuple[Rules, Checks]:
    start, end = obs.start.get(goal_id), obs.end.get(goal_id)
    if start is None or end is None:  # a fixed goal cannot be displaced
        return [("lower_not_movable", False)], {}
    shift = math.dist(start.position[:2], end.position[:2])
    tilt = end.tilt_from(start)
    rules = [("lower_displaced", shift <= STACK_MAX_SHIFT and tilt <= STACK_MAX_TILT)]
    return rules, {"lower_shift_m": round(shift, 4), "lower_tilt_deg": round(math.degrees(tilt), 2)}


def _at_height(target_id: str, goal_id: str, obs: EpisodeObservation) -> tuple[Rules, Checks]:
    change = _bottom(target_id, obs) - _bottom(target_id, obs, end=False)
    rules = [("level_not_changed", abs(change) >= MIN_LEVEL_CHANGE)]
    return rules, {"level_change_m": round(change, 4)}


def _none(target_id: str, goal_id: str, obs: EpisodeObservation) -> tuple[Rules, Checks]:
    return [], {}


SKILL_RULES: dict[str, Callable[[str, str, EpisodeObservation], tuple[Rules, Checks]]] = {
    PLACE_ON: _none,
    PLACE_IN: _in_container,
    STACK: _stack,
    PLACE_AT_HEIGHT: _at_height,
}


def judge_skill(skill: str, target_id: str, goal_id: str, obs: EpisodeObservation) -> Verdict:
    """The verdict of a pick-and-place skill: the shared rules, then the skill's own.

    Args:
        skill: one of `tools.tasks.skills.PLACE_SKILLS`.
        target_id: the picked object.
        goal_id: the goal object.
        obs: measurements from the simulation.

    Returns:
        The verdict; its checks hold the shared checks and the skill's own.

    Raises:
        ValueError: an unknown skill.
    """
    if skill not in SKILL_RULES:
        raise ValueError(f"skill: {skill!r} is not one of {sorted(SKILL_RULES)}")
    shared = judge(target_id, goal_id, obs)
    rules, own = SKILL_RULES[skill](target_id, goal_id, obs)
    checks = {**shared.checks, **own}
    if not shared.success:
        return Verdict(False, shared.reason, checks, shared.disturbed)
    failed = next((reason for reason, ok in rules if not ok), None)
    return Verdict(failed is None, failed, checks, shared.disturbed)
