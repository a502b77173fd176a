"""Clean-up of reconstructed meshes for physics: weld seams, drop debris, close small holes.

Textured reconstructions duplicate vertices along UV seams, so the indexed mesh falls apart
into charts even though the surface is closed. Physics needs only positions: vertices are
welded by position within a tolerance relative to the object's size (UVs ignored), tiny
disconnected fragments are dropped, and small holes are closed with a fan. The visual mesh
is never touched; only the physics body and hulls come from the cleaned mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from simready_job.mesh_io import FloatArray, IntArray
from simready_job.mesh_winding import adjacent_pairs, orient_faces

# Weld radius as a share of the bounding-box diagonal: 1e-4 is 12 µm on a 12 cm lemon, far
# above float32 rounding of seam copies (< 1 µm within a few metres of the origin) and far
# below the edge length of a 40k-triangle reconstruction (~1 mm), so no real edge collapses.
WELD_FRACTION = 1e-4
# A hole is closed only when it spans at most this share of the diagonal: cracks and missing
# triangles are closed, an open top (a cup without lid) is left open and judged as such.
SMALL_HOLE_FRACTION = 0.1
# A separate component is debris when it is both this small (share of the diagonal) and
# holds this small a share of the triangles: floating specks, not a table's leg.
DEBRIS_SIZE_FRACTION = 0.1
DEBRIS_FACE_FRACTION = 0.01
# Debris is a few specks: when "debris" would hold more than this share of the triangles, the
# mesh is a soup of unwelded pieces instead, and nothing is dropped (the hull stands in).
DEBRIS_TOTAL_FRACTION = 0.05


@dataclass(frozen=True)
class CleanedMesh:
    """The mesh after clean-up and what was done, for the manifest's notes."""

    mesh: trimesh.Trimesh
    welded_vertices: int
    debris_components: int
    holes_filled: int
    open_edges_before: int

    def notes(self) -> tuple[str, ...]:
        """Human-readable notes of the repairs that changed something."""
        notes = []
        if self.welded_vertices:
            notes.append(f"{self.welded_vertices} seam vertices welded (physics only)")
        if self.debris_components:
            notes.append(f"{self.debris_components} tiny debris component(s) dropped")
        if self.holes_filled:
            notes.append(
                f"mesh not watertight ({self.open_edges_before} open edges): "
                f"{self.holes_filled} small hole(s) filled"
            )
        return tuple(notes)


