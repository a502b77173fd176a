"""Scatter of footprints into placement regions: inside, clear of each other, in reach."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tools.randomization.config import ScatterConfig, Workspace
from tools.randomization.errors import PlacementError
from tools.randomization.planar import (
    Points,
    convex_hull,
    convex_overlap,
    disc,
    grow,
    min_width,
    rotate,
)
from tools.randomization.regions import PlacementRegion
from tools.randomization.samples import Shape, Vec3
from tools.rotations import Quat, quat_multiply, quat_to_matrix, yaw_quat

_CLEARANCE_MARGIN_M = 0.005
_CIRCLE_SIDES = 16


@dataclass(frozen=True)
class Footprint:
    """A thing seen from above, relative to its origin, at its rest orientation.

    Attributes:
        hull: convex polygon of its extent in x, y (metres, relative to the origin).
        bottom: z of its lowest point relative to the origin.
        height: vertical extent.
    """

    hull: Points
    bottom: float
    height: float


@dataclass(frozen=True)
class Obstacle:
    """Something that stays put: a convex world footprint over a height interval."""

    hull: Points
    z_low: float
    z_high: float


@dataclass(frozen=True)
class Item:
    """A thing to place and the regions it may go to."""

    key: str
    footprint: Footprint
    rest_rotation: Quat
    regions: tuple[PlacementRegion, ...]


@dataclass(frozen=True)
class Placed:
    """Where an item went: its origin's pose and its footprint there."""

    key: str
    region: PlacementRegion
    position: Vec3
    rotation: Quat
    obstacle: Obstacle


