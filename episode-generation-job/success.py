"""Success of an episode, decided only from simulation state (never from the plan)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tools.tasks.geometry import Pose
from tools.tasks.task_specifier import GoalRegion

MIN_LIFT = 0.03  # the target must rise this far above its start
GOAL_Z_TOLERANCE = 0.03  # target bottom within this of the goal surface at the end
MAX_TILT_OTHERS = math.radians(25)  # another object tilted more than this was knocked over
MAX_DROP_OTHERS = 0.05  # another object lower than this at the end fell off its support
MAX_FINAL_SPEED = 0.05  # m/s: the target must be at rest at the end


@dataclass
class EpisodeObservation:
    """What the rollout measured in simulation, the inputs of the verdict.

    Attributes:
        start: poses of every free object after reset.
        end: poses of every free object at the end.
        max_lift: highest rise of the target above its start, metres.
        target_bottom_offset: target body z minus the bottom of its box (so bottom = z - offset).
        final_speed: the target's speed at the end, m/s.
        fingers_touch_target: finger contact with the target at the end.
        goal: the goal region at the end (from the goal object's final pose).
        healthy: the simulation stayed numerically sound (no solver warning, finite state).
    """

    start: Mapping[str, Pose]
    end: Mapping[str, Pose]
    max_lift: float
    target_bottom_offset: float
    final_speed: float
    fingers_touch_target: bool
    goal: GoalRegion
    healthy: bool = True


@dataclass(frozen=True)
class Verdict:
    """The outcome: success, the first failed check (reason) and every check's value."""

    success: bool
    reason: str | None
    checks: dict[str, float | bool] = field(default_factory=dict)


def judge(target_id: str, goal_id: str, obs: EpisodeObservation) -> Verdict:
    """Apply the success rules in order; the first that fails is the reason.

    Rules: a sound simulation; lifted >= 3 cm; ends inside the goal region, resting on its
    surface; released (no finger contact) and at rest; no other object tilted over or fallen
    off its support.

    Args:
        target_id: the picked object.
        goal_id: the goal object (it may move a little, it must not fall).
        obs: measurements from the simulation.

    Returns:
        The verdict.
    """
    end = obs.end[target_id]
    bottom = end.position[2] - obs.target_bottom_offset
    in_region = obs.goal.contains(end.position)
    height_ok = abs(bottom - obs.goal.surface_z) <= GOAL_Z_TOLERANCE
    disturbed = [
        oid for oid in obs.start
        if oid != target_id and (
            obs.end[oid].tilt_from(obs.start[oid]) > MAX_TILT_OTHERS
            or obs.start[oid].position[2] - obs.end[oid].position[2] > MAX_DROP_OTHERS
        )
    ]  # fmt: skip
    checks: dict[str, float | bool] = {
        "max_lift_m": round(obs.max_lift, 4),
        "in_goal_region": in_region,
        "bottom_above_goal_m": round(bottom - obs.goal.surface_z, 4),
        "released": not obs.fingers_touch_target,
        "final_speed_mps": round(obs.final_speed, 4),
        "others_disturbed": len(disturbed),
    }
    rules = (
        ("sim_unstable", obs.healthy),
        ("not_lifted", obs.max_lift >= MIN_LIFT),
        ("not_in_goal_region", in_region),
        ("not_resting_on_goal", height_ok),
        ("not_released", not obs.fingers_touch_target),
        ("not_at_rest", obs.final_speed <= MAX_FINAL_SPEED),
        ("scene_disturbed", not disturbed),
    )
    for reason, ok in rules:
        if not ok:
            return Verdict(False, reason, checks)
    return Verdict(True, None, checks)
