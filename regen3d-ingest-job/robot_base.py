"""Robot base placement: on the floor beside the main work surface's long edge, facing it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from regen3d_ingest_job.placement import FLOOR, PlacedObject
from regen3d_ingest_job.poses import yaw_of
from tools.robots import DEFAULT_ROBOT, RobotDescription
from tools.scene_manifest import SimRole

BASE_RADIUS_M = 0.15  # footprint radius kept clear of furniture and walls
_STANDOFFS_M = np.arange(BASE_RADIUS_M, 0.451, 0.05)  # base centre to the surface edge
_ALONG_SAMPLES = 13
_OBSTACLE_MAX_BOTTOM_M = 0.5  # only objects reaching down to here can block the base
WORK_SURFACE_CATEGORIES = frozenset(
    {"table", "side_table", "coffee_table", "desk", "counter", "kitchen_island", "workbench"}
)

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Footprint:
    """An oriented rectangle on the floor: centre, unit axes as rows (2, 2), half sizes."""

    centre: Array
    axes: Array
    half: Array

    def distance(self, points: Array) -> Array:
        """(P,) distance from each (P, 2) point to the rectangle (0 inside)."""
        local = (points - self.centre) @ self.axes.T
        outside = np.maximum(np.abs(local) - self.half, 0.0)
        result: Array = np.linalg.norm(outside, axis=1)
        return result


@dataclass(frozen=True)
class RobotPlacement:
    """Where the robot stands and how well it reaches its work surface.

    Attributes:
        position: (3,) base position, metres (z = 0).
        yaw: heading of the base's +X axis, radians.
        work_surface: the support it works on, if any.
        reach_fraction: share of the surface's manipulable objects within reach.
        max_reach_m: the farthest such object from the shoulder, metres.
        note: what was decided.
    """

    position: Array
    yaw: float
    work_surface: str | None
    reach_fraction: float
    max_reach_m: float
    note: str


def footprint(obj: PlacedObject) -> Footprint:
    """The object's footprint: its oriented canonical box if upright, else its world AABB."""
    if abs(obj.rotation[2, 2]) > 0.999:
        yaw = yaw_of(obj.rotation)
        low, high = obj.local.min(axis=0), obj.local.max(axis=0)
        c, s = np.cos(yaw), np.sin(yaw)
        axes = np.array([[c, s], [-s, c]])
        centre = obj.translation[:2] + ((low[:2] + high[:2]) / 2) @ axes
        return Footprint(centre, axes, (high[:2] - low[:2]) / 2)
    low, high = obj.bounds()
    return Footprint((low[:2] + high[:2]) / 2, np.eye(2), (high[:2] - low[:2]) / 2)


def choose_work_surface(objects: Sequence[PlacedObject]) -> PlacedObject | None:
    """The support holding the most manipulable objects, preferring work-surface furniture.

    Tables, desks, counters and workbenches come first (a storage rack full of boxes is not
    where a robot works); any other support is used only when none of them carries an
    object. Ties go to the larger footprint.

    Args:
        objects: every placed object.

    Returns:
        The surface, or None when no manipulable object rests on another object.
    """
    counts = Counter(
        o.support
        for o in objects
        if o.role is SimRole.MANIPULABLE and o.support not in (None, FLOOR)
    )
    by_id = {o.object_id: o for o in objects}
    candidates = [by_id[i] for i in counts if i in by_id]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda o: (o.category in WORK_SURFACE_CATEGORIES, counts[o.object_id], _area(o)),
    )


def place_robot(
    objects: Sequence[PlacedObject],
    room_low: Array,
    room_high: Array,
    robot: RobotDescription = DEFAULT_ROBOT,
) -> RobotPlacement:
    """Stand the robot beside the work surface's long edge so its objects are within reach.

    Candidates along both long edges at several stand-offs are ranked: clear of furniture and
    inside the room (its bounds and the room mesh's walls) first, then by how many targets are
    within reach of the shoulder (a long counter can hold more than one arm reaches), then by
    the farthest target's distance.

    Args:
        objects: every placed object.
        room_low: (3,) room bounds minimum.
        room_high: (3,) room bounds maximum.
        robot: whose reach (its datasheet reach from its shoulder) counts the targets; the
            default robot's (`tools.robots.DEFAULT_ROBOT`, what an unset ROBOT selects).

    Returns:
        The placement.
    """
    surface = choose_work_surface(objects)
    if surface is None:
        statics = [o for o in objects if o.role is SimRole.STATIC]
        if not statics:
            centre = (room_low + room_high) / 2
            return RobotPlacement(
                np.array([centre[0], centre[1], 0.0]), 0.0, None, 0.0, 0.0, "no furniture"
            )
        surface = max(statics, key=_area)
    targets = np.array(
        [
            np.mean(o.bounds(), axis=0)
            for o in objects
            if o.support == surface.object_id and o.role is SimRole.MANIPULABLE
        ]
    ).reshape(-1, 3)
    top = float(surface.bounds()[1][2])
    if len(targets) == 0:
        centre = footprint(surface).centre
        targets = np.array([[centre[0], centre[1], top]])
    return _best_candidate(surface, targets, objects, room_low, room_high, robot)