def box_footprint(extents: Sequence[float], rotation_wxyz: Sequence[float]) -> Footprint:
    """Footprint of an asset-frame box (origin at its bottom centre) turned by a rotation.

    Args:
        extents: scaled x, y, z extents of the asset's bounding box.
        rotation_wxyz: the object's orientation.

    Returns:
        The footprint (conservative: the box contains the mesh).
    """
    hx, hy, z = extents[0] / 2.0, extents[1] / 2.0, extents[2]
    corners = np.array(
        [[sx * hx, sy * hy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (0, z)]
    )
    turned = corners @ quat_to_matrix(rotation_wxyz).T
    bottom, top = float(turned[:, 2].min()), float(turned[:, 2].max())
    return Footprint(convex_hull(turned[:, :2]), bottom, top - bottom)


def primitive_footprint(shape: Shape, size: Sequence[float]) -> Footprint:
    """Footprint of an upright primitive centred on its origin.

    Args:
        shape: "box", "cylinder" or "sphere".
        size: full extents x, y, z.

    Returns:
        The footprint (circles as circumscribed polygons).
    """
    if shape == "box":
        hx, hy = size[0] / 2.0, size[1] / 2.0
        hull = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
    else:
        hull = disc((0.0, 0.0), size[0] / 2.0, _CIRCLE_SIDES)
    return Footprint(hull, -size[2] / 2.0, float(size[2]))


def _in_workspace(hull: Points, center: Points, workspace: Workspace | None) -> bool:
    if workspace is None:
        return True
    base = np.asarray(workspace.center)
    far = float(np.linalg.norm(hull - base, axis=1).max())
    near = float(np.linalg.norm(center - base))
    return far <= workspace.max_radius_m and near >= workspace.min_radius_m


def _collides(candidate: Obstacle, others: Sequence[Obstacle], gap: float) -> bool:
    grown = grow(candidate.hull, gap)
    for other in others:
        if other.z_high <= candidate.z_low or candidate.z_high <= other.z_low:
            continue
        if convex_overlap(grown, other.hull):
            return True
    return False


def _try_place(
    item: Item, region: PlacementRegion, params: ScatterConfig, rng: np.random.Generator
) -> Placed | None:
    point = region.polygon.sample_point(rng)
    yaw = math.radians(float(rng.uniform(-params.yaw_range_deg, params.yaw_range_deg)))
    if point is None:
        return None
    hull = rotate(item.footprint.hull, yaw) + point
    if not region.polygon.contains_convex(grow(hull, params.edge_margin_m)):
        return None
    if not _in_workspace(hull, point, params.workspace):
        return None
    z = region.contact_height_m - item.footprint.bottom + params.drop_height_m
    low = z + item.footprint.bottom
    obstacle = Obstacle(hull, low, low + item.footprint.height)
    rotation = quat_multiply(yaw_quat(yaw), item.rest_rotation)
    return Placed(item.key, region, (float(point[0]), float(point[1]), z), rotation, obstacle)


def _fits(item: Item, region: PlacementRegion, edge_margin: float) -> bool:
    """Enough clearance, and the footprint's narrowest side within the region's: the
    minimum-area box around the region bounds its width, so no region that could hold the
    item in some yaw is refused (a bin wider than a reach band fails at once, not after
    every try)."""
    narrowest = min_width(item.footprint.hull) + 2.0 * edge_margin
    return item.footprint.height + _CLEARANCE_MARGIN_M <= region.clearance_m and narrowest <= min(
        region.oriented_box.size
    )


def place_items(
    items: Sequence[Item],
    obstacles: Sequence[Obstacle],
    params: ScatterConfig,
    rng: np.random.Generator,
    *,
    required: bool = True,
) -> list[Placed]:
    """Place items one by one at random free spots of their regions.

    A candidate is kept when its footprint, grown by `edge_margin_m`, lies inside the region,
    inside the workspace, and its footprint grown by `min_gap_m` overlaps no obstacle or
    earlier item whose height interval meets its own. Regions are chosen in proportion to
    their area among those with enough clearance.

    Args:
        items: things to place, in order (larger first packs better).
        obstacles: what stays put.
        params: margins, tries, restarts, yaw range, drop height and workspace.
        rng: the generator (consumed in a fixed order: same state, same result).
        required: raise when an item cannot be placed (False: skip it).

    Returns:
        The placements, in item order (skipped items missing when not required).

    Raises:
        PlacementError: a required item found no spot after every try and restart.
    """
    failed = ""
    for _ in range(params.restarts if required else 1):
        placed: list[Placed] = []
        failed = ""
        for item in items:
            regions = [r for r in item.regions if _fits(item, r, params.edge_margin_m)]
            result = None
            if regions:
                areas = np.array([r.area_m2 for r in regions])
                for _ in range(params.tries_per_object):
                    region = regions[int(rng.choice(len(regions), p=areas / areas.sum()))]
                    candidate = _try_place(item, region, params, rng)
                    others = [*obstacles, *(p.obstacle for p in placed)]
                    if candidate and not _collides(candidate.obstacle, others, params.min_gap_m):
                        result = candidate
                        break
            if result is not None:
                placed.append(result)
            elif required:
                failed = item.key
                break
        if not failed:
            return placed
    raise PlacementError(failed, params.tries_per_object * params.restarts)


def place_or_keep(
    items: Sequence[Item],
    rest: Mapping[str, Obstacle],
    obstacles: Sequence[Obstacle],
    params: ScatterConfig,
    rng: np.random.Generator,
) -> tuple[list[Placed], tuple[str, ...]]:
    """Place items like `place_items`; one that finds no spot stays at its rest pose.

    A region too small or too crowded for one object (a bin in a narrow reach band, say)
    must not cost the whole layout: the object that failed keeps its rest footprint, which
    becomes an obstacle, and the others are placed again around it.

    Args:
        items: things to place, in order.
        rest: item key -> its footprint at rest (every item needs one).
        obstacles: what stays put anyway.
        params: margins, tries, restarts, yaw range, drop height and workspace.
        rng: the generator (same state, same result).

    Returns:
        The placements, and the keys of the items kept at rest (in the order they failed).
    """
    kept: list[str] = []
    while True:
        trying = [item for item in items if item.key not in kept]
        around = [*obstacles, *(rest[key] for key in kept)]
        try:
            return place_items(trying, around, params, rng), tuple(kept)
        except PlacementError as exc:
            if exc.item not in {item.key for item in trying}:
                raise  # no item to blame (no restarts configured): nothing to fall back from
            kept.append(exc.item)
