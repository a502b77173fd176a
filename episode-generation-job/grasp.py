"""Top-down grasps chosen from an object's measured box: across its narrow horizontal side.

The pinches themselves (which side, how deep, how wide open) are `tools.tasks.object_grasps`'s,
the one source the Genie Sim export's grasp poses come from too; here they are placed in the
world, above the support, clear of the neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tools.robots import FRANKA_PANDA, RobotDescription
from tools.tasks.geometry import ObjectBox, rectangles_overlap
from tools.tasks.object_grasps import box_pinches

FINGERTIP_BELOW_TCP = 0.012  # the pads reach this far below the TCP (plus a margin)
# The hand (without fingers) as a box in the TCP frame: long along the finger axis (TCP y).
HAND_HALF = (0.035, 0.11)
HAND_BOTTOM_ABOVE_TCP = 0.035
FINGER_HALF_X = 0.015


@dataclass(frozen=True)
class Grasp:
    """A top-down grasp: TCP position and yaw, and the object's width across the fingers.

    Attributes:
        position: TCP (x, y, z) at the grasp.
        yaw: TCP heading about world z (the fingers close along the TCP's y axis).
        width: object width between the fingers, metres.
        drop: how far the object's bottom hangs below the TCP once grasped.
        opening: finger opening to approach and release with, metres.
        carry_speed: peak TCP speed with the object, m/s (None: the motion's default).
    """

    position: tuple[float, float, float]
    yaw: float
    width: float
    drop: float
    opening: float
    carry_speed: float | None = None


def _wrap_near(angle: float, reference: float) -> float:
    """`angle` plus a multiple of pi, as close as possible to `reference`."""
    return angle + math.pi * round((reference - angle) / math.pi)


def hand_collides(
    position: tuple[float, float, float],
    yaw: float,
    opening: float,
    obstacles: Mapping[str, ObjectBox],
) -> bool:
    """Whether the hand or the open fingers at a TCP pose would hit an obstacle's box.

    Args:
        position: TCP position.
        yaw: TCP yaw.
        opening: finger opening, metres.
        obstacles: boxes to keep clear of.

    Returns:
        True on any overlap.
    """
    fingers_half = (FINGER_HALF_X, opening / 2 + 0.012)
    for box in obstacles.values():
        if box.top > position[2] + HAND_BOTTOM_ABOVE_TCP and rectangles_overlap(
            position, HAND_HALF, yaw, box.centre, box.half_extents, box.yaw
        ):
            return True
        if box.top > position[2] - FINGERTIP_BELOW_TCP and rectangles_overlap(
            position, fingers_half, yaw, box.centre, box.half_extents, box.yaw
        ):
            return True
    return False


def plan_grasp(
    box: ObjectBox,
    support_top: float,
    reference_yaw: float,
    obstacles: Mapping[str, ObjectBox] | None = None,
    *,
    robot: RobotDescription = FRANKA_PANDA,
) -> Grasp | None:
    """Grasp across the narrow horizontal dimension, centred, a little below the top.

    Near-square footprints may be grasped across either side: the first whose hand and finger
    boxes keep clear of the neighbours wins.

    Args:
        box: the object's box now.
        support_top: height of the surface it stands on (the fingers must stay above it).
        reference_yaw: the TCP yaw to stay close to (the two-fold symmetry picks the nearer).
        obstacles: neighbouring boxes (not the object, not its support).
        robot: whose gripper grasps (its opening and clearance).

    Returns:
        The grasp, or None when the object is wider than the gripper opens or the hand would
        hit a neighbour.
    """
    for pinch in box_pinches(box.half_extents, robot.max_grasp_width_m, robot.gripper_max_width_m):
        z = max(box.top - pinch.depth, support_top + FINGERTIP_BELOW_TCP)
        position = (box.centre[0], box.centre[1], z)
        # The fingers close along the TCP's y axis; the TCP y axis points at yaw - pi/2.
        yaw = _wrap_near(box.yaw + pinch.angle + math.pi / 2, reference_yaw)
        if obstacles is None or not hand_collides(position, yaw, pinch.opening, obstacles):
            return Grasp(position, yaw, pinch.width, z - box.bottom, pinch.opening)
    return None
