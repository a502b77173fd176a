"""Where a robot stands: spots near the ingest pose from which objects lie in its reach,
clear of the furniture's footprints.

Ingest chooses one base for the Franka's reach (0.855 m). On a long counter that pose may
reach nothing, and a shorter arm (the xArm6's 0.70 m) reaches fewer objects from it. The
candidates are the ingest pose, then free spots on the floor near it in its own heading, by the
number of pickable objects in the robot's target band (ties: the nearest to the ingest pose).
An engine checks them in the scene (the MuJoCo backend: `backends.base_choice`, arm clear of
walls and furniture, IK above each object); `reachable_base` is the choice without one.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np

from tools.robots import RobotDescription
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap
from tools.tasks.skills import MAX_GRASP_HEIGHT, top_graspable

SEARCH_HALF_M = 0.3  # move at most this far along the base's heading (towards the surface)
# ... and this far across it, sideways along the work surface: mock and real counters are 1.5-
# 2.5 m long with their objects spread along them, beyond one station's 0.7-0.8 m reach
# (fresh kitchens 111 and 114 reached none of theirs from the ingest pose +- 30 cm).
LATERAL_HALF_M = 0.8
SEARCH_STEP_M = 0.05
FOOTPRINT_HALF_M = 0.10  # the pedestal is 0.09; 1 cm of margin
HEIGHT_BAND_M = (-0.1, 0.4)  # objects this far below/above the base count as reachable
MIN_RIM_HEIGHT_M = 0.04  # lower objects are flat (plates): no rim to pinch
# Only objects with rims 4-6 cm from the centre (mugs, pen holders) draw the base: bowls
# (7-8 cm) are carried by their rim too (per-arm limits, `tools.tasks.rims`), but they ride
# tilted in the pads, so the base is not chosen for them; stations still reach them.
MAX_RIM_LEVER_M = 0.06


def _blocked(x: float, y: float, yaw: float, obstacles: list[ObjectBox], floor: float) -> bool:
    half = (FOOTPRINT_HALF_M, FOOTPRINT_HALF_M)
    return any(
        box.top > floor + 0.02
        and rectangles_overlap((x, y), half, yaw, box.centre, box.half_extents, box.yaw)
        for box in obstacles
    )


def _pickable(box: ObjectBox, category: str, robot: RobotDescription) -> bool:
    """Whether some grasp may pick the object: a pinch across it, or maybe by a rim (which
    only its collision hulls tell: tall enough to have a wall, not a flat plate)."""
    if top_graspable(box, category, robot.max_grasp_width_m):
        return True
    lever = max(box.half_extents[:2])
    return MIN_RIM_HEIGHT_M <= 2 * box.half_extents[2] <= MAX_GRASP_HEIGHT and (
        lever <= MAX_RIM_LEVER_M
    )


def _in_band(
    boxes: list[ObjectBox], base: tuple[float, float, float], band: tuple[float, float]
) -> list[ObjectBox]:
    """The boxes a base at `base` reaches: within the band across, within HEIGHT_BAND_M up."""
    x, y, z = base
    return [
        b
        for b in boxes
        if band[0] <= math.hypot(b.centre[0] - x, b.centre[1] - y) <= band[1]
        and HEIGHT_BAND_M[0] <= b.centre[2] - z <= HEIGHT_BAND_M[1]
    ]


def _targets(
    manifest: SceneManifest, boxes: Mapping[str, ObjectBox], robot: RobotDescription
) -> list[ObjectBox]:
    roles = {o.id: o.sim_role for o in manifest.objects}
    categories = {o.id: o.category for o in manifest.objects}
    return [
        b
        for k, b in boxes.items()
        if roles.get(k) is SimRole.MANIPULABLE and _pickable(b, categories[k], robot)
    ]


def candidate_bases(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    nominal: Pose,
    robot: RobotDescription,
    targets: Collection[str] | None = None,
) -> list[tuple[Pose, list[ObjectBox]]]:
    """Free spots near `nominal` for `robot`, each with the graspable objects in its band.

    Args:
        manifest: roles, the work surface, room bounds and the floor base pose.
        boxes: measured object boxes at the authored poses.
        nominal: the mounted base pose for the ingest pose (`robot_mount.mount_pose`).
        robot: the arm to place.
        targets: the objects that count (default: those a top-down or rim pinch may pick;
            a caller with the scene's task candidates passes their targets, side grasps too).

    Returns:
        The nominal pose first, then the spots that reach at least one object, most objects
        first, nearest to the nominal pose among equals (same height and heading).
    """
    counted = (
        _targets(manifest, boxes, robot)
        if targets is None
        else [boxes[k] for k in sorted(targets) if k in boxes]
    )
    roles = {o.id: o.sim_role for o in manifest.objects}
    fixed = [b for k, b in boxes.items() if roles.get(k) in (SimRole.STATIC, SimRole.ARTICULATED)]
    floor = manifest.robot.base_pose.position[2]
    x0, y0, z = nominal.position
    c, s = math.cos(nominal.yaw), math.sin(nominal.yaw)
    room = manifest.room_bounds

    def reached(x: float, y: float) -> list[ObjectBox]:
        return _in_band(counted, (x, y, z), robot.target_band_m)

    spots: list[tuple[int, float, float, float, list[ObjectBox]]] = []
    steps = np.arange(-SEARCH_HALF_M, SEARCH_HALF_M + 1e-9, SEARCH_STEP_M)
    sideways = np.arange(-LATERAL_HALF_M, LATERAL_HALF_M + 1e-9, SEARCH_STEP_M)
    for along in steps:
        for lateral in sideways:
            if abs(along) < 1e-9 and abs(lateral) < 1e-9:
                continue
            x = x0 + along * c - lateral * s
            y = y0 + along * s + lateral * c
            inside = room.min[0] <= x <= room.max[0] and room.min[1] <= y <= room.max[1]
            if not inside or _blocked(x, y, nominal.yaw, fixed, floor):
                continue
            in_band = reached(x, y)
            if in_band:
                spots.append((-len(in_band), math.hypot(along, lateral), x, y, in_band))
    spots.sort(key=lambda spot: spot[:2])
    others = [(Pose.of((x, y, z), nominal.quat_wxyz), in_band) for _, _, x, y, in_band in spots]
    return [(nominal, reached(x0, y0)), *others]


def reachable_base(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    nominal: Pose,
    robot: RobotDescription,
) -> Pose:
    """The base pose for `robot` without an engine to check it: the ingest pose when it
    reaches a graspable object, else the nearby free spot reaching the most.

    Args:
        manifest: roles, the work surface, room bounds and the floor base pose.
        boxes: measured object boxes at the authored poses.
        nominal: the mounted base pose for the ingest pose (`robot_mount.mount_pose`).
        robot: the arm to place.

    Returns:
        The chosen base pose (same height and heading as `nominal`).
    """
    candidates = candidate_bases(manifest, boxes, nominal, robot)
    if candidates[0][1] or len(candidates) == 1:
        return nominal
    return candidates[1][0]


FACING_STEP_DEG = 30  # spots on a circle round each target, this far apart
FACING_SHARES = (0.45, 0.75, 0.95)  # ... at these shares of the way through the target band


def facing_bases(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    nominal: Pose,
    robot: RobotDescription,
    targets: Collection[str],
) -> list[tuple[Pose, list[ObjectBox]]]:
    """Free floor spots facing each target, wherever in the room it stands.

    `candidate_bases` searches round the mounted pose (along the work surface); objects on
    another counter or a cupboard across the room lie beyond it (fresh kitchen 220: every
    object the Panda could pick stood 1.3-2 m from its table). Here each target gets spots on
    circles round it, inside the target band, turned to face it, pedestal clear of the
    furniture (same height as `nominal`).

    Args:
        manifest: roles, room bounds and the floor base pose.
        boxes: object boxes at rest.
        nominal: the mounted base pose (its height is kept).
        robot: the arm.
        targets: the objects that count (the scene's task candidates' targets).

    Returns:
        Spots with the counted objects in their band, most objects first, then by target id
        and angle (a pure function of the scene).
    """
    counted = [boxes[k] for k in sorted(targets) if k in boxes]
    roles = {o.id: o.sim_role for o in manifest.objects}
    fixed = [b for k, b in boxes.items() if roles.get(k) in (SimRole.STATIC, SimRole.ARTICULATED)]
    floor = manifest.robot.base_pose.position[2]
    z = nominal.position[2]
    room = manifest.room_bounds
    low, high = robot.target_band_m
    spots: list[tuple[int, int, tuple[float, float, float], list[ObjectBox]]] = []
    for order, target in enumerate(counted):
        if not HEIGHT_BAND_M[0] <= target.centre[2] - z <= HEIGHT_BAND_M[1]:
            continue
        for share in FACING_SHARES:
            radius = low + share * (high - low)
            for step in range(0, 360, FACING_STEP_DEG):
                angle = math.radians(step)
                x = target.centre[0] + radius * math.cos(angle)
                y = target.centre[1] + radius * math.sin(angle)
                yaw = angle + math.pi  # facing the target
                margin = FOOTPRINT_HALF_M
                inside = (
                    room.min[0] + margin <= x <= room.max[0] - margin
                    and room.min[1] + margin <= y <= room.max[1] - margin
                )
                if not inside or _blocked(x, y, yaw, fixed, floor):
                    continue
                in_band = _in_band(counted, (x, y, z), robot.target_band_m)
                spots.append((-len(in_band), order, (x, y, yaw), in_band))
    spots.sort(key=lambda spot: spot[:2])
    return [
        (Pose.of((x, y, z), (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))), in_band)
        for _, _, (x, y, yaw), in_band in spots
    ]
