"""The surface collision hulls are built from: dense scans simplified, coarse meshes as they are.

A reconstruction has 20,000-40,000 triangles and about a millimetre of surface noise. Hulls
built on it are slow to decompose and inflated by the noise (a noisy lemon's hull holds ~10 %
more than the lemon, enough to call a convex object concave). Dense meshes are therefore
smoothed (Taubin: shrink-free, so volumes keep) and decimated by quadric error to a few
thousand triangles before hulls and decompositions; mass properties use the full repaired
mesh and the visual mesh is never touched.
"""

from __future__ import annotations

import fast_simplification
import numpy as np
import trimesh

# Triangles kept for collision: enough for a few millimetres of detail on a hand-sized object,
# few enough for decomposition to take seconds, not minutes.
COLLISION_FACES = 3000
SMOOTHING_ITERATIONS = 10
# fast_simplification's default aggressiveness (7) folds some edges into four triangles;
# 3 keeps decimated scans closed in our measurements at a similar speed.
_AGGRESSIVENESS = 3


def collision_surface(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """`mesh` itself when it has at most COLLISION_FACES triangles, else a smoothed, decimated copy.

    Args:
        mesh: a repaired mesh (not modified).

    Returns:
        A mesh for hulls and decomposition (not guaranteed closed: only its points and, for
        decomposition, its triangles are used).
    """
    if len(mesh.faces) <= COLLISION_FACES:
        return mesh
    smooth = trimesh.Trimesh(
        np.asarray(mesh.vertices, dtype=np.float64).copy(),
        np.asarray(mesh.faces, dtype=np.int64).copy(),
        process=False,
    )
    trimesh.smoothing.filter_taubin(  # type: ignore[no-untyped-call]
        smooth, iterations=SMOOTHING_ITERATIONS
    )
    vertices, faces = fast_simplification.simplify(
        smooth.vertices, smooth.faces, target_count=COLLISION_FACES, agg=_AGGRESSIVENESS
    )
    if len(faces) == 0:
        return smooth
    return trimesh.Trimesh(
        np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64), process=False
    )
