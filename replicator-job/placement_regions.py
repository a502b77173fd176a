"""Placement regions: support patches minus what blocks them, split by the clearance above them."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from replicator_job.scene_geometry import ObjectGeometry
from replicator_job.support_surfaces import (
    Blocker,
    SurfaceParams,
    SurfacePatch,
    hull_blockers,
    robot_base_blocker,
    upward_patches,
)
from tools.randomization.layout import REGIONS_ROOT_PRIM
from tools.randomization.regions import OrientedBox, PlacementRegion
from tools.robots import DEFAULT_ROBOT, RobotDescription
from tools.scene_manifest import SceneManifest, SimRole
from tools.sim.usd_layout import unique_prim_names

SUPPORT_ROLES = frozenset({SimRole.STATIC, SimRole.BACKGROUND, SimRole.ARTICULATED})
FREE_ROLES = frozenset({SimRole.MANIPULABLE, SimRole.DISTRACTOR})
FLOOR_TOLERANCE_M = 0.02


@dataclass(frozen=True)
class RegionParams:
    """Thresholds of the region computation (recorded in placement_regions.json).

    Attributes:
        max_tilt_deg: steepest surface counted as horizontal.
        height_tolerance_m: triangles closer in height form one surface.
        top_tolerance_m: geometry at most this far above a surface does not block it.
        min_clearance_m: geometry lower than this above a surface blocks it.
        min_area_m2: smallest region kept.
        min_width_m: narrowest region kept (a disc this wide must fit).
        robot_radius_m: keep-out radius around the robot base.
        robot_height_m: height of that keep-out.
        reach_min_m: inner radius of the robot's workspace annulus.
        reach_max_m: outer radius of the robot's workspace annulus.
        robot: the arm those radii are the usable reach of (ROBOT).
        category_margin_m: headroom required above an object's height for its category.
    """

    max_tilt_deg: float = 10.0
    height_tolerance_m: float = 0.01
    top_tolerance_m: float = 0.01
    min_clearance_m: float = 0.05
    min_area_m2: float = 0.01
    min_width_m: float = 0.05
    robot_radius_m: float = 0.2
    robot_height_m: float = 0.35
    reach_min_m: float = DEFAULT_ROBOT.min_reach_m
    reach_max_m: float = DEFAULT_ROBOT.reach_radius_m
    category_margin_m: float = 0.01
    robot: str = DEFAULT_ROBOT.robot_type

    @classmethod
    def for_robot(cls, robot: RobotDescription, **thresholds: float) -> RegionParams:
        """The thresholds with the workspace annulus of `robot` (its usable reach)."""
        return cls(
            reach_min_m=robot.min_reach_m,
            reach_max_m=robot.reach_radius_m,
            robot=robot.robot_type,
            **thresholds,
        )

    def as_dict(self) -> dict[str, float]:
        """The numeric thresholds by name (the robot is recorded beside them)."""
        return {k: float(v) for k, v in asdict(self).items() if k != "robot"}


@dataclass(frozen=True)
class CategorySize:
    """The largest footprint half-width and height of a placeable category."""

    half_width: float
    height: float


def _polygons(geometry: BaseGeometry) -> Iterator[Polygon]:
    if isinstance(geometry, Polygon):
        if not geometry.is_empty:
            yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _polygons(part)


def _pieces(
    patch: SurfacePatch, blockers: Sequence[Blocker], ceiling: float, params: RegionParams
) -> Iterator[tuple[BaseGeometry, float, str]]:
    """(area, clearance, what bounds it) for the parts of a patch with distinct clearance."""
    h = patch.height
    above = [b for b in blockers if b.z_high > h + params.top_tolerance_m]
    low = [b.shadow for b in above if b.z_low < h + params.min_clearance_m]
    remaining = patch.footprint.difference(shapely.union_all(low)) if low else patch.footprint
    for blocker in sorted(above, key=lambda b: (b.z_low, b.owner)):
        if blocker.z_low < h + params.min_clearance_m or remaining.is_empty:
            continue
        under = remaining.intersection(blocker.shadow)
        if under.area > 0:
            yield under, blocker.z_low - h, blocker.owner
            remaining = remaining.difference(blocker.shadow)
    if not remaining.is_empty:
        yield remaining, ceiling - h, "room"


def _usable(polygon: Polygon, params: RegionParams) -> bool:
    return (
        polygon.area >= params.min_area_m2 and not polygon.buffer(-params.min_width_m / 2).is_empty
    )


def _oriented_box(polygon: Polygon) -> OrientedBox:
    corners = list(shapely.oriented_envelope(polygon).exterior.coords)[:4]
    (x0, y0), (x1, y1), (x2, y2) = corners[0], corners[1], corners[2]
    width, depth = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
    center = (
        polygon.envelope.centroid if width == 0 else shapely.Point((x0 + x2) / 2, (y0 + y2) / 2)
    )
    return OrientedBox(
        center=(center.x, center.y), size=(width, depth), yaw_rad=math.atan2(y1 - y0, x1 - x0)
    )


def _categories(
    polygon: Polygon, clearance: float, sizes: dict[str, CategorySize], margin: float
) -> tuple[str, ...]:
    return tuple(
        name
        for name, size in sorted(sizes.items())
        if size.height + margin <= clearance and not polygon.buffer(-size.half_width).is_empty
    )


def _contact_height(
    patch: SurfacePatch, piece: Polygon, own: Sequence[Blocker], tolerance: float
) -> float:
    tops = [
        b.z_high
        for b in own
        if abs(b.z_high - patch.height) <= tolerance and b.shadow.intersects(piece)
    ]
    return max([patch.height, *tops])


def _resting(manifest: SceneManifest, polygon: Polygon, height: float) -> tuple[str, ...]:
    return tuple(
        o.id
        for o in manifest.objects
        if o.sim_role in FREE_ROLES
        and abs(o.transform.position[2] - height) <= FLOOR_TOLERANCE_M
        and polygon.contains(shapely.Point(o.transform.position[:2]))
    )


@dataclass(frozen=True)
class _Draft:
    region_id: str
    kind: Literal["support", "floor", "workspace"]
    support_id: str
    parent: str | None
    polygon: Polygon
    height: float
    contact: float
    clearance: float
    source: str


def _to_region(
    draft: _Draft,
    manifest: SceneManifest,
    prims: dict[str, str],
    supports: dict[str, str],
    sizes: dict[str, CategorySize],
    params: RegionParams,
) -> PlacementRegion:
    polygon = shapely.geometry.polygon.orient(draft.polygon, 1.0)
    support = manifest.object(draft.support_id)
    return PlacementRegion(
        id=draft.region_id,
        kind=draft.kind,
        support_id=draft.support_id,
        support_category=support.category,
        support_prim_path=supports[draft.support_id],
        prim_path=f"{REGIONS_ROOT_PRIM}/{prims[draft.region_id]}",
        parent_region=draft.parent,
        height_m=draft.height,
        contact_height_m=draft.contact,
        clearance_m=draft.clearance,
        clearance_source=draft.source,
        exterior=tuple((float(x), float(y)) for x, y in polygon.exterior.coords[:-1]),
        holes=tuple(
            tuple((float(x), float(y)) for x, y in ring.coords[:-1]) for ring in polygon.interiors
        ),
        area_m2=float(polygon.area),
        oriented_box=_oriented_box(polygon),
        categories=_categories(polygon, draft.clearance, sizes, params.category_margin_m),
        resting_objects=_resting(manifest, polygon, draft.contact),
    )


def _workspace_drafts(
    drafts: list[_Draft], manifest: SceneManifest, params: RegionParams
) -> list[_Draft]:
    x, y, _ = manifest.robot.base_pose.position
    base = shapely.Point(x, y)
    annulus = base.buffer(params.reach_max_m, quad_segs=32).difference(
        base.buffer(params.reach_min_m, quad_segs=32)
    )
    derived = []
    for draft in drafts:
        clipped = [p for p in _polygons(draft.polygon.intersection(annulus)) if _usable(p, params)]
        for k, polygon in enumerate(sorted(clipped, key=lambda p: -p.area)):
            derived.append(
                _Draft(
                    f"{draft.region_id}.reach{k}",
                    "workspace",
                    draft.support_id,
                    draft.region_id,
                    polygon,
                    draft.height,
                    draft.contact,
                    draft.clearance,
                    draft.source,
                )
            )
    return derived


def compute_regions(
    geometry: Sequence[ObjectGeometry],
    manifest: SceneManifest,
    sizes: dict[str, CategorySize],
    params: RegionParams | None = None,
) -> tuple[PlacementRegion, ...]:
    """Every placement region of the scene, then each one's part within the robot's reach.

    Args:
        geometry: world geometry of every object (from the scene stage).
        manifest: the scene manifest (roles, categories, room, robot).
        sizes: placeable categories and their sizes.
        params: thresholds.

    Returns:
        The regions: supports and floor first (by support, height), then workspace parts.
    """
    params = params or RegionParams()
    surface = SurfaceParams(params.max_tilt_deg, params.height_tolerance_m)
    roles = {o.id: o.sim_role for o in manifest.objects}
    static = [g for g in geometry if roles.get(g.object_id) in SUPPORT_ROLES]
    blockers = [b for g in static for b in hull_blockers(g)]
    robot = manifest.robot.base_pose.position
    blockers.append(robot_base_blocker(robot, params.robot_radius_m, params.robot_height_m))
    ceiling = manifest.room_bounds.max[2]
    low, high = manifest.room_bounds.min, manifest.room_bounds.max
    room = shapely.box(low[0], low[1], high[0], high[1])
    drafts: list[_Draft] = []
    for g in static:
        own = [b for b in blockers if b.owner == g.object_id]
        for patch in upward_patches(g, surface):
            floor = (
                roles[g.object_id] == SimRole.BACKGROUND and abs(patch.height) <= FLOOR_TOLERANCE_M
            )
            if floor:  # the usd step's floor box reaches beyond the room: keep what is inside
                patch = replace(patch, footprint=patch.footprint.intersection(room))
            kept = [
                (polygon, clearance, source)
                for piece, clearance, source in _pieces(patch, blockers, ceiling, params)
                for polygon in _polygons(piece)
                if clearance >= params.min_clearance_m and _usable(polygon, params)
            ]
            for k, (polygon, clearance, source) in enumerate(kept):
                contact = _contact_height(patch, polygon, own, params.top_tolerance_m)
                drafts.append(
                    _Draft(
                        f"{g.object_id}_s{patch.level}_{k}",
                        "floor" if floor else "support",
                        g.object_id,
                        None,
                        polygon,
                        patch.height,
                        contact,
                        clearance,
                        source,
                    )
                )
    drafts += _workspace_drafts(drafts, manifest, params)
    prims = unique_prim_names([d.region_id for d in drafts])
    supports = {g.object_id: g.prim_path for g in geometry}
    return tuple(_to_region(d, manifest, prims, supports, sizes, params) for d in drafts)
