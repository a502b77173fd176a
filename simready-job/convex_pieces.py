"""Convex pieces (collision hulls): construction, vertex limits and merging to a hull budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import ConvexHull, QhullError

from simready_job.mesh_repair import convex_hull_or_none

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ENGINE_MAX_HULL_VERTICES = 255  # PhysX's per-hull limit; MuJoCo accepts it too
_FLAT_BAND_M = 5e-4  # points this close to the lowest/highest z form the support outline
_FLAT_BAND_FRACTION = 1e-3
_MERGE_NEIGHBOURS = 4  # merge candidates per piece (nearest centroids)


@dataclass(frozen=True)
class ConvexPiece:
    """One convex hull: vertices (n, 3) in the asset frame and outward triangles (m, 3)."""

    vertices: FloatArray
    faces: IntArray

    @property
    def volume(self) -> float:
        """Enclosed volume in m^3 (divergence theorem over the triangles)."""
        tri = self.vertices[self.faces]
        return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)

    @property
    def centroid(self) -> FloatArray:
        """Mean of the vertices (enough to order and pair hulls)."""
        return np.asarray(self.vertices.mean(axis=0), dtype=np.float64)


def hull_piece(points: FloatArray, max_vertices: int) -> ConvexPiece | None:
    """The convex hull of `points` with at most `max_vertices` vertices, or None if flat.

    When the full hull has too many vertices, a farthest-point subset of its vertices is
    hulled instead (bottom and top outlines first): the result lies inside the true hull,
    keeps its extreme points and stands on the same support polygon.

    Args:
        points: (n, 3) positions.
        max_vertices: vertex budget (4..255).

    Returns:
        The piece, or None when the points span no volume.
    """
    hull = convex_hull_or_none(points)
    if hull is None:
        return None
    vertices = np.asarray(hull.vertices, dtype=np.float64)
    if len(vertices) > max_vertices:
        hull = convex_hull_or_none(vertices[_farthest_points(vertices, max_vertices)])
        if hull is None:
            return None
    return ConvexPiece(
        np.asarray(hull.vertices, dtype=np.float64), np.asarray(hull.faces, dtype=np.int64)
    )


def _farthest_points(points: FloatArray, count: int) -> IntArray:
    """Indices of `count` points chosen far apart, keeping the bottom and top outlines.

    In the asset frame an object rests on its lowest points and carries others on its
    highest: points within a flat band at min z and at max z are picked first (a quarter
    of the budget each, spread by farthest-point order), so a reduced hull still stands
    on the same support polygon; the rest of the budget goes to the farthest points overall.
    """
    z = points[:, 2]
    band = max(_FLAT_BAND_M, _FLAT_BAND_FRACTION * float(np.ptp(z)))
    chosen: list[int] = []
    for plane in (z <= z.min() + band, z >= z.max() - band):
        candidates = np.flatnonzero(plane)
        chosen += _spread(points, candidates, max(3, count // 4), chosen)
    chosen += _spread(points, np.arange(len(points)), count - len(set(chosen)), chosen)
    return np.asarray(sorted(set(chosen)), dtype=np.int64)


def _spread(points: FloatArray, candidates: IntArray, count: int, chosen: list[int]) -> list[int]:
    """Greedy farthest-point choice of up to `count` candidates, away from `chosen`."""
    pool = points[candidates]
    if count <= 0 or len(pool) == 0:
        return []
    picked: list[int] = []
    if chosen:
        gaps = pool[:, None, :] - points[chosen][None, :, :]
        distance = np.min(np.linalg.norm(gaps, axis=2), axis=1)
    else:
        first = int(np.argmax(np.linalg.norm(pool - pool.mean(axis=0), axis=1)))
        picked.append(int(candidates[first]))
        distance = np.linalg.norm(pool - pool[first], axis=1)
    while len(picked) < min(count, len(pool)):
        index = int(np.argmax(distance))
        if distance[index] <= 0:
            break
        picked.append(int(candidates[index]))
        distance = np.minimum(distance, np.linalg.norm(pool - pool[index], axis=1))
    return picked


def merge_to_budget(
    pieces: Sequence[ConvexPiece], max_hulls: int, max_vertices: int
) -> list[ConvexPiece]:
    """Merge pieces pairwise until at most `max_hulls` remain, wasting the least volume.

    Each step merges, among every piece and its `_MERGE_NEIGHBOURS` nearest neighbours (by
    centroid), the pair whose joint hull adds the least empty volume (gaps such as a
    pallet's fork pockets are filled last).

    Args:
        pieces: the hulls.
        max_hulls: the budget.
        max_vertices: vertex budget of merged hulls.

    Returns:
        At most `max_hulls` hulls covering every input piece.
    """
    work = list(pieces)
    labels = list(range(len(work)))  # stable names of pieces, for the memo below
    waste: dict[tuple[int, int], float] = {}  # empty volume of a joint hull, by label pair
    while len(work) > max_hulls:
        best: tuple[float, int, int] | None = None
        for i, j in _neighbour_pairs(work):
            key = (labels[i], labels[j])
            if key not in waste:
                waste[key] = _joint_hull_volume(work[i], work[j]) - work[i].volume - work[j].volume
            if best is None or waste[key] < best[0]:
                best = (waste[key], i, j)
        merged = (
            None
            if best is None
            else hull_piece(
                np.vstack([work[best[1]].vertices, work[best[2]].vertices]), max_vertices
            )
        )
        if best is None or merged is None:  # cannot happen for pieces with volume
            break
        work = [p for k, p in enumerate(work) if k not in best[1:]] + [merged]
        labels = [n for k, n in enumerate(labels) if k not in best[1:]] + [max(labels) + 1]
    return work


def _joint_hull_volume(a: ConvexPiece, b: ConvexPiece) -> float:
    try:
        return float(ConvexHull(np.vstack([a.vertices, b.vertices])).volume)
    except (QhullError, ValueError):
        return float("inf")


def _neighbour_pairs(pieces: Sequence[ConvexPiece]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of each piece with its nearest neighbours, sorted."""
    centres = np.stack([p.centroid for p in pieces])
    gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    gaps[np.diag_indices(len(pieces))] = np.inf
    count = min(_MERGE_NEIGHBOURS, len(pieces) - 1)  # the diagonal (inf) sorts last
    nearest = np.argsort(gaps, axis=1, kind="stable")[:, :count]
    pairs = {(min(i, int(j)), max(i, int(j))) for i in range(len(pieces)) for j in nearest[i]}
    return sorted(pairs)
