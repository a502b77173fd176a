"""Where a robot other than the one ingest placed stands: a base pose per scene from which the
work surface's objects lie in its reach, clear of the furniture.

Ingest chooses the base for the Franka's reach (0.855 m); a shorter arm (the xArm6's 0.70 m) on
the same spot reaches fewer objects. The base is moved on the floor near the ingest pose, in
its own heading, to the free spot that brings the most graspable objects into the robot's
target band (ties: the nearest to the ingest pose) — only when the ingest pose reaches none:
a spot that counts more objects in reach may still plan worse (a taller neighbour raises the
carry height beyond a short arm's reach), so a pose that has something to pick is kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from tools.robots import RobotDescription
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap
from tools.tasks.skills import top_graspable

SEARCH_HALF_M = 0.3  # move at most this far along and across the base's heading
SEARCH_STEP_M = 0.05
FOOTPRINT_HALF_M = 0.10  # the pedestal is 0.09; 1 cm of margin
HEIGHT_BAND_M = (-0.1, 0.4)  # objects this far below/above the base count as reachable


def _reached(robot: RobotDescription, x: float, y: float, z: float, boxes: list[ObjectBox]) -> int:
    low, high = robot.target_band_m
    count = 0
    for box in boxes:
        radius = math.hypot(box.centre[0] - x, box.centre[1] - y)
        height = box.centre[2] - z
        if low <= radius <= high and HEIGHT_BAND_M[0] <= height <= HEIGHT_BAND_M[1]:
            count += 1
    return count


def _blocked(x: float, y: float, yaw: float, obstacles: list[ObjectBox], floor: float) -> bool:
    half = (FOOTPRINT_HALF_M, FOOTPRINT_HALF_M)
    return any(
        box.top > floor + 0.02
        and rectangles_overlap((x, y), half, yaw, box.centre, box.half_extents, box.yaw)
        for box in obstacles
    )


def reachable_base(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    nominal: Pose,
    robot: RobotDescription,
) -> Pose:
    """The base pose for `robot`: the ingest pose, or a nearby free one reaching more objects.

    Args:
        manifest: roles, the work surface, room bounds and the floor base pose.
        boxes: measured object boxes at the authored poses.
        nominal: the mounted base pose for the ingest pose (`robot_mount.mount_pose`).
        robot: the arm to place.

    Returns:
        The chosen base pose (same height and heading as `nominal`).
    """
    roles = {o.id: o.sim_role for o in manifest.objects}
    categories = {o.id: o.category for o in manifest.objects}
    targets = [
        b
        for k, b in boxes.items()
        if roles.get(k) is SimRole.MANIPULABLE
        and top_graspable(b, categories[k], robot.max_grasp_width_m)
    ]
    fixed = [b for k, b in boxes.items() if roles.get(k) in (SimRole.STATIC, SimRole.ARTICULATED)]
    floor = manifest.robot.base_pose.position[2]
    x0, y0, z = nominal.position
    yaw = nominal.yaw
    c, s = math.cos(yaw), math.sin(yaw)
    room = manifest.room_bounds
    best = (_reached(robot, x0, y0, z, targets), 0.0, x0, y0)
    if best[0] > 0:
        return nominal
    steps = np.arange(-SEARCH_HALF_M, SEARCH_HALF_M + 1e-9, SEARCH_STEP_M)
    for along in steps:
        for lateral in steps:
            x = x0 + along * c - lateral * s
            y = y0 + along * s + lateral * c
            inside = room.min[0] <= x <= room.max[0] and room.min[1] <= y <= room.max[1]
            if not inside or _blocked(x, y, yaw, fixed, floor):
                continue
            score = (_reached(robot, x, y, z, targets), -math.hypot(along, lateral), x, y)
            if score[:2] > best[:2]:
                best = score
    _, _, x, y = best
    return Pose.of((x, y, z), nominal.quat_wxyz)
