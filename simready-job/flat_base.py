"""Flat bases: an object's hulls stand on one plane, not on the rounded tip of a scan.

Reconstructed meshes round off or bulge the base an object stands on (Hunyuan3D never sees
the underside), and a 64-vertex hull of a round object is a polyhedron with a vertex at the
bottom. Either way the object rocks until it reaches some facet, a few degrees (a can on a
bulged base) to tens of degrees (a lemon) away from the pose it was reconstructed in. Real
objects sit on a contact patch; pressing the hull vertices of the lowest few millimetres onto
the lowest plane gives them one, so they rest in the reconstructed pose.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simready_job.convex_pieces import ConvexPiece, hull_piece

BASE_BAND_M = 0.003  # at most this much of the bottom is pressed flat...
BASE_BAND_FRACTION = 0.05  # ...and at most this share of the object's height


def base_band(pieces: Sequence[ConvexPiece]) -> tuple[float, float]:
    """The lowest z over all pieces and the height of the band pressed onto it (asset frame)."""
    lowest = min(float(p.vertices[:, 2].min()) for p in pieces)
    highest = max(float(p.vertices[:, 2].max()) for p in pieces)
    return lowest, min(BASE_BAND_M, BASE_BAND_FRACTION * (highest - lowest))


def flat_base(pieces: Sequence[ConvexPiece], max_vertices: int) -> tuple[ConvexPiece, ...]:
    """The pieces with every vertex in the bottom band moved down onto the lowest plane.

    Only pieces reaching into the band change; each is re-hulled (never more vertices than
    it had). A piece lying wholly inside the band would turn flat and is kept as it is.

    Args:
        pieces: an object's hulls in its asset frame (Z up, resting on its lowest points).
        max_vertices: vertex budget per hull.

    Returns:
        The pieces, in the same order.
    """
    if not pieces:
        return ()
    lowest, band = base_band(pieces)
    result = []
    for piece in pieces:
        low = piece.vertices[:, 2] <= lowest + band
        if not low.any() or bool(np.all(piece.vertices[low, 2] == lowest)):
            result.append(piece)
            continue
        moved = piece.vertices.copy()
        moved[low, 2] = lowest
        pressed = hull_piece(moved, max_vertices)
        result.append(piece if pressed is None else pressed)
    return tuple(result)