def _inside_walls(points: Array, objects: Sequence[PlacedObject]) -> NDArray[np.bool_]:
    """(P,) whether each (P, 2) point is inside the room mesh's floor outline by the base radius.

    The room bounds are axis-aligned: in a room turned on the floor their corners lie behind
    the walls, and a base there stands in the wall's collider (office 96: 13 cm behind the
    wall, every planned arm path in it). The outline is the convex hull of the room mesh seen
    from above: exact for a rectangular room, never tighter than its walls.
    """
    rooms = [o for o in objects if o.role is SimRole.BACKGROUND]
    if not rooms:
        return np.ones(len(points), dtype=bool)
    outline = shapely.MultiPoint(np.vstack([o.world_vertices()[:, :2] for o in rooms]))
    inner = outline.convex_hull.buffer(-BASE_RADIUS_M)
    inside: NDArray[np.bool_] = shapely.contains_xy(inner, points[:, 0], points[:, 1])
    return inside


def _area(obj: PlacedObject) -> float:
    return float(np.prod(np.ptp(obj.local, axis=0)[:2]))


def _best_candidate(
    surface: PlacedObject,
    targets: Array,
    objects: Sequence[PlacedObject],
    room_low: Array,
    room_high: Array,
    robot: RobotDescription,
) -> RobotPlacement:
    rect = footprint(surface)
    long_axis = 0 if rect.half[0] >= rect.half[1] else 1
    along, across = rect.axes[long_axis], rect.axes[1 - long_axis]
    half_long, half_short = rect.half[long_axis], rect.half[1 - long_axis]
    obstacles = [
        footprint(o)
        for o in objects
        if o is not surface
        and o.role is not SimRole.BACKGROUND
        and float(o.bounds()[0][2]) < _OBSTACLE_MAX_BOTTOM_M
    ]
    rows = []
    for side in (1.0, -1.0):
        for offset in np.linspace(-half_long, half_long, _ALONG_SAMPLES):
            for standoff in _STANDOFFS_M:
                xy = rect.centre + offset * along + side * (half_short + standoff) * across
                rows.append((xy, side))
    points = np.array([xy for xy, _ in rows])
    clear = np.ones(len(points), dtype=bool)
    for obstacle in [rect, *obstacles]:
        clear &= obstacle.distance(points) >= BASE_RADIUS_M - 1e-9
    clear &= (points >= room_low[:2] + BASE_RADIUS_M).all(axis=1)
    clear &= (points <= room_high[:2] - BASE_RADIUS_M).all(axis=1)
    clear &= _inside_walls(points, objects)
    shoulders = np.column_stack([points, np.full(len(points), robot.shoulder_height_m)])
    reach = np.linalg.norm(shoulders[:, None, :] - targets[None, :, :], axis=2)
    within_reach = (reach <= robot.datasheet_reach_m).sum(axis=1)
    # Clear of furniture first, then as many objects in reach as possible, then the nearest.
    order = np.lexsort((reach.mean(axis=1), reach.max(axis=1), -within_reach, ~clear))
    best = int(order[0])
    xy, side = rows[best]
    facing = -side * across
    within = float((reach[best] <= robot.datasheet_reach_m).mean())
    note = "clear of furniture" if clear[best] else "no collision-free spot: least-bad one used"
    return RobotPlacement(
        np.array([xy[0], xy[1], 0.0]),
        float(np.arctan2(facing[1], facing[0])),
        surface.object_id,
        within,
        float(reach[best].max()),
        note,
    )
