"""Rim grasps in the world: pinch an open container's wall, one finger inside, one outside."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from episode_generation_job.grasp import FINGERTIP_BELOW_TCP, Grasp, hand_collides
from tools.robots import FRANKA_PANDA, RobotDescription
from tools.tasks.geometry import ObjectBox
from tools.tasks.object_grasps import RIM_FINGER_CLEARANCE
from tools.tasks.rims import RimGeometry

FINGER_CLEARANCE = RIM_FINGER_CLEARANCE  # each finger clear of the wall (object_grasps')
BOX_MATCH = 0.006  # the hulls' box and the simulator's may differ this much per half size
# Held off-centre by its wall, the object swings and twists in the pads under acceleration:
# at the default 0.45 m/s pen holders fell out in 2 of 4 attempts of a bench scene.
CARRY_SPEED = 0.2


def _wrap_near(angle: float, reference: float) -> float:
    """`angle` plus a multiple of pi, as close as possible to `reference`."""
    return angle + math.pi * round((reference - angle) / math.pi)


def plan_rim_grasp(
    box: ObjectBox,
    rim: RimGeometry,
    support_top: float,
    base_xy: Sequence[float],
    reference_yaw: float,
    obstacles: Mapping[str, ObjectBox] | None = None,
    *,
    robot: RobotDescription = FRANKA_PANDA,
) -> Grasp | None:
    """The rim pinch nearest the robot whose hand keeps clear of the neighbours.

    Args:
        box: the object's box now (upright, in its heading's frame).
        rim: its rim grasps, in the hulls' box frame.
        support_top: height of the surface it stands on (the fingers stay above it).
        base_xy: the robot base (x, y): nearer rim points first.
        reference_yaw: the TCP yaw to stay close to (the two-fold symmetry picks the nearer).
        obstacles: neighbouring boxes (not the object, not its support).
        robot: whose gripper pinches (its opening).

    Returns:
        The grasp (its width is the wall's thickness), or None when the simulator's box does
        not match the hulls' (the object is tipped or scaled) or every pinch is blocked or
        carries a load moment above this robot's `rim_max_moment_kg_m`.
    """
    if any(abs(a - b) > BOX_MATCH for a, b in zip(box.half_extents, rim.half_extents, strict=True)):
        return None
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    z = max(box.top - rim.depth, support_top + FINGERTIP_BELOW_TCP)
    candidates = []
    for pinch in rim.grasps:
        x = box.centre[0] + c * pinch.x - s * pinch.y
        y = box.centre[1] + s * pinch.x + c * pinch.y
        candidates.append((math.dist((x, y), base_xy[:2]), (x, y, z), pinch))
    for _, position, pinch in sorted(candidates, key=lambda item: item[0]):
        opening = pinch.thickness + 2 * FINGER_CLEARANCE
        if opening > robot.gripper_max_width_m or pinch.moment > robot.rim_max_moment_kg_m:
            continue
        # The fingers close along the TCP's y axis, which points at yaw - pi/2.
        yaw = _wrap_near(box.yaw + pinch.angle + math.pi / 2, reference_yaw)
        if obstacles is None or not hand_collides(position, yaw, opening, obstacles):
            return Grasp(position, yaw, pinch.thickness, z - box.bottom, opening, CARRY_SPEED)
    return None
