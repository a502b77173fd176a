"""Plane geometry for placement tests: convex footprints, polygons with holes, overlap."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float64]  # (N, 2)
_EPS = 1e-12
_GROW_DIRECTIONS = 16  # a grown footprint is exact to cos(pi / 16) ~ 2 % of the margin


def as_points(values: Sequence[Sequence[float]] | Points) -> Points:
    """An (N, 2) float array of x, y values.

    Args:
        values: points as nested sequences or an array.

    Returns:
        The array (copied).
    """
    array = np.array(values, dtype=np.float64).reshape(-1, 2)
    return array


def convex_hull(points: Points) -> Points:
    """Counter-clockwise convex hull (Andrew's monotone chain), without repeated end point.

    Args:
        points: (N, 2) points, N >= 1.

    Returns:
        (M, 2) hull vertices, counter-clockwise.
    """
    unique = np.unique(np.round(points, 12), axis=0)
    if len(unique) < 3:
        return unique

    def cross(o: Points, a: Points, b: Points) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    lower: list[Points] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Points] = []
    for p in unique[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def rotate(points: Points, yaw: float) -> Points:
    """Rotate points about the origin.

    Args:
        points: (N, 2) points.
        yaw: angle in radians, counter-clockwise.

    Returns:
        The rotated (N, 2) points.
    """
    c, s = math.cos(yaw), math.sin(yaw)
    return np.asarray(points @ np.array([[c, s], [-s, c]]), dtype=np.float64)


def disc(center: Sequence[float], radius: float, sides: int = 24) -> Points:
    """A regular polygon circumscribing a circle (so it contains the circle).

    Args:
        center: x, y.
        radius: circle radius.
        sides: polygon sides.

    Returns:
        (sides, 2) vertices, counter-clockwise.
    """
    angles = np.arange(sides) * (2.0 * math.pi / sides)
    r = radius / math.cos(math.pi / sides)
    return np.stack([center[0] + r * np.cos(angles), center[1] + r * np.sin(angles)], axis=1)


def grow(hull: Points, margin: float) -> Points:
    """Convex polygon containing every point within `margin` of a convex polygon.

    Args:
        hull: convex polygon vertices.
        margin: distance >= 0.

    Returns:
        The grown convex polygon (a slight over-approximation of the exact offset).
    """
    if margin <= 0:
        return hull
    ring = disc((0.0, 0.0), margin, _GROW_DIRECTIONS)
    return convex_hull((hull[:, None, :] + ring[None, :, :]).reshape(-1, 2))


def _axes(hull: Points) -> Points:
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    lengths = np.linalg.norm(normals, axis=1)
    return np.asarray(normals[lengths > _EPS] / lengths[lengths > _EPS, None], dtype=np.float64)


def min_width(hull: Points) -> float:
    """The narrowest extent of a convex polygon over every direction (rotating calipers).

    Args:
        hull: convex polygon vertices.

    Returns:
        The smallest distance between two parallel lines enclosing it (metres).
    """
    axes = _axes(hull)
    if not len(axes):
        return 0.0
    return float(np.ptp(hull @ axes.T, axis=0).min())


def convex_overlap(a: Points, b: Points) -> bool:
    """Whether two convex polygons overlap (separating axis test; touching counts as apart).

    Args:
        a: convex polygon vertices.
        b: convex polygon vertices.

    Returns:
        True when their interiors intersect.
    """
    for axis in np.concatenate([_axes(a), _axes(b)]):
        pa, pb = a @ axis, b @ axis
        if pa.max() <= pb.min() + 1e-9 or pb.max() <= pa.min() + 1e-9:
            return False
    return True


def point_in_ring(points: Points, ring: Points) -> NDArray[np.bool_]:
    """Even-odd test of many points against one closed ring.

    Args:
        points: (N, 2) query points.
        ring: (M, 2) ring vertices (closure implied).

    Returns:
        (N,) booleans.
    """
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = ring[:, 0][None, :], ring[:, 1][None, :]
    x1, y1 = np.roll(ring[:, 0], -1)[None, :], np.roll(ring[:, 1], -1)[None, :]
    straddles = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    hits = straddles & (x < crossing_x)
    return np.asarray(hits.sum(axis=1) % 2 == 1)


def _segments_cross(p: Points, q: Points) -> bool:
    """Whether any edge of closed ring p properly intersects any edge of closed ring q."""
    a0, a1 = p[:, None, :], np.roll(p, -1, axis=0)[:, None, :]
    b0, b1 = q[None, :, :], np.roll(q, -1, axis=0)[None, :, :]

    def orient(u: Points, v: Points, w: Points) -> Points:
        return np.asarray(
            (v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1])
            - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0])
        )

    d1, d2 = orient(b0, b1, a0), orient(b0, b1, a1)
    d3, d4 = orient(a0, a1, b0), orient(a0, a1, b1)
    return bool(np.any((d1 * d2 < 0) & (d3 * d4 < 0)))


class Polygon2D:
    """A polygon with holes: an exterior ring and hole rings (no self-intersections)."""

    def __init__(self, exterior: Points, holes: Sequence[Points] = ()) -> None:
        """Keep the rings.

        Args:
            exterior: (N, 2) exterior ring.
            holes: hole rings.
        """
        self.exterior = exterior
        self.holes = tuple(holes)
        self.bounds = (exterior.min(axis=0), exterior.max(axis=0))

    def contains_points(self, points: Points) -> NDArray[np.bool_]:
        """Which points lie inside the exterior and outside every hole.

        Args:
            points: (N, 2) query points.

        Returns:
            (N,) booleans.
        """
        inside = point_in_ring(points, self.exterior)
        for hole in self.holes:
            inside &= ~point_in_ring(points, hole)
        return inside

    def contains_convex(self, hull: Points) -> bool:
        """Whether a convex polygon lies entirely inside this polygon.

        Args:
            hull: convex polygon vertices.

        Returns:
            True when every vertex is inside, no ring edge crosses it and no hole lies in it.
        """
        if not bool(self.contains_points(hull).all()):
            return False
        for ring in (self.exterior, *self.holes):
            if _segments_cross(hull, ring):
                return False
        return all(not bool(point_in_ring(hole[:1], hull)[0]) for hole in self.holes)

    def sample_point(self, rng: np.random.Generator, tries: int = 64) -> Points | None:
        """A point drawn uniformly from the polygon (rejection from its bounding box).

        Args:
            rng: the generator.
            tries: candidates drawn before giving up.

        Returns:
            A (2,) point, or None when every candidate fell outside.
        """
        low, high = self.bounds
        candidates = rng.uniform(low, high, size=(tries, 2))
        inside = np.flatnonzero(self.contains_points(candidates))
        return candidates[inside[0]] if len(inside) else None