def clean_mesh(mesh: trimesh.Trimesh) -> CleanedMesh:
    """Weld seams, drop degenerate and duplicate triangles, fix winding, drop debris, fill
    small holes.

    Args:
        mesh: the loaded mesh (not modified).

    Returns:
        The cleaned mesh (deterministic for the same input arrays) and counts.
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    diagonal = float(np.linalg.norm(np.ptp(vertices, axis=0))) if len(vertices) else 0.0
    vertices, faces, welded = weld_vertices(vertices, faces, WELD_FRACTION * diagonal)
    faces = orient_faces(vertices, _valid_faces(faces))
    open_before = len(boundary_edges(faces))
    faces, debris = _drop_debris(vertices, faces, diagonal)
    vertices, faces, filled = fill_small_holes(vertices, faces, SMALL_HOLE_FRACTION * diagonal)
    used = np.unique(faces)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    cleaned = trimesh.Trimesh(vertices[used], remap[faces], process=False)
    return CleanedMesh(cleaned, welded, debris, filled, open_before)


def weld_vertices(
    vertices: FloatArray, faces: IntArray, tolerance: float
) -> tuple[FloatArray, IntArray, int]:
    """Merge vertices closer than `tolerance` (clusters take their lowest-index position).

    Args:
        vertices: (n, 3) positions.
        faces: (m, 3) indices.
        tolerance: merge radius in metres (0: exact duplicates only).

    Returns:
        Welded vertices, re-indexed faces, and how many vertices were merged away.
    """
    if len(vertices) == 0:
        return vertices, faces, 0
    pairs = cKDTree(vertices).query_pairs(max(tolerance, 0.0), output_type="ndarray")
    graph = coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(vertices),) * 2
    )
    count, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)  # labels are numbered by first vertex
    return vertices[first], labels[faces].astype(np.int64), len(vertices) - count


def _valid_faces(faces: IntArray) -> IntArray:
    """Faces without repeated corners and without duplicates (first occurrence kept)."""
    ok = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    faces = faces[ok]
    _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
    return faces[np.sort(first)]


def boundary_edges(faces: IntArray) -> IntArray:
    """Directed edges (a, b) of triangles whose undirected edge no other triangle has."""
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    _, inverse, counts = np.unique(
        np.sort(directed, axis=1), axis=0, return_inverse=True, return_counts=True
    )
    return np.asarray(directed[counts[inverse.ravel()] == 1], dtype=np.int64)


def _drop_debris(vertices: FloatArray, faces: IntArray, diagonal: float) -> tuple[IntArray, int]:
    """Remove small components holding few triangles (never the largest one)."""
    labels = _face_components(faces, len(vertices))
    count = int(labels.max()) + 1 if len(labels) else 0
    if count < 2:
        return faces, 0
    sizes = np.bincount(labels, minlength=count)
    # Bounding box per component in one pass (faces sorted by component), not per component.
    order = np.argsort(labels, kind="stable")
    corners = vertices[faces[order]]
    starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])
    low = np.minimum.reduceat(corners.min(axis=1), starts)
    high = np.maximum.reduceat(corners.max(axis=1), starts)
    small = np.linalg.norm(high - low, axis=1) < DEBRIS_SIZE_FRACTION * diagonal
    few = (sizes <= DEBRIS_FACE_FRACTION * len(faces)) & (sizes < sizes.max())
    debris = np.flatnonzero(small & few)
    if len(debris) == 0 or sizes[debris].sum() > DEBRIS_TOTAL_FRACTION * len(faces):
        return faces, 0
    return faces[~np.isin(labels, debris)], len(debris)


def separate_parts(mesh: trimesh.Trimesh, max_parts: int) -> list[trimesh.Trimesh]:
    """The mesh's connected parts, or the mesh alone when it has one or more than `max_parts`.

    Parts are triangles joined through manifold edges (an edge of exactly two triangles), as
    trimesh's `split` has them: boards resting on a pallet's blocks share vertices, not
    surface, and stay separate parts. They are counted before anything is split (splitting a
    soup of 80,000 unwelded triangles into meshes would take minutes), and split by the same
    labels, so the count is the number of parts returned; parts are not repaired on the way
    (trimesh's split fills three-edge corners of large holes against their winding).

    Args:
        mesh: the mesh (not modified).
        max_parts: most parts to return before giving up on splitting.

    Returns:
        The parts (unprocessed meshes, ordered by their first triangle), or `[mesh]`.
    """
    faces = np.asarray(mesh.faces, dtype=np.int64)
    labels = _surface_components(faces)
    count = int(labels.max()) + 1 if len(labels) else 0
    if not 1 < count <= max_parts:
        return [mesh]
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(count + 1))
    parts = []
    for k in range(count):
        part_faces = faces[order[starts[k] : starts[k + 1]]]
        used = np.unique(part_faces)
        remap[used] = np.arange(len(used))
        parts.append(trimesh.Trimesh(vertices[used], remap[part_faces], process=False))
    return parts


def _surface_components(faces: IntArray) -> IntArray:
    """Component label of each face, faces joined through manifold edges (numbered in order
    of each component's first face)."""
    if len(faces) == 0:
        return np.zeros(0, dtype=np.int64)
    first, second, _ = adjacent_pairs(faces)
    graph = coo_matrix((np.ones(len(first)), (first, second)), shape=(len(faces),) * 2)
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _face_components(faces: IntArray, vertex_count: int) -> IntArray:
    """Component label of each face (faces sharing a vertex are connected)."""
    if len(faces) == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(len(faces)), 3)
    graph = coo_matrix(
        (np.ones(len(rows)), (faces.ravel(), rows + vertex_count)),
        shape=(vertex_count + len(faces),) * 2,
    )
    _, labels = connected_components(graph, directed=False)
    face_labels = labels[vertex_count:]
    _, dense = np.unique(face_labels, return_inverse=True)
    return dense.ravel().astype(np.int64)


def fill_small_holes(
    vertices: FloatArray, faces: IntArray, max_extent: float
) -> tuple[FloatArray, IntArray, int]:
    """Close each boundary loop whose vertices lie within `max_extent` of its centroid.

    A loop is closed by a fan around a new vertex at its centroid, wound against the
    loop's edges so the fill continues the surrounding triangles' orientation.

    Args:
        vertices: (n, 3) positions.
        faces: (m, 3) indices.
        max_extent: largest centroid-to-vertex distance of a hole that is closed (m).

    Returns:
        Vertices and faces with the fills appended, and how many holes were closed.
    """
    new_vertices: list[FloatArray] = []
    new_faces: list[IntArray] = []
    for loop in _boundary_loops(boundary_edges(faces)):
        corners = vertices[loop[:, 0]]
        centre = corners.mean(axis=0)
        if np.linalg.norm(corners - centre, axis=1).max() > max_extent:
            continue
        index = len(vertices) + len(new_vertices)
        new_vertices.append(centre)
        new_faces.append(np.column_stack([loop[:, 1], loop[:, 0], np.full(len(loop), index)]))
    if not new_faces:
        return vertices, faces, 0
    return (
        np.vstack([vertices, np.asarray(new_vertices)]),
        np.vstack([faces, *new_faces]),
        len(new_faces),
    )


def enclosed_volume(mesh: trimesh.Trimesh) -> float:
    """The volume `mesh` encloses once every hole, however large, is closed by a fan.

    Used to judge the convexity of open meshes (an open-bottomed box is still a box); never
    for mass, which an open mesh takes from its convex hull.

    Args:
        mesh: a consistently wound mesh.

    Returns:
        The volume (m^3), or 0.0 when the mesh cannot be closed that way.
    """
    if mesh.is_watertight:
        return abs(float(mesh.volume))
    vertices, faces, _ = fill_small_holes(
        np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64), np.inf
    )
    # Closed means every directed edge is matched by its reverse. trimesh's watertight test
    # wants each edge in exactly two triangles, which a hole whose rim touches itself (a
    # pinched loop, common on a noisy open bottom) breaks although the volume is well defined.
    if len(faces) == 0 or not edges_cancel(faces):
        return 0.0
    tri = vertices[faces]
    return abs(float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()) / 6.0)


