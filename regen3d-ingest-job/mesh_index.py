"""Spatial index of one triangle mesh: fast winding numbers, distances and vertical crossings.

Dense reconstructions (tens of thousands of triangles, split along UV seams, cracked) make
the all-pairs kernels of `contacts` quadratic. This index keeps their answers while costing
about O(P log F) per query batch:

- Winding numbers use a bounding-volume tree over the triangles in Morton order. A cluster
  far from the query (distance > `FAR_FIELD_RATIO` x its radius) contributes through its
  dipole (sum of area-weighted normals at its centroid, the first term of the far-field
  expansion of Barill et al. 2018); near clusters are summed exactly triangle by triangle.
  The generalized winding number stays robust on open, seam-split meshes, where a
  nearest-triangle pseudo-normal sign test flips at every crack.
- Distances use a k-d tree over triangle centroids: only triangles whose centroid lies
  within (nearest centroid distance + the largest centroid-to-corner radius) can hold the
  closest point, and those are tested exactly.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from regen3d_ingest_job.contacts import Faces, closest_on_triangles, solid_angles, surface_heights

Array = NDArray[np.float64]
Ints = NDArray[np.int64]

LEAF_TRIANGLES = 8
FAR_FIELD_RATIO = 2.0  # first-order far field: winding error <~0.05 here, far from the 0.5 cut
_MORTON_BITS = 10
_PAIR_CHUNK = 32768  # (query, leaf) pairs evaluated exactly per block (bounds memory)
_BALL_CHUNK = 2048  # distance queries per k-d tree ball search
_BALL_NEIGHBOURS = 8  # balls checked per point when outside points settle their neighbours
_FIRST_BATCH = 256  # penetration scan: points tested first (doubling), so shallow scans stop early


class MeshIndex:
    """Acceleration structures of one mesh (its own frame; queries must be in that frame).

    Args:
        vertices: (V, 3) positions.
        faces: (F, 3) triangle indices.
    """

    def __init__(self, vertices: Array, faces: Faces) -> None:
        self.vertices = np.asarray(vertices, dtype=np.float64)
        self.faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
        self.low = self.vertices.min(axis=0) if len(self.vertices) else np.zeros(3)
        self.high = self.vertices.max(axis=0) if len(self.vertices) else np.zeros(3)

    @cached_property
    def _triangles(self) -> Array:
        """(F, 3, 3) corners, in Morton order of their centroids (spatially coherent runs)."""
        tri = self.vertices[self.faces]
        centroids = tri.mean(axis=1)
        span = np.maximum(self.high - self.low, 1e-12)
        cells = ((centroids - self.low) / span * (2**_MORTON_BITS - 1)).astype(np.int64)
        result: Array = tri[np.argsort(_morton(cells), kind="stable")]
        return result

    @cached_property
    def _levels(self) -> list[tuple[Array, Array, Array]]:
        """Per tree level, leaves first: cluster centres, bounding radii and dipoles.

        A parent's radius bounds its children's spheres (centre offset + child radius), so
        the build costs O(F) after the leaves.
        """
        tri = self._triangles
        dipoles = 0.5 * np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        weights = np.linalg.norm(dipoles, axis=1) + 1e-30
        points = tri.mean(axis=1)
        reach = np.zeros(len(tri))
        corners = tri
        size = LEAF_TRIANGLES
        levels = []
        while True:
            starts = np.arange(0, len(points), size)
            weight = np.add.reduceat(weights, starts)
            centre = np.add.reduceat(points * weights[:, None], starts) / weight[:, None]
            owner = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(points))))
            offsets = np.linalg.norm(corners - centre[owner][:, None, :], axis=-1).max(axis=-1)
            radius = np.maximum.reduceat(offsets + reach, starts)
            dipole = np.add.reduceat(dipoles, starts)
            levels.append((centre, radius, dipole))
            if len(starts) == 1:
                return levels
            points, weights, dipoles, reach = centre, weight, dipole, radius
            corners = centre[:, None, :]
            size = 2

    @cached_property
    def _corners(self) -> Array:
        """(F, 3, 3) corners in face order."""
        result: Array = self.vertices[self.faces]
        return result

    @cached_property
    def _boxes(self) -> tuple[Array, Array]:
        """Per-triangle bounding boxes (low, high), (F, 3) each."""
        return self._corners.min(axis=1), self._corners.max(axis=1)

    @cached_property
    def _centroid_tree(self) -> tuple[cKDTree, float]:
        tri = self._corners
        centroids = tri.mean(axis=1)
        reach = float(np.linalg.norm(tri - centroids[:, None, :], axis=2).max())
        return cKDTree(centroids), reach

    def winding_numbers(self, points: Array) -> Array:
        """(P,) generalized winding numbers of the points (1 inside, 0 outside)."""
        total = np.zeros(len(points))
        if len(points) == 0 or len(self.faces) == 0:
            return total
        levels = self._levels
        queries = np.arange(len(points))
        nodes = np.zeros(len(points), dtype=np.int64)
        for depth in range(len(levels) - 1, -1, -1):
            centre, radius, dipole = levels[depth]
            offset = centre[nodes] - points[queries]
            distance = np.linalg.norm(offset, axis=1)
            far = distance > FAR_FIELD_RATIO * radius[nodes]
            flux = np.einsum("ij,ij->i", offset[far], dipole[nodes[far]]) / distance[far] ** 3
            total += np.bincount(queries[far], flux, minlength=len(points))
            queries, nodes = queries[~far], nodes[~far]
            if depth > 0:
                count = len(levels[depth - 1][0])
                queries = np.repeat(queries, 2)
                nodes = (2 * np.repeat(nodes, 2) + np.tile([0, 1], len(nodes))).astype(np.int64)
                keep = nodes < count
                queries, nodes = queries[keep], nodes[keep]
        total += self._exact_leaves(points, queries, nodes)
        result: Array = total / (4.0 * np.pi)
        return result

    def _exact_leaves(self, points: Array, queries: Ints, leaves: Ints) -> Array:
        """Solid angles summed over the triangles of each (query, leaf) pair, per query."""
        tri = self._triangles
        total = np.zeros(len(points))
        slots = np.arange(LEAF_TRIANGLES)
        for start in range(0, len(queries), _PAIR_CHUNK):
            q = queries[start : start + _PAIR_CHUNK]
            index = leaves[start : start + _PAIR_CHUNK, None] * LEAF_TRIANGLES + slots
            valid = index < len(tri)
            corners = tri[np.minimum(index, len(tri) - 1)] - points[q][:, None, None, :]
            angles = solid_angles(corners[..., 0, :], corners[..., 1, :], corners[..., 2, :])
            total += np.bincount(q, np.where(valid, angles, 0.0).sum(axis=1), len(points))
        return total

    def distances(self, points: Array) -> Array:
        """(P,) unsigned distance from each point to the mesh surface (exact)."""
        if len(points) == 0:
            return np.zeros(0)
        tree, reach = self._centroid_tree
        nearest, _ = tree.query(points)
        best = np.asarray(nearest, dtype=np.float64).copy()
        tri = self._corners
        for start in range(0, len(points), _BALL_CHUNK):
            chunk = points[start : start + _BALL_CHUNK]
            balls = tree.query_ball_point(chunk, best[start : start + _BALL_CHUNK] + reach)
            counts = np.fromiter((len(b) for b in balls), dtype=np.int64, count=len(balls))
            owners = np.repeat(np.arange(len(chunk)), counts)
            candidates = np.fromiter(
                (i for ball in balls for i in ball), dtype=np.int64, count=int(counts.sum())
            )
            corners = tri[candidates]
            p = chunk[owners]
            closest = closest_on_triangles(p, corners[:, 0], corners[:, 1], corners[:, 2])
            gaps = np.linalg.norm(closest - p, axis=1)
            found = np.full(len(chunk), np.inf)
            np.minimum.at(found, owners, gaps)
            best[start : start + len(chunk)] = found
        return best

    def penetration_depth(self, points: Array, resolution: float = 0.0) -> float:
        """How deep the deepest point lies inside the mesh (0 when none is inside).

        Points are visited farthest from the surface first (by upper bounds of their depth),
        so the first inside points found are the deepest and the scan
        stops once no remaining point can be deeper. A point found outside at distance d
        also settles every point within d of it (no surface lies in between). Points within
        `resolution` of the surface are never tested: a resting contact costs nothing.

        Args:
            points: (P, 3) query points in the mesh's frame.
            resolution: depths up to this are reported as 0.

        Returns:
            The depth, in the points' unit.
        """
        points = points[((points > self.low) & (points < self.high)).all(axis=1)]
        if len(points) == 0 or len(self.faces) == 0:
            return 0.0
        tree, _ = self._centroid_tree
        # Upper bounds of each point's depth: its nearest centroid lies on the surface, and a
        # point inside the mesh is never deeper than its distance to the mesh's box (the way
        # out to the box crosses the surface): contacts at the box's skin cost nothing.
        upper = np.minimum(
            np.asarray(tree.query(points)[0], dtype=np.float64),
            np.minimum(points - self.low, self.high - points).min(axis=1),
        )
        order = np.argsort(-upper, kind="stable")
        order = order[upper[order] > resolution]
        points, upper = points[order], upper[order]
        settled = np.zeros(len(points), dtype=bool)
        best, start, batch = 0.0, 0, _FIRST_BATCH
        while start < len(points) and upper[start] > max(best, resolution):
            pending = np.arange(start, min(start + batch, len(points)))
            pending = pending[~settled[pending]]
            start, batch = start + batch, batch * 2
            if len(pending) == 0:
                continue
            inside = self.winding_numbers(points[pending]) > 0.5
            gaps = self.distances(points[pending])
            if inside.any():
                best = max(best, float(gaps[inside].max()))
            if start < len(points) and not inside.all():
                settled[start:] |= _within_any_ball(
                    points[start:], points[pending[~inside]], gaps[~inside]
                )
        return best if best > resolution else 0.0

    def highest_surface(self, points_xy: Array, low: float, high: float) -> float | None:
        """The highest crossing in [low, high] of vertical lines through the points, or None."""
        return _highest_in_boxes(points_xy, self.vertices, self.faces, self._boxes, low, high)


def highest_crossing(
    points_xy: Array, vertices: Array, faces: Faces, low: float, high: float
) -> float | None:
    """`contacts.highest_surface` with a box broad phase, for meshes without an index."""
    corners = vertices[faces]
    boxes = (corners.min(axis=1), corners.max(axis=1))
    return _highest_in_boxes(points_xy, vertices, faces, boxes, low, high)


def _highest_in_boxes(
    points_xy: Array,
    vertices: Array,
    faces: Faces,
    boxes: tuple[Array, Array],
    low: float,
    high: float,
) -> float | None:
    """Only triangles whose box meets the points' XY box and the height window are tested."""
    lo_xy, hi_xy = points_xy.min(axis=0), points_xy.max(axis=0)
    t_low, t_high = boxes
    near = (
        (t_low[:, :2] <= hi_xy).all(axis=1)
        & (t_high[:, :2] >= lo_xy).all(axis=1)
        & (t_high[:, 2] >= low)
        & (t_low[:, 2] <= high)
    )
    heights = surface_heights(points_xy, vertices, faces[near])
    window = heights[(heights >= low) & (heights <= high)]
    return float(window.max()) if window.size else None


def _within_any_ball(points: Array, centres: Array, radii: Array) -> NDArray[np.bool_]:
    """Whether each point lies inside one of the balls (checked against its nearest centres:
    a point may be missed, never wrongly included)."""
    k = min(_BALL_NEIGHBOURS, len(centres))
    distance, nearest = cKDTree(centres).query(points, k=k)
    distance, nearest = distance.reshape(len(points), k), nearest.reshape(len(points), k)
    result: NDArray[np.bool_] = (distance < radii[nearest]).any(axis=1)
    return result


def _morton(cells: Ints) -> Ints:
    """Interleaved bits of (N, 3) integer cells: nearby cells get nearby codes."""
    code = np.zeros(len(cells), dtype=np.int64)
    for bit in range(_MORTON_BITS):
        for axis in range(3):
            code |= ((cells[:, axis] >> bit) & 1) << (3 * bit + axis)
    return code
