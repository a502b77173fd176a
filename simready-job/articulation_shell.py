"""A hollow carcass for articulated furniture: box colliders with room behind the parts.

The body of a cabinet, counter, fridge or appliance is built as a shell of boards — sides,
floor, top, back, and the facade wherever no door or drawer is — so that an object can stand
inside an opened cupboard or ride in a drawer as it closes (simready's own hulls fill the
carcass). Each board spans the object's outer box; the top and bottom boards reach as far
forward as the mesh does at their heights (a worktop's overhang, a plinth's recess).
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from simready_job.articulation_facade import FrontFrame
from simready_job.articulation_layout import PartPlan
from simready_job.articulation_mesh import Box

FloatArray = npt.NDArray[np.float64]
Span = tuple[float, float]
BOARD_M = 0.018  # a carcass board
_EPS = 1e-3


def _box(front: FrontFrame, u: Span, s: Span, z: Span) -> Box:
    corners = np.array([front.point(a, b, c) for a in u for b in s for c in z])
    return corners.min(axis=0), corners.max(axis=0)


def _reach(coords: FloatArray, z: Span, default: float) -> float:
    """How far forward (along the normal) the mesh reaches strictly between heights z."""
    inside = (coords[:, 2] > z[0] + _EPS) & (coords[:, 2] < z[1] - _EPS)
    return float(coords[inside, 1].max()) if inside.any() else default


def _facade_cover(plans: list[PartPlan], u: Span, z: Span) -> list[tuple[Span, Span]]:
    """Rectangles of the facade (u, z) no part covers, merged along each row."""
    us = sorted({u[0], u[1], *(min(max(v, u[0]), u[1]) for p in plans for v in p.u)})
    zs = sorted({z[0], z[1], *(min(max(v, z[0]), z[1]) for p in plans for v in p.z)})
    cells: list[tuple[Span, Span]] = []
    for z0, z1 in itertools.pairwise(zs):
        run: Span | None = None
        for u0, u1 in itertools.pairwise(us):
            mid = ((u0 + u1) / 2, (z0 + z1) / 2)
            covered = any(p.u[0] <= mid[0] <= p.u[1] and p.z[0] <= mid[1] <= p.z[1] for p in plans)
            if covered or u1 - u0 < _EPS or z1 - z0 < _EPS:
                if run is not None:
                    cells.append((run, (z0, z1)))
                run = None
                continue
            run = (run[0], u1) if run is not None else (u0, u1)
        if run is not None:
            cells.append((run, (z0, z1)))
    return cells


def carcass_shell(
    front: FrontFrame, vertices: FloatArray, plans: list[PartPlan]
) -> list[Box] | None:
    """Boards of a hollow carcass behind the facade (asset frame boxes).

    Args:
        front: the object's front frame.
        vertices: the object's mesh vertices (asset frame).
        plans: the doors and drawers on the facade.

    Returns:
        Sides, floor, top, back and facade cover, or None when the facade leaves no room for
        a hollow (then the body keeps its hulls).
    """
    coords = np.stack(
        [vertices @ front.right, vertices @ front.normal, vertices[:, 2]], axis=1
    ).astype(np.float64)
    (u_lo, s_lo, z_lo), (u_hi, _, z_hi) = coords.min(axis=0), coords.max(axis=0)
    hu = (max(u_lo + BOARD_M, front.u_range[0]), min(u_hi - BOARD_M, front.u_range[1]))
    hz = (max(z_lo + BOARD_M, front.z_range[0]), min(z_hi - BOARD_M, front.z_range[1]))
    back = s_lo + BOARD_M
    if min(hu[1] - hu[0], hz[1] - hz[0], front.plane - BOARD_M - back) < 2 * BOARD_M:
        return None
    plane = front.plane
    below = _reach(coords, (z_lo, hz[0]), plane)
    above = _reach(coords, (hz[1], z_hi), plane)
    boards = [
        _box(front, (u_lo, hu[0]), (s_lo, plane), (z_lo, z_hi)),
        _box(front, (hu[1], u_hi), (s_lo, plane), (z_lo, z_hi)),
        _box(front, hu, (s_lo, below), (z_lo, hz[0])),
        _box(front, hu, (s_lo, above), (hz[1], z_hi)),
        _box(front, hu, (s_lo, back), hz),
    ]
    for u, z in _facade_cover(plans, hu, hz):
        boards.append(_box(front, u, (plane - BOARD_M, plane), z))
    return boards