def edges_cancel(faces: IntArray) -> bool:
    """Whether each directed edge (a, b) of the triangles has a matching (b, a): a closed,
    consistently wound surface (non-manifold edges allowed)."""
    if len(faces) == 0:
        return False
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    size = int(faces.max()) + 1
    forward = np.sort(directed[:, 0] * size + directed[:, 1])
    backward = np.sort(directed[:, 1] * size + directed[:, 0])
    return bool(np.array_equal(forward, backward))


def _boundary_loops(edges: IntArray) -> list[IntArray]:
    """Split directed boundary edges into closed chains (each an (k, 2) edge array).

    A consistently wound boundary has as many outgoing as incoming edges at every vertex,
    so following outgoing edges always returns to the start; at a vertex shared by two
    holes the lowest unused edge is taken, which keeps the split deterministic.
    """
    outgoing: dict[int, list[int]] = {}
    for k, (a, _) in enumerate(edges.tolist()):
        outgoing.setdefault(a, []).append(k)
    used = np.zeros(len(edges), dtype=bool)
    loops = []
    for start in range(len(edges)):
        if used[start]:
            continue
        chain = [start]
        used[start] = True
        head = int(edges[start, 0])
        while int(edges[chain[-1], 1]) != head:
            options = [k for k in outgoing.get(int(edges[chain[-1], 1]), []) if not used[k]]
            if not options:
                break  # an inconsistently wound boundary: leave this chain open
            chain.append(options[0])
            used[options[0]] = True
        if int(edges[chain[-1], 1]) == head and len(chain) >= 3:
            loops.append(edges[chain])
    return loops
