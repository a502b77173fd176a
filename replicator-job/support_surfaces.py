"""Support surfaces and obstacles from world geometry: upward triangles by height, hull shadows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from replicator_job.scene_geometry import Array, ObjectGeometry

# Unions of many small triangles snap to this grid. GEOS's floating overlay dropped a 6 x 4 cm
# piece of a realistic table top from the union of its 17,552 noisy triangles; snap-rounding
# at a micrometre is exact at our scale and robust.
UNION_GRID_M = 1e-6
_MIN_TRIANGLE_AREA_M2 = 1e-9
_CLOSING_M = 2e-4  # fuses the hairline gaps between adjacent triangles of one surface
_SIMPLIFY_M = 1e-3


@dataclass(frozen=True)
class SurfaceParams:
    """How upward surfaces are found.

    Attributes:
        max_tilt_deg: largest angle between a triangle's normal and +Z.
        height_tolerance_m: triangles closer than this in height belong to one surface.
    """

    max_tilt_deg: float = 10.0
    height_tolerance_m: float = 0.01


@dataclass(frozen=True)
class SurfacePatch:
    """The upward triangles of one object at one height, merged into a footprint.

    Attributes:
        support_id: the object the triangles belong to.
        level: index of the height cluster on that object, lowest first.
        height: highest vertex of the cluster (the surface's top, world z).
        footprint: union of the triangles projected on the xy plane.
    """

    support_id: str
    level: int
    height: float
    footprint: BaseGeometry


@dataclass(frozen=True)
class Blocker:
    """The vertical shadow of a convex collision hull (or of the robot base).

    Attributes:
        owner: the object id (or "robot_base").
        shadow: convex polygon of the hull projected on the xy plane.
        z_low: lowest point.
        z_high: highest point.
    """

    owner: str
    shadow: BaseGeometry
    z_low: float
    z_high: float


def _clusters(heights: Array, tolerance: float) -> list[Array]:
    order = np.argsort(heights, kind="stable")
    breaks = np.flatnonzero(np.diff(heights[order]) > tolerance) + 1
    return list(np.split(order, breaks))


def upward_patches(geometry: ObjectGeometry, params: SurfaceParams) -> list[SurfacePatch]:
    """Horizontal-enough visual triangles of an object, grouped by height into footprints.

    Args:
        geometry: the object's world triangles.
        params: tilt and height tolerances.

    Returns:
        One patch per height cluster with a non-empty footprint, lowest first.
    """
    triangles = geometry.triangles
    if len(triangles) == 0:
        return []
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    doubled = np.linalg.norm(normals, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        up_cosine = normals[:, 2] / doubled
    upward = (doubled / 2 > _MIN_TRIANGLE_AREA_M2) & (
        up_cosine >= math.cos(math.radians(params.max_tilt_deg))
    )
    chosen = triangles[upward]
    patches: list[SurfacePatch] = []
    for members in _clusters(chosen[:, :, 2].mean(axis=1), params.height_tolerance_m):
        group = chosen[members]
        shapes = [Polygon(t[:, :2]) for t in group]
        kept = [s for s in shapes if s.area > _MIN_TRIANGLE_AREA_M2]
        merged = shapely.union_all(kept, grid_size=UNION_GRID_M)
        footprint = merged.buffer(_CLOSING_M, join_style="mitre").buffer(
            -_CLOSING_M, join_style="mitre"
        )
        footprint = footprint.simplify(_SIMPLIFY_M, preserve_topology=True)
        if footprint.is_empty:
            continue
        height = float(group[:, :, 2].max())
        patches.append(SurfacePatch(geometry.object_id, len(patches), height, footprint))
    return patches


def hull_blockers(geometry: ObjectGeometry) -> list[Blocker]:
    """The shadow and height interval of each collision hull of an object.

    Args:
        geometry: the object's world hulls.

    Returns:
        One blocker per hull with a non-degenerate shadow.
    """
    blockers = []
    for hull in geometry.hulls:
        if len(hull) < 3:
            continue
        shadow = MultiPoint([tuple(p) for p in hull[:, :2]]).convex_hull
        if shadow.area <= _MIN_TRIANGLE_AREA_M2:
            shadow = shadow.buffer(_CLOSING_M)  # a vertical wall seen edge-on still blocks
        z = hull[:, 2]
        blockers.append(Blocker(geometry.object_id, shadow, float(z.min()), float(z.max())))
    return blockers


def robot_base_blocker(center: tuple[float, float, float], radius: float, height: float) -> Blocker:
    """The robot's base as a vertical cylinder that nothing may be placed in.

    Args:
        center: base position (world).
        radius: keep-out radius in metres.
        height: height above the base position.

    Returns:
        The blocker.
    """
    shadow = shapely.Point(center[0], center[1]).buffer(radius, quad_segs=16)
    return Blocker("robot_base", shadow, center[2], center[2] + height)
