"""Planning a side-grasp pick and place from the simulated state (`side_grasp`'s motion).

Before any simulation the plan is refused when the hand's horizontal sweep (from its
stand-off to the grasp, and out again at the goal) would run into a neighbour, when the
object would be carried into something taller along the way, when no joint solution reaches
it, or when an arm link would hit the room or the furniture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from episode_generation_job.backends.base import CONTROL_HZ, SimBackend
from episode_generation_job.controller import JointPlan, UnreachableError
from episode_generation_job.grasp import HAND_HALF
from episode_generation_job.path_clearance import segment_box_distance_xy
from episode_generation_job.side_grasp import (
    HAND_BELOW_TCP,
    LIFT,
    STANDOFF,
    SideGrasp,
    plan_side_grasps,
    plan_side_pick_place,
)
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox, rectangles_overlap
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

HAND_DEPTH = 0.15  # the hand and wrist reach this far behind the TCP along the approach
# The hand's box (`grasp.HAND_HALF`): along the closing direction, and across it (vertical
# when the hand is held sideways).
HAND_HALF_HEIGHT, HAND_HALF_WIDTH = HAND_HALF
FINGER_TIP_AHEAD = 0.02  # the fingertips reach this far past the TCP
CARRY_MARGIN = 0.03  # the carried object's bottom clears obstacles by this much
OVER_MARGIN = 0.03  # the hand comes down to its stand-off from this far over what is there


class AttemptScene(NamedTuple):
    """What a side or sampled-grasp plan reads from the scene at an attempt's start.

    Attributes:
        target: the target's box.
        support_top: the height it stands on.
        region: the goal region.
        others: every other object's box but the support's.
        at_goal: those, less the goal's.
    """

    target: ObjectBox
    support_top: float
    region: GoalRegion
    others: dict[str, ObjectBox]
    at_goal: dict[str, ObjectBox]


def attempt_scene(backend: SimBackend, task: PickPlaceTask) -> AttemptScene:
    """The target, its support's top, the goal region and the neighbours, from the backend's
    current state."""
    boxes = backend.object_boxes()
    target = boxes[task.target_id]
    support_top = boxes[task.support_id].top if task.support_id in boxes else target.bottom
    region = task.goal_region(boxes[task.goal_id], target.footprint_radius)
    others = {k: b for k, b in boxes.items() if k not in (task.target_id, task.support_id)}
    at_goal = {k: b for k, b in others.items() if k != task.goal_id}
    return AttemptScene(target, support_top, region, others, at_goal)


def sweep_collides(
    tcp: tuple[float, float, float], heading: float, obstacles: Mapping[str, ObjectBox]
) -> bool:
    """Whether the sideways hand, moved in along `heading` from `STANDOFF` out to the TCP
    pose `tcp`, would overlap an obstacle's box."""
    back, ahead = STANDOFF + HAND_DEPTH, FINGER_TIP_AHEAD
    middle = (ahead - back) / 2
    c, s = math.cos(heading), math.sin(heading)
    centre = (tcp[0] + middle * c, tcp[1] + middle * s)
    half = ((ahead + back) / 2, HAND_HALF_WIDTH)
    low, high = tcp[2] - HAND_HALF_HEIGHT, tcp[2] + HAND_HALF_HEIGHT
    return any(
        box.top > low
        and box.bottom < high
        and rectangles_overlap(centre, half, heading, box.centre, box.half_extents, box.yaw)
        for box in obstacles.values()
    )


def _carry_top(
    grasp: SideGrasp,
    goal_xy: tuple[float, float],
    target: ObjectBox,
    obstacles: Mapping[str, ObjectBox],
) -> float:
    """The highest obstacle top near the straight carry path (the goal's own surface too)."""
    reach = target.footprint_radius + HAND_HALF_WIDTH
    tops = [
        box.top
        for box in obstacles.values()
        if segment_box_distance_xy(grasp.position, (*goal_xy, 0.0), box) <= reach
    ]
    return max(tops, default=-math.inf)


def _come_down_from(
    grasp: SideGrasp, target: ObjectBox, obstacles: Mapping[str, ObjectBox]
) -> float:
    """The TCP height over the stand-off from which the sideways hand comes straight down:
    its lowest part clears the target and the neighbours within the hand's reach there."""
    c, s = math.cos(grasp.heading), math.sin(grasp.heading)
    x, y = grasp.position[0] - STANDOFF * c, grasp.position[1] - STANDOFF * s
    reach = HAND_DEPTH + HAND_HALF_WIDTH
    tops = [
        box.top
        for box in obstacles.values()
        if segment_box_distance_xy((x, y, 0.0), (x, y, 0.0), box) <= reach
    ]
    return max([target.top, *tops]) + HAND_BELOW_TCP + OVER_MARGIN


def plan_side_attempt(
    backend: SimBackend, kinematics: ArmKinematics, task: PickPlaceTask, gripper: float
) -> tuple[JointPlan, GoalRegion, ObjectBox, float] | str:
    """Plan a side-grasp pick and place from the backend's current state.

    Args:
        backend: the scene, already reset.
        kinematics: the arm at the base pose.
        task: what to do (its grasp is `tools.tasks.skills.SIDE`).
        gripper: the gripper command at the start.

    Returns:
        (joint plan, goal region, target box, grasp width) of the first side grasp (nearest
        the line from the base first) whose plan passes, or why the last one failed:
        "not_graspable" (none fits, or the hand's sweep hits a neighbour at the object or the
        goal), "unreachable", "arm_collision".
    """
    target, support_top, region, others, at_goal = attempt_scene(backend, task)
    base = backend.robot_base
    grasps = plan_side_grasps(target, support_top, base.position[:2], kinematics.robot.description)
    reason = "not_graspable"
    for grasp in grasps:
        place = (region.centre[0], region.centre[1], region.surface_z + grasp.height)
        if sweep_collides(grasp.position, grasp.heading, others) or sweep_collides(
            place, grasp.heading, at_goal
        ):
            continue
        highest = _carry_top(grasp, region.centre, target, at_goal)
        lift = max(LIFT, highest + CARRY_MARGIN + grasp.height - max(grasp.position[2], place[2]))
        # From over the stand-off where that plan passes, else straight to it (tasks kept).
        for over in (_come_down_from(grasp, target, others), None):
            try:
                plan = plan_side_pick_place(
                    kinematics, grasp, region.centre, region.surface_z,
                    backend.arm_qpos(), gripper, CONTROL_HZ, lift=lift, come_down_from=over,
                )  # fmt: skip
            except UnreachableError:
                reason = "unreachable"
                continue
            if backend.arm_path_collisions(plan.arm):
                reason = "arm_collision"
                continue
            return plan, region, target, grasp.width
    return reason
