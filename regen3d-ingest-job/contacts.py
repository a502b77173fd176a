"""Mesh contact kernels in numpy: inside tests, penetration depth and surfaces under a footprint."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Faces = NDArray[np.int64]

_CHUNK = 4096  # triangles per vectorised block (bounds memory at ~P x 4096 floats)
_INSIDE = 0.5  # generalized winding number above which a point is inside


def winding_numbers(points: Array, vertices: Array, faces: Faces) -> Array:
    """Generalized winding number of each point w.r.t. a triangle mesh (1 inside, 0 outside).

    Robust to small holes and to meshes made of several overlapping closed parts.

    Args:
        points: (P, 3) query points.
        vertices: (V, 3) mesh vertices.
        faces: (F, 3) triangle indices.

    Returns:
        (P,) winding numbers.
    """
    total = np.zeros(len(points))
    for start in range(0, len(faces), _CHUNK):
        tri = vertices[faces[start : start + _CHUNK]]
        p = points[:, None, :]
        total += solid_angles(tri[None, :, 0] - p, tri[None, :, 1] - p, tri[None, :, 2] - p).sum(
            axis=1
        )
    result: Array = total / (4.0 * np.pi)
    return result


def solid_angles(a: Array, b: Array, c: Array) -> Array:
    """Signed solid angle of each triangle seen from the origin (van Oosterom & Strackee).

    Args:
        a: (..., 3) first corners, relative to the viewpoint; b, c likewise (broadcastable).

    Returns:
        (...) solid angles, positive when the viewpoint is on the triangle's back side.
    """
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    cx, cy, cz = c[..., 0], c[..., 1], c[..., 2]
    la = np.sqrt(ax * ax + ay * ay + az * az)
    lb = np.sqrt(bx * bx + by * by + bz * bz)
    lc = np.sqrt(cx * cx + cy * cy + cz * cz)
    det = ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)
    ab = ax * bx + ay * by + az * bz
    ac = ax * cx + ay * cy + az * cz
    bc = bx * cx + by * cy + bz * cz
    denominator = la * lb * lc + ab * lc + ac * lb + bc * la
    result: Array = 2.0 * np.arctan2(det, denominator)
    return result


def distances_to_surface(points: Array, vertices: Array, faces: Faces) -> Array:
    """Unsigned distance from each point to the closest triangle (Ericson's closest point).

    Args:
        points: (P, 3) query points.
        vertices: (V, 3) mesh vertices.
        faces: (F, 3) triangle indices.

    Returns:
        (P,) distances.
    """
    best = np.full(len(points), np.inf)
    for start in range(0, len(faces), _CHUNK):
        tri = vertices[faces[start : start + _CHUNK]]
        closest = _closest_points(points, tri)
        best = np.minimum(best, np.linalg.norm(closest - points[:, None, :], axis=2).min(axis=1))
    return best


def penetration_depth(points: Array, vertices: Array, faces: Faces) -> float:
    """How deep the deepest of `points` lies inside the mesh (0 when none is inside).

    Args:
        points: (P, 3) vertices of the other object.
        vertices: (V, 3) mesh vertices.
        faces: (F, 3) triangle indices.

    Returns:
        The depth in the points' unit.
    """
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    candidates = points[((points > low) & (points < high)).all(axis=1)]
    if len(candidates) == 0:
        return 0.0
    inside = candidates[winding_numbers(candidates, vertices, faces) > _INSIDE]
    if len(inside) == 0:
        return 0.0
    return float(distances_to_surface(inside, vertices, faces).max())


def surface_heights(points_xy: Array, vertices: Array, faces: Faces) -> Array:
    """Heights where vertical lines through `points_xy` cross the mesh (NaN: no crossing).

    Args:
        points_xy: (P, 2) query positions.
        vertices: (V, 3) mesh vertices (Z-up).
        faces: (F, 3) triangle indices.

    Returns:
        (P, F) crossing heights per point and triangle.
    """
    blocks = []
    for start in range(0, len(faces), _CHUNK):
        tri = vertices[faces[start : start + _CHUNK]]
        p = points_xy[:, None, :]
        a, b, c = tri[None, :, 0, :], tri[None, :, 1, :], tri[None, :, 2, :]
        area = _cross2(b[..., :2] - a[..., :2], c[..., :2] - a[..., :2])
        safe = np.where(np.abs(area) < 1e-14, np.nan, area)
        w1 = _cross2(c[..., :2] - b[..., :2], p - b[..., :2]) / safe
        w2 = _cross2(a[..., :2] - c[..., :2], p - c[..., :2]) / safe
        w3 = 1.0 - w1 - w2
        eps = -1e-9
        hit = (w1 >= eps) & (w2 >= eps) & (w3 >= eps)
        z = w1 * a[..., 2] + w2 * b[..., 2] + w3 * c[..., 2]
        blocks.append(np.where(hit, z, np.nan))
    return np.concatenate(blocks, axis=1) if blocks else np.full((len(points_xy), 0), np.nan)


def highest_surface(
    points_xy: Array, vertices: Array, faces: Faces, low: float, high: float
) -> float | None:
    """The highest mesh crossing in [low, high] under any of the points, or None.

    Args:
        points_xy: (P, 2) footprint samples.
        vertices: (V, 3) the support's vertices.
        faces: (F, 3) its triangles.
        low: lowest acceptable height.
        high: highest acceptable height.

    Returns:
        The height, or None when the support has no surface there.
    """
    heights = surface_heights(points_xy, vertices, faces)
    window = heights[(heights >= low) & (heights <= high)]
    return float(window.max()) if window.size else None


def _cross2(u: Array, v: Array) -> Array:
    result: Array = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    return result


def _closest_points(points: Array, tri: Array) -> Array:
    """(P, F, 3) closest point on each triangle to each point."""
    return closest_on_triangles(
        points[:, None, :], tri[None, :, 0], tri[None, :, 1], tri[None, :, 2]
    )


def closest_on_triangles(p: Array, a: Array, b: Array, c: Array) -> Array:
    """Closest point on triangles (a, b, c) to points p, all (..., 3) and broadcastable.

    Ericson, Real-Time Collision Detection, 5.1.5.
    """
    shape = np.broadcast_shapes(p.shape, a.shape, b.shape, c.shape)
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    bp = p - b
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    cp = p - c
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 / (va + vb + vc)
        v_face, w_face = vb * denom, vc * denom
        t_ab = d1 / (d1 - d3)
        t_ac = d2 / (d2 - d6)
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
    result = np.broadcast_to(a + ab * v_face[..., None] + ac * w_face[..., None], shape)
    regions = [
        ((va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0), b + (c - b) * t_bc[..., None]),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), a + ac * t_ac[..., None]),
        ((d6 >= 0) & (d5 <= d6), np.broadcast_to(c, shape)),
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), a + ab * t_ab[..., None]),
        ((d3 >= 0) & (d4 <= d3), np.broadcast_to(b, shape)),
        ((d1 <= 0) & (d2 <= 0), np.broadcast_to(a, shape)),
    ]
    for mask, value in regions:  # later regions win, matching Ericson's early returns
        result = np.where(mask[..., None], value, result)
    final: Array = np.where(np.isnan(result), np.broadcast_to(a, shape), result)
    return final


def _dot(u: Array, v: Array) -> Array:
    result: Array = np.einsum("...i,...i->...", u, v)
    return result
