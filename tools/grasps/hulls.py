"""An object's collision geometry as a union of convex hulls: surface samples, ray exits and
point containment, exact on the planes of each hull (no mesh spatial index needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

FloatArray = NDArray[np.float64]
_EPS = 1e-9
_SURFACE_TOL = 1e-5  # a point this deep inside another hull is not on the union's surface


@dataclass(frozen=True)
class Hull:
    """One convex piece: its triangles (T, 3, 3) and face planes (F, 4): n . p + d <= 0 inside."""

    triangles: FloatArray
    planes: FloatArray


def build_hulls(vertex_sets: Sequence[FloatArray]) -> list[Hull]:
    """Convex hulls of the pieces' vertices (flat or degenerate pieces are left out)."""
    hulls = []
    for vertices in vertex_sets:
        points = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
        if len(points) < 4:
            continue
        try:
            hull = ConvexHull(points)
        except (QhullError, ValueError):
            continue
        hulls.append(Hull(points[hull.simplices], np.asarray(hull.equations, dtype=np.float64)))
    return hulls


def contains(hulls: Sequence[Hull], points: FloatArray, depth: float = 0.0) -> NDArray[np.bool_]:
    """Which points lie inside some hull by at least `depth`."""
    inside = np.zeros(len(points), dtype=bool)
    for hull in hulls:
        inside |= np.all(points @ hull.planes[:, :3].T + hull.planes[:, 3] <= -depth, axis=1)
    return inside


def sample_surface(
    hulls: Sequence[Hull], count: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """About `count` points spread by area over the union's outer surface, and their outward
    normals (points buried inside another hull are dropped)."""
    triangles = np.concatenate([h.triangles for h in hulls])
    edges1, edges2 = triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]
    cross = np.cross(edges1, edges2)
    areas = np.linalg.norm(cross, axis=1)
    picked = rng.choice(len(triangles), size=count, p=areas / areas.sum())
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1
    u, v = np.where(flip, 1 - u, u), np.where(flip, 1 - v, v)
    points = triangles[picked, 0] + u[:, None] * edges1[picked] + v[:, None] * edges2[picked]
    normals = np.concatenate([h.planes[:, :3] for h in hulls])[picked]  # outward, per face
    keep = ~contains(hulls, points, _SURFACE_TOL)
    return points[keep], normals[keep]


def ray_exits(
    hulls: Sequence[Hull], origins: FloatArray, directions: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Where rays starting on (or in) the solid leave it for good, and the outward normal there.

    Each ray's occupied stretch starting at its origin is followed through touching or
    overlapping hulls; the exit is its far end (inf where the ray starts outside every hull).

    Returns:
        (distances (R,), normals (R, 3)).
    """
    count = len(origins)
    entries = np.full((len(hulls), count), np.inf)
    exits = np.full((len(hulls), count), -np.inf)
    exit_normals = np.zeros((len(hulls), count, 3))
    for k, hull in enumerate(hulls):
        normals, offsets = hull.planes[:, :3], hull.planes[:, 3]
        along = directions @ normals.T  # (R, F)
        gap = -(origins @ normals.T + offsets)  # >= 0 inside each plane
        with np.errstate(divide="ignore", invalid="ignore"):
            t = gap / along
        t_in = np.where(along < -_EPS, t, -np.inf).max(axis=1)
        leaving = np.where(along > _EPS, t, np.inf)
        t_out = leaving.min(axis=1)
        parallel_outside = np.any((np.abs(along) <= _EPS) & (gap < -_EPS), axis=1)
        hit = (t_in <= t_out) & ~parallel_outside & (t_out > 0)
        entries[k] = np.where(hit, t_in, np.inf)
        exits[k] = np.where(hit, t_out, -np.inf)
        exit_normals[k] = normals[leaving.argmin(axis=1)]
    reach = np.zeros(count)
    normal = np.zeros((count, 3))
    started = np.zeros(count, dtype=bool)
    for _ in range(len(hulls)):  # each pass may extend the stretch by one more hull
        joins = (entries <= reach[None] + 1e-6) & (exits > reach[None] + 1e-9)
        if not joins.any():
            break
        farther = np.where(joins, exits, -np.inf)
        best = farther.argmax(axis=0)
        moved = np.asarray(joins.any(axis=0))
        reach = np.where(moved, farther[best, np.arange(count)], reach)
        normal = np.where(moved[:, None], exit_normals[best, np.arange(count)], normal)
        started |= moved
    return np.where(started, reach, np.inf), normal
