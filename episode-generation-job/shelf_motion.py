"""Set a target down on a shelf board with another board above it: in through the open side.

The lift-over motion (`motion.plan_pick_place`) carries the object above every obstacle near
its path and lowers it from above; with a board over the goal that passes through the board,
so the plan check refused every such goal. Here the hand lifts the object off its support,
carries it to a point in front of the slot at the board's level, slides it in horizontally,
sets it down, opens and withdraws the way it came. The fingers close along the TCP's y axis,
so the hand turns its x axis along the way in: the open fingers then slide out past the
object's sides. Joints come from IK that keeps the arm off the goal furniture and the
target's support (`SimBackend.collision_aware_ik`, mink on MuJoCo), time-scaled like every
segment (`time_scaling`, toppra); the plan check then runs on the result as on any plan.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from episode_generation_job.backends.base import CONTROL_HZ, SimBackend
from episode_generation_job.controller import JointPlan, UnreachableError, plan_joints
from episode_generation_job.grasp import Grasp
from episode_generation_job.motion import CARRY_SPEED, CLOSED, PLACE_ABOVE, Segment, _duration
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox
from tools.tasks.surfaces import GoalSurface
from tools.tasks.task_specifier import GoalRegion

SLIDE_ABOVE = 0.025  # the object's bottom this far above the board on the way in and out
FRONT_GAP = 0.05  # the object's footprint this far out of the board's edge in front
LIFT_ABOVE = 0.05  # lift the object's bottom this far above its support before carrying
PLANNER = "mink"


@dataclass(frozen=True)
class AroundPlan(JointPlan):
    """A joint plan the lift-over motion could not give, and how it was found.

    Attributes:
        planner: the library that solved its IK around the furniture.
        plan_s: CPU seconds spent planning it.
    """

    planner: str = PLANNER
    plan_s: float = 0.0


def slot_exit(
    surface: GoalSurface, centre: Sequence[float], toward: Sequence[float]
) -> tuple[float, float, float]:
    """The open side of a shelf slot, seen from `toward` (the robot's base).

    Args:
        surface: the board.
        centre: the goal's (x, y) on it.
        toward: a point outside the shelf the object comes from.

    Returns:
        (ux, uy, depth): the unit direction out of the slot (one of the board's axes,
        the nearest to `toward`) and the distance from `centre` to the board's edge along it.
    """
    box = surface.box
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    dx, dy = toward[0] - centre[0], toward[1] - centre[1]
    local = box.local_xy(centre)
    best: tuple[float, float, float, float] | None = None
    for axis, (ux, uy) in enumerate(((c, s), (-s, c))):
        for sign in (1.0, -1.0):
            score = sign * (ux * dx + uy * dy)
            depth = box.half_extents[axis] - sign * float(local[axis])
            if best is None or score > best[0]:
                best = (score, sign * ux, sign * uy, depth)
    assert best is not None
    return best[1], best[2], max(best[3], 0.0)


def _wrap_near(angle: float, reference: float) -> float:
    """`angle` or `angle + pi` (the two-finger hand is symmetric), nearest `reference`."""
    options = [angle + k * math.pi for k in range(-3, 4)]
    return min(options, key=lambda a: abs(a - reference))


def shelf_segments(
    grasp: Grasp,
    target: ObjectBox,
    region: GoalRegion,
    surface: GoalSurface,
    base_xy: Sequence[float],
    support_top: float,
) -> tuple[list[Segment], list[Segment]]:
    """Key poses of the pick (approach, descend, close, lift) and of the way into the slot.

    Args:
        grasp: the chosen grasp.
        target: the target's box now.
        region: the goal square on the board (its landing height).
        surface: the board.
        base_xy: the robot's base (x, y): the slot is entered from its side.
        support_top: the surface the target stands on.

    Returns:
        (pick segments, slot segments: carry, level, insert, lower, release, withdraw).
    """
    gx, gy, gz = grasp.position
    ux, uy, depth = slot_exit(surface, region.centre, base_xy)
    place_yaw = _wrap_near(math.atan2(uy, ux), grasp.yaw)
    turn = place_yaw - grasp.yaw
    ox, oy = grasp.position[0] - target.centre[0], grasp.position[1] - target.centre[1]
    c, s = math.cos(turn), math.sin(turn)
    tx, ty = c * ox - s * oy, s * ox + c * oy  # the TCP off the object's centre, turned
    place_z = region.surface_z + grasp.drop + PLACE_ABOVE
    slide_z = place_z + SLIDE_ABOVE
    out = depth + target.footprint_radius + FRONT_GAP
    cx, cy = region.centre
    inside = (cx + tx, cy + ty)
    front = (inside[0] + ux * out, inside[1] + uy * out)
    lift_z = max(gz + LIFT_ABOVE, support_top + grasp.drop + LIFT_ABOVE)
    travel_z = max(lift_z, slide_z)
    grasp_pose, lifted = (gx, gy, gz), (gx, gy, travel_z)
    carried = (front[0], front[1], travel_z)
    level, slid = (front[0], front[1], slide_z), (inside[0], inside[1], slide_z)
    placed, withdrawn = (inside[0], inside[1], place_z), (front[0], front[1], place_z)
    yaw = grasp.yaw
    pick = [
        Segment("approach", (gx, gy, gz + 0.10), yaw, grasp.opening, 1.4),
        Segment("descend", grasp_pose, yaw, grasp.opening, 0.8),
        Segment("close", grasp_pose, yaw, CLOSED, 0.5),
        Segment("lift", lifted, yaw, CLOSED, _duration(grasp_pose, lifted, CARRY_SPEED, 0.8)),
    ]
    carry = grasp.carry_speed or CARRY_SPEED
    slot = [
        Segment("transport", carried, place_yaw, CLOSED, _duration(lifted, carried, carry, 1.2)),
        Segment("transport", level, place_yaw, CLOSED, _duration(carried, level, carry, 0.4)),
        Segment("insert", slid, place_yaw, CLOSED, _duration(level, slid, carry, 0.8)),
        Segment("lower", placed, place_yaw, CLOSED, _duration(slid, placed, carry, 0.5)),
        Segment("release", placed, place_yaw, grasp.opening, 0.4),
        Segment("withdraw", withdrawn, place_yaw, grasp.opening, 1.0),
    ]
    return pick, slot


def plan_into_slot(
    backend: SimBackend,
    kinematics: ArmKinematics,
    grasp: Grasp,
    target: ObjectBox,
    region: GoalRegion,
    surface: GoalSurface,
    support: str | None,
    support_top: float,
    gripper: float,
) -> AroundPlan | None:
    """The whole pick and set-down into a shelf slot as joint targets, or None.

    Args:
        backend: the scene at the attempt's start state.
        kinematics: the arm's kinematics at the base (the pick: plain IK, as any pick).
        grasp: the chosen grasp.
        target: the target's box now.
        region: the goal square on the board.
        surface: the board.
        support: the furniture the target stands on (kept clear too), if known.
        support_top: its top.
        gripper: the gripper command at the start.

    Returns:
        The plan (with its planning CPU), or None where the IK cannot reach a pose or this
        engine has no collision-aware IK.
    """
    started = time.process_time()
    obstacles = [surface.object_id, *([support] if support else [])]
    around = backend.collision_aware_ik(obstacles)
    if around is None:
        return None
    base = backend.robot_base.position
    pick, slot = shelf_segments(grasp, target, region, surface, base[:2], support_top)
    try:
        first = plan_joints(kinematics, pick, backend.arm_qpos(), gripper, CONTROL_HZ)
        rest = plan_joints(around, slot, first.arm[-1], CLOSED, CONTROL_HZ)
    except UnreachableError:
        return None
    return AroundPlan(
        np.vstack([first.arm, rest.arm]),
        np.concatenate([first.gripper, rest.gripper]),
        first.phases + rest.phases,
        first.stretched_segments + rest.stretched_segments,
        PLANNER,
        time.process_time() - started,
    )
