"""The grasps tasks use, in an object's own frame: one source for the episodes and the export.

The episodes pinch an object top-down across the narrow side of its box (`box_pinches`,
placed in the world by `episode_generation_job.grasp`), by its rim (`tools.tasks.rims`) or,
a tall narrow one, from the side across its body (`side_headings`, at `SIDE_HEIGHT_FRACTION`
of its height: `episode_generation_job.side_grasp`); which is `tools.tasks.skills.grasp_skill`'s
decision. `object_grasp_poses` gives
the same grasps as Genie Sim grasp poses (`grasp_pose.pkl`) for the Genie Sim export.

Genie Sim's convention (GraspNet-style): each 4x4 pose is in the asset frame; its x axis is
the approach (straight down here), y the closing direction between the fingers, z = x cross
y, its origin the point between the fingers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.tasks.geometry import ObjectBox
from tools.tasks.rims import RimGeometry
from tools.tasks.skills import RIM, SIDE, TOP, grasp_skill

FloatArray = NDArray[np.float64]
MAX_DEPTH_BELOW_TOP = 0.035  # a pinch holds at most this far below the object's top
OPENING_MARGIN = 0.025  # open this much wider than the object, not fully: spares neighbours
SQUARE_TOLERANCE = 0.01  # footprints this close to square can be pinched either way
RIM_FINGER_CLEARANCE = 0.012  # each finger opens this far clear of a rim's wall
SIDE_HEIGHT_FRACTION = 0.35  # a side grasp closes this far up the object: below its centre
SIDE_HEADINGS = 8  # approach directions of a round (near-square) object's side grasps
_FLIP = np.diag([1.0, -1.0, -1.0, 1.0])  # the same pinch, fingers swapped


@dataclass(frozen=True)
class BoxPinch:
    """A top-down pinch across an object's box, in the box's frame.

    Attributes:
        angle: heading of the closing direction from the box's x axis, radians.
        depth: how far below the box's top the point between the fingers is, metres.
        width: the object's width between the fingers, metres.
        opening: the finger opening to approach and release with, metres.
    """

    angle: float
    depth: float
    width: float
    opening: float


def box_pinches(
    half_extents: Sequence[float], max_width: float, gripper_width: float
) -> list[BoxPinch]:
    """Pinches across the narrow horizontal side, centred, a little below the top; a
    near-square footprint also across the other side (first listed, first tried).

    Args:
        half_extents: the box's half sizes (x, y, z).
        max_width: the widest object the gripper closes across (opening less clearance).
        gripper_width: the gripper's full opening.

    Returns:
        The pinches (none when the object is wider than `max_width`).
    """
    hx, hy, hz = (float(v) for v in half_extents[:3])
    width = 2 * min(hx, hy)
    if width > max_width:
        return []
    angles = [0.0 if hx <= hy else math.pi / 2]
    if abs(hx - hy) <= SQUARE_TOLERANCE:
        angles.append(angles[0] + math.pi / 2)
    depth = min(MAX_DEPTH_BELOW_TOP, hz)
    opening = min(gripper_width, width + OPENING_MARGIN)
    return [BoxPinch(angle, depth, width, opening) for angle in angles]


def side_headings(half_extents: Sequence[float]) -> list[float]:
    """Approach directions (in the box's frame) of side grasps closing across its narrow
    side: along its long side both ways, or all round a near-square footprint."""
    hx, hy = float(half_extents[0]), float(half_extents[1])
    if abs(hx - hy) <= SQUARE_TOLERANCE:
        return [2 * math.pi * k / SIDE_HEADINGS for k in range(SIDE_HEADINGS)]
    along = 0.0 if hx > hy else math.pi / 2
    return [along, along + math.pi]


def _side_pose(position: Sequence[float], heading: float) -> FloatArray:
    pose = np.eye(4)
    approach = np.array([math.cos(heading), math.sin(heading), 0.0])
    closing = np.array([-math.sin(heading), math.cos(heading), 0.0])
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = approach, closing, np.cross(approach, closing)
    pose[:3, 3] = position
    return pose


@dataclass(frozen=True)
class GraspPoses:
    """Grasp poses (N, 4, 4) in an object's frame and the opening each needs (N,)."""

    poses: FloatArray
    openings: FloatArray

    def __len__(self) -> int:
        return int(self.poses.shape[0])


def _pose(position: Sequence[float], angle: float) -> FloatArray:
    pose = np.eye(4)
    approach = np.array([0.0, 0.0, -1.0])
    closing = np.array([math.cos(angle), math.sin(angle), 0.0])
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = approach, closing, np.cross(approach, closing)
    pose[:3, 3] = position
    return pose


def object_grasp_poses(
    half_extents: Sequence[float],
    category: str,
    max_width: float,
    gripper_width: float,
    rim: RimGeometry | None = None,
    rim_origin: Sequence[float] = (0.0, 0.0, 0.0),
) -> GraspPoses:
    """The grasps the episodes would use on an object, as poses in its box-centred frame.

    Args:
        half_extents: the object's box half sizes, the box centred on the frame's origin.
        category: its manifest category (straight-sided ones may be pinched when taller).
        max_width: the widest object the gripper closes across.
        gripper_width: the gripper's full opening.
        rim: its pinchable rim, in the collision hulls' frame (None: none).
        rim_origin: where the box-centred frame's origin lies in the hulls' frame.

    Returns:
        Each grasp in both finger orders; empty when no grasp fits.
    """
    hx, hy, hz = (float(v) for v in half_extents[:3])
    box = ObjectBox("object", (0.0, 0.0, 0.0), (hx, hy, hz), 0.0)
    kind = grasp_skill(box, category, max_width, has_rim=rim is not None)
    poses: list[FloatArray] = []
    openings: list[float] = []
    if kind == TOP:
        for pinch in box_pinches(half_extents, max_width, gripper_width):
            poses.append(_pose((0.0, 0.0, hz - pinch.depth), pinch.angle))
            openings.append(pinch.opening)
    elif kind == SIDE:
        height = (2 * SIDE_HEIGHT_FRACTION - 1.0) * hz  # from the centre: 35 % up the object
        opening = min(gripper_width, 2 * min(hx, hy) + OPENING_MARGIN)
        for heading in side_headings(half_extents):
            poses.append(_side_pose((0.0, 0.0, height), heading))
            openings.append(opening)
    elif kind == RIM and rim is not None:
        rim_poses, rim_openings = rim.grasp_poses(RIM_FINGER_CLEARANCE)
        for pose, opening in zip(rim_poses, rim_openings, strict=True):
            if opening <= gripper_width:
                moved = pose.copy()
                moved[:3, 3] -= np.asarray(rim_origin, dtype=float)
                poses.append(moved)
                openings.append(float(opening))
    if not poses:
        return GraspPoses(np.zeros((0, 4, 4)), np.zeros(0))
    both = [p for pose in poses for p in (pose, pose @ _FLIP)]
    return GraspPoses(np.stack(both), np.repeat(np.asarray(openings, dtype=float), 2))
