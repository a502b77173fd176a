"""Nearest ray-triangle hits in numpy (no spatial index needed; rays are processed in chunks)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_EPS = 1e-12
_MAX_PAIRS = 2_000_000  # ray-triangle pairs per chunk (~100 MB of temporaries)


def first_hits(
    vertices: FloatArray,
    faces: NDArray[np.integer],
    origins: FloatArray,
    directions: FloatArray,
    min_distance: float = 1e-6,
) -> tuple[FloatArray, IntArray]:
    """Distance to and face of the nearest triangle each ray hits (two-sided).

    Args:
        vertices: (V, 3) mesh vertices.
        faces: (F, 3) vertex indices of triangles.
        origins: (R, 3) ray origins.
        directions: (R, 3) unit directions.
        min_distance: hits closer than this are ignored (the surface a ray starts on).

    Returns:
        (distances, faces): inf and -1 where a ray hits nothing.
    """
    tri = vertices[np.asarray(faces)]
    v0, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    count = len(origins)
    distances = np.full(count, np.inf)
    hit_faces = np.full(count, -1, dtype=np.int64)
    chunk = max(1, _MAX_PAIRS // max(1, len(tri)))
    for start in range(0, count, chunk):
        o = origins[start : start + chunk, None, :]
        d = directions[start : start + chunk, None, :]
        p = np.cross(d, e2[None])
        det = np.einsum("rfk,fk->rf", p, e1)
        ok = np.abs(det) > _EPS
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = o - v0[None]
        u = np.einsum("rfk,rfk->rf", s, p) * inv
        q = np.cross(s, e1[None])
        v = np.einsum("rfk,rfk->rf", d, q) * inv
        t = np.einsum("fk,rfk->rf", e2, q) * inv
        valid = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > min_distance)
        t = np.where(valid, t, np.inf)
        best = np.argmin(t, axis=1)
        best_t = t[np.arange(len(best)), best]
        distances[start : start + chunk] = best_t
        hit_faces[start : start + chunk] = np.where(np.isfinite(best_t), best, -1)
    return distances, hit_faces
