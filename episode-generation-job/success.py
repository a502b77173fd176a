"""Success of an episode, decided only from simulation state (never from the plan).

The verdict looks at the target itself after release and a settle period: it rose, it is
supported by the goal (a physical contact, not only a position inside a region), it stands
upright on its base and it is at rest over a whole window, not only in the last frame.
Containers (bowls, boxes, bins...) are judged with "in" semantics: the target's bottom is inside
the container, below its rim, resting on its inner bottom or on what is already in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from episode_generation_job.disturbance import Disturbance, disturbed_objects
from tools.tasks.geometry import Pose
from tools.tasks.task_specifier import GoalRegion

MIN_LIFT = 0.03  # the target must rise this far above its start
GOAL_Z_TOLERANCE = 0.03  # "on": target bottom within this of the goal surface at the end
# "in": the bottom at least this far below the rim. Level with the rim is "on" a lid or on a
# heap, not in (a can on a closed tissue box's lid passed a +1 cm allowance).
RIM_DEPTH = 0.005
MAX_TILT_OTHERS = math.radians(25)  # another object tilted more than this was knocked over
MAX_DROP_OTHERS = 0.05  # another object lower than this at the end fell off its support
# Upright: the target's up axis within 15 degrees of its start (its stable pose on a flat
# surface). A flat base resting on a bowl's curved inner bottom or a plate's lip leans a few
# degrees; an object propped on a rim or lying on its side leans 25 degrees and more.
MAX_TILT = math.radians(15)
# At rest: every control frame of the final window below both speeds. 1 cm/s drifts at most
# 5 mm over the half-second window; 0.25 rad/s turns at most 7 degrees. A settled MuJoCo body
# reads ~1e-4; the sliding cup of issue 15 read 2.9 cm/s.
MAX_REST_SPEED = 0.01  # m/s
MAX_REST_ANGULAR_SPEED = 0.25  # rad/s
MIN_SUPPORT_FORCE = 1e-3  # N: a contact that carries load (not a grazing one within margin)
REST_WINDOW_S = 0.5  # the final window the speeds are sampled over
# Kept for callers that still read the last-frame speed rule's constant.
MAX_FINAL_SPEED = MAX_REST_SPEED


@dataclass(frozen=True)
class MotionWindow:
    """Speeds of one body at every control frame of the final window (empty: not measured)."""

    linear: tuple[float, ...] = ()
    angular: tuple[float, ...] = ()

    @property
    def max_linear(self) -> float:
        """Largest linear speed, m/s (infinite when not measured: never at rest)."""
        return max(self.linear, default=math.inf)

    @property
    def max_angular(self) -> float:
        """Largest angular speed, rad/s (infinite when not measured)."""
        return max(self.angular, default=math.inf)

    def at_rest(self) -> bool:
        """Whether the body stayed below both rest speeds over the whole window."""
        return self.max_linear <= MAX_REST_SPEED and self.max_angular <= MAX_REST_ANGULAR_SPEED


@dataclass
class EpisodeObservation:
    """What the rollout measured in simulation, the inputs of the verdict.

    Attributes:
        start: poses of every free object after reset.
        end: poses of every free object at the end (after the settle period).
        max_lift: highest rise of the target above its start, metres.
        target_bottom_offset: target body z minus the bottom of its box (so bottom = z - offset).
        final_speed: the target's linear speed in the last frame, m/s (informative).
        fingers_touch_target: finger contact with the target at the end.
        goal: the goal region at the end (from the goal object's final pose).
        healthy: the simulation stayed numerically sound (no solver warning, finite state).
        target_motion: the target's speeds over the final window.
        goal_motion: the goal's speeds over the final window (zeros for a fixed goal).
        target_contacts: objects touching the target at the end -> total normal force, N
            ("robot" for the Panda, "world" for geometry outside the manifest).
        goal_contacts: objects touching the goal at the end (what a container holds).
        target_rolls: the target is round (`tools.tasks.round_objects`): every orientation is
            a rest pose, so its tilt is not judged.
    """

    start: Mapping[str, Pose]
    end: Mapping[str, Pose]
    max_lift: float
    target_bottom_offset: float
    final_speed: float
    fingers_touch_target: bool
    goal: GoalRegion
    healthy: bool = True
    target_motion: MotionWindow = field(default_factory=MotionWindow)
    goal_motion: MotionWindow = field(default_factory=MotionWindow)
    target_contacts: Mapping[str, float] = field(default_factory=dict)
    goal_contacts: tuple[str, ...] = ()
    target_rolls: bool = False


@dataclass(frozen=True)
class Verdict:
    """The outcome: success, the first failed check (reason), every check's value and the
    objects the `scene_disturbed` rule caught, with how far each moved and turned."""

    success: bool
    reason: str | None
    checks: dict[str, float | bool] = field(default_factory=dict)
    disturbed: tuple[Disturbance, ...] = ()


def supporters(target_id: str, goal_id: str, obs: EpisodeObservation) -> list[str]:
    """What carries the target that counts as the goal: the goal itself and, in a container,
    the free objects already inside it (they touch the goal within its footprint; the table
    under a bowl touches it too, but is not in it)."""
    loaded = [k for k, f in obs.target_contacts.items() if f >= MIN_SUPPORT_FORCE]

    def inside(k: str) -> bool:
        held = k in obs.goal_contacts and k in obs.end and k != target_id
        return held and obs.goal.contains(obs.end[k].position)

    chain = obs.goal.relation == "in"
    return [k for k in loaded if k == goal_id or (chain and inside(k))]


def _disturbed(target_id: str, obs: EpisodeObservation) -> tuple[Disturbance, ...]:
    return disturbed_objects(target_id, obs.start, obs.end, MAX_TILT_OTHERS, MAX_DROP_OTHERS)


def judge(target_id: str, goal_id: str, obs: EpisodeObservation) -> Verdict:
    """Apply the success rules in order; the first that fails is the reason.

    Rules: a sound simulation; lifted >= 3 cm; released (no finger contact); centre inside the
    goal region; bottom on the goal surface ("on") or inside the container ("in"); supported
    by the goal (or by what a container already holds); upright within 15 degrees of its start
    (not judged for a round target: an orange has no base);
    target and goal at rest over the final window; no other object tilted over or fallen.

    Args:
        target_id: the picked object.
        goal_id: the goal object (it may move a little, it must not fall).
        obs: measurements from the simulation.

    Returns:
        The verdict.
    """
    end = obs.end[target_id]
    bottom = end.position[2] - obs.target_bottom_offset
    region = obs.goal
    in_region = region.contains(end.position)
    if region.relation == "in":
        height_ok = region.floor_z - GOAL_Z_TOLERANCE <= bottom <= region.surface_z - RIM_DEPTH
    else:
        height_ok = abs(bottom - region.surface_z) <= GOAL_Z_TOLERANCE
    supported = bool(supporters(target_id, goal_id, obs))
    tilt = end.tilt_from(obs.start[target_id])
    disturbed = _disturbed(target_id, obs)
    checks: dict[str, float | bool] = {
        "max_lift_m": round(obs.max_lift, 4),
        "in_goal_region": in_region,
        "bottom_above_goal_m": round(bottom - region.surface_z, 4),
        "bottom_above_floor_m": round(bottom - region.floor_z, 4),
        "released": not obs.fingers_touch_target,
        "supported_by_goal": supported,
        "tilt_deg": round(math.degrees(tilt), 2),
        "final_speed_mps": round(obs.final_speed, 4),
        "max_speed_mps": round(min(obs.target_motion.max_linear, 1e3), 4),
        "max_angular_speed_rps": round(min(obs.target_motion.max_angular, 1e3), 4),
        "goal_max_speed_mps": round(min(obs.goal_motion.max_linear, 1e3), 4),
        "others_disturbed": len(disturbed),
        "target_rolls": obs.target_rolls,
    }
    rules = (
        ("sim_unstable", obs.healthy),
        ("not_lifted", obs.max_lift >= MIN_LIFT),
        ("not_released", not obs.fingers_touch_target),
        ("not_in_goal_region", in_region),
        ("not_in_container" if region.relation == "in" else "not_resting_on_goal", height_ok),
        ("not_supported_by_goal", supported),
        ("not_upright", obs.target_rolls or tilt <= MAX_TILT),
        ("not_at_rest", obs.target_motion.at_rest()),
        ("goal_not_at_rest", obs.goal_motion.at_rest()),
        ("scene_disturbed", not disturbed),
    )
    for reason, ok in rules:
        if not ok:
            return Verdict(False, reason, checks, disturbed)
    return Verdict(True, None, checks, disturbed)
