"""Checks of the bundle against the scene: regions on their supports, prims that exist, scripts."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pxr import Usd
from shapely.geometry import Polygon

from replicator_job.scene_geometry import Array, ObjectGeometry
from replicator_job.support_surfaces import UNION_GRID_M
from tools.randomization.layout import DISTRACTOR_ROOT_PRIM
from tools.randomization.regions import PlacementRegion
from tools.usd_stage import open_usd_stage

PRIM_PREFIX = "/World/"
_PROBE_ABOVE_M = 0.005


def surface_below(triangles: Array, points: Array, start_z: float) -> Array:
    """Height of the highest triangle under each point, below `start_z` (NaN where none).

    Args:
        triangles: (T, 3, 3) world triangles.
        points: (N, 2) query points.
        start_z: rays start here and go down.

    Returns:
        (N,) heights.
    """
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    v0, v1 = (b - a)[:, :2], (c - a)[:, :2]
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    usable = np.abs(det) > 1e-12
    a, b, c, v0, v1, det = a[usable], b[usable], c[usable], v0[usable], v1[usable], det[usable]
    heights = np.full(len(points), np.nan)
    for i, p in enumerate(points):
        d = p[None, :] - a[:, :2]
        u = (d[:, 0] * v1[:, 1] - d[:, 1] * v1[:, 0]) / det
        v = (v0[:, 0] * d[:, 1] - v0[:, 1] * d[:, 0]) / det
        inside = (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9)
        z = a[:, 2] + u * (b[:, 2] - a[:, 2]) + v * (c[:, 2] - a[:, 2])
        hits = z[inside & (z <= start_z)]
        if len(hits):
            heights[i] = hits.max()
    return heights


def region_problems(
    region: PlacementRegion,
    support: ObjectGeometry,
    *,
    samples: int = 32,
    tolerance_m: float = 0.01,
) -> list[str]:
    """Why a region is not on the top surface of its support (empty when it is).

    Points drawn inside the region probe the support's mesh straight down from just above
    the region: the surface hit must be within `tolerance_m` of the region's height; and the
    region must lie inside the support's footprint.

    Args:
        region: the region.
        support: the support's world geometry.
        samples: probe points.
        tolerance_m: allowed height difference.

    Returns:
        Problems, one line each.
    """
    problems = []
    rng = np.random.default_rng(0)
    points = [
        p for p in (region.polygon.sample_point(rng) for _ in range(samples)) if p is not None
    ]
    probe = np.array(points).reshape(-1, 2)
    heights = surface_below(support.triangles, probe, region.contact_height_m + _PROBE_ABOVE_M)
    missed = int(np.isnan(heights).sum())
    if missed:
        problems.append(f"{region.id}: {missed} of {len(probe)} points have no support mesh below")
    worst = float(np.nanmax(np.abs(heights - region.height_m))) if len(probe) > missed else 0.0
    if worst > tolerance_m:
        problems.append(f"{region.id}: support mesh is {worst * 100:.1f} cm from the region height")
    area = Polygon(region.exterior, region.holes)
    if not footprint_near(support.triangles, area.bounds).covers(area):
        problems.append(f"{region.id}: extends beyond the footprint of {region.support_id}")
    return problems


def footprint_near(triangles: Array, bounds: tuple[float, ...]) -> Any:
    """The support's footprint (union of its triangles' shadows, grown 1 mm) around `bounds`.

    Only shadows that reach the box (minx, miny, maxx, maxy) are united: within the box the
    result is the whole footprint, which is all a coverage test of a region in it needs. A
    realistic room has 120,000 triangles; uniting them all for each of a warehouse's dozen
    floor regions took minutes per region.

    Args:
        triangles: (T, 3, 3) world triangles.
        bounds: the box of interest.

    Returns:
        A shapely geometry (empty when no shadow reaches the box).
    """
    grow = 2e-3  # beyond the 1 mm growth, so every shadow that can matter is in
    shadows_2d = triangles[:, :, :2]
    low, high = shadows_2d.min(axis=1), shadows_2d.max(axis=1)
    near = np.all(low <= np.asarray(bounds[2:]) + grow, axis=1) & np.all(
        high >= np.asarray(bounds[:2]) - grow, axis=1
    )
    shadows = shapely.polygons(shadows_2d[near])
    shadows = shadows[shapely.area(shadows) > 1e-12]
    return shapely.union_all(shadows, grid_size=UNION_GRID_M).buffer(1e-3)


def collect_prim_paths(value: Any) -> set[str]:
    """Every string under a JSON value that names a prim below /World (created ones excluded).

    Args:
        value: decoded JSON.

    Returns:
        The prim paths.
    """
    if isinstance(value, str):
        named = value.startswith(PRIM_PREFIX) and not value.startswith(DISTRACTOR_ROOT_PRIM)
        return {value} if named else set()
    if isinstance(value, dict):
        return {p for v in value.values() for p in collect_prim_paths(v)}
    if isinstance(value, list | tuple):
        return {p for v in value for p in collect_prim_paths(v)}
    return set()


def script_prim_literals(source: str) -> set[str]:
    """Prim paths written as string literals in a Python script (excluding the created root).

    Args:
        source: the script's text.

    Returns:
        The literal prim paths.
    """
    tree = ast.parse(source)
    literals = {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    return {s for s in literals if s.startswith(PRIM_PREFIX) and s != DISTRACTOR_ROOT_PRIM}


def compose_with_regions(scene_usd: Path, regions_usd: Path) -> Usd.Stage:
    """The scene stage with the regions layer on its session layer (as the script opens it).

    Args:
        scene_usd: `usd/scene.usda`.
        regions_usd: `replicator/placement_regions.usda`.

    Returns:
        The composed stage.
    """
    stage = open_usd_stage(scene_usd)
    stage.GetSessionLayer().subLayerPaths.append(str(regions_usd))
    return stage


def missing_prims(stage: Usd.Stage, paths: Iterable[str]) -> list[str]:
    """The paths without a valid prim on the stage.

    Args:
        stage: the stage.
        paths: prim paths.

    Returns:
        The missing ones, sorted.
    """
    return sorted(p for p in paths if not stage.GetPrimAtPath(p).IsValid())


def script_compiles(source: str, name: str) -> str | None:
    """Whether Python source compiles.

    Args:
        source: the text.
        name: file name for the message.

    Returns:
        None when it compiles, else the error with its line.
    """
    try:
        compile(source, name, "exec")
    except SyntaxError as exc:
        return f"{name}:{exc.lineno}: {exc.msg}"
    return None
