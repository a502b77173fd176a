"""Flat bases and tops: an object's hulls stand on one plane and carry others on planes.

Reconstructed meshes round off or bulge the base an object stands on (Hunyuan3D never sees
the underside), and a 64-vertex hull of a round object is a polyhedron with a vertex at the
bottom. Either way the object rocks until it reaches some facet, a few degrees (a can on a
bulged base) to tens of degrees (a lemon) away from the pose it was reconstructed in. Real
objects sit on a contact patch; pressing the hull vertices of the lowest few millimetres onto
the lowest plane gives them one, so they rest in the reconstructed pose.

The same noise leaves a support's top (a desk, a shelf board) a field of facets a millimetre
or two apart. MuJoCo then finds a single contact between it and the flat base of a box on
it, and the box rocks and walks: a tissue box on a desk turned 37 degrees in settling and a
small box slid 6.5 cm along a shelf. Each hull's top few millimetres are pressed onto its
highest plane (`flat_tops`), which gives the box a face-to-face contact; both came to rest
within 2 mm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simready_job.convex_pieces import ConvexPiece, hull_piece

BASE_BAND_M = 0.003  # at most this much of the bottom is pressed flat...
BASE_BAND_FRACTION = 0.05  # ...and at most this share of the object's height
# A hull's top band: BASE_BAND_M, at most this share of the piece's height. Wider than the base's
# share: a 3 cm shelf board carries 2 mm of noise on its top, and raising a top by a few
# millimetres only grows the hull.
TOP_BAND_FRACTION = 0.25


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


def flat_tops(pieces: Sequence[ConvexPiece], max_vertices: int) -> tuple[ConvexPiece, ...]:
    """The pieces with every vertex in each piece's top band moved up onto its highest plane.

    Per piece, not per object: every board of a shelf is a hull of its own. The band is
    BASE_BAND_M, at most TOP_BAND_FRACTION of the piece's height; the hull only grows, by
    less than the band. Each changed piece is re-hulled (never more vertices than it had).

    Args:
        pieces: an object's hulls in its asset frame (Z up).
        max_vertices: vertex budget per hull.

    Returns:
        The pieces, in the same order.
    """
    result = []
    for piece in pieces:
        z = piece.vertices[:, 2]
        highest = float(z.max())
        band = min(BASE_BAND_M, TOP_BAND_FRACTION * (highest - float(z.min())))
        top = z >= highest - band
        if bool(np.all(z[top] == highest)):
            result.append(piece)
            continue
        moved = piece.vertices.copy()
        moved[top, 2] = highest
        pressed = hull_piece(moved, max_vertices)
        result.append(piece if pressed is None else pressed)
    return tuple(result)
