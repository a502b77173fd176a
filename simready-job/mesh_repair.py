"""Repair of asset meshes before physics: clean-up, normals, and the zero-volume verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import trimesh
from scipy.spatial import ConvexHull, QhullError

from simready_job.mesh_cleanup import clean_mesh, separate_parts
from simready_job.mesh_winding import orient_faces
from tools.errors import InputError

MIN_VOLUME_M3 = 1e-9  # one cubic millimetre: anything smaller encloses no usable volume
MIN_EXTENT_M = 1e-4
MAX_PARTS = 256  # more separate parts than this: repaired as one mesh

VolumeSource = Literal["mesh", "convex_hull"]


class DegenerateMeshError(InputError):
    """The mesh encloses no volume (flat, a line, a point): no physics can be derived."""


@dataclass(frozen=True)
class PreparedMesh:
    """A mesh made ready for mass properties and collision.

    Attributes:
        solid: a watertight, outward-wound mesh: the repaired mesh or its convex hull.
        surface: the repaired surface (equals `solid` unless the hull had to stand in).
        volume_source: "mesh" when `solid` is the object itself, "convex_hull" otherwise.
        notes: what was repaired, for the manifest's provenance notes.
    """

    solid: trimesh.Trimesh
    surface: trimesh.Trimesh
    volume_source: VolumeSource
    notes: tuple[str, ...]


def convex_hull_or_none(points: np.ndarray) -> trimesh.Trimesh | None:
    """The convex hull of `points`, or None when they are (nearly) flat.

    Built from Qhull's triangulated facets directly (each wound away from the hull's
    interior). Near-duplicate points (an unwelded reconstruction) can leave Qhull's merged
    facets not quite closed: the hull is then recomputed joggled ("QJ"), whose output is
    always a closed triangulation.

    Args:
        points: (n, 3) positions.

    Returns:
        A watertight convex mesh with positive volume, or None.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 4 or float(np.max(np.ptp(points, axis=0))) < MIN_EXTENT_M:
        return None
    for options in ("Qt", "QJ"):
        hull = _qhull_mesh(points, options)
        if hull is not None and hull.is_watertight and hull.volume > MIN_VOLUME_M3:
            return hull
    return None


def _qhull_mesh(points: np.ndarray, options: str) -> trimesh.Trimesh | None:
    try:
        qhull = ConvexHull(points, qhull_options=options)
    except (QhullError, ValueError):
        return None
    used = np.unique(qhull.simplices)
    remap = np.zeros(len(points), dtype=np.int64)
    remap[used] = np.arange(len(used))
    faces = remap[qhull.simplices]
    vertices = points[used]
    # Qhull's facet equations give outward normals: flip triangles that disagree.
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", normals, qhull.equations[:, :3]) < 0
    faces[flip] = faces[flip][:, ::-1]
    return trimesh.Trimesh(vertices, faces, process=False)


def prepare_mesh(mesh: trimesh.Trimesh, source: str) -> PreparedMesh:
    """Repair `mesh` or reject it.

    Seams are welded, debris dropped and small holes closed first (`clean_mesh`); then each
    separate part is repaired on its own: normals made consistent and outward; a part that
    stays open counts with its convex hull, a part without volume is ignored. Every such
    repair is recorded in `notes`.

    Args:
        mesh: the loaded mesh (not modified).
        source: the scene-relative path, for error messages.

    Returns:
        The prepared mesh.

    Raises:
        DegenerateMeshError: no part (nor its hull) encloses MIN_VOLUME_M3.
    """
    # Zero-volume meshes make trimesh divide by zero while computing volume: we test for it.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _prepare(mesh.copy(), source)


def _prepare(work: trimesh.Trimesh, source: str) -> PreparedMesh:
    extents = work.extents if len(work.vertices) else np.zeros(3)
    if len(work.faces) == 0 or float(np.max(extents)) < MIN_EXTENT_M:
        raise DegenerateMeshError(source, "degenerate mesh: no extent")
    cleaned = clean_mesh(work)
    work = cleaned.mesh
    if len(work.faces) == 0:
        raise DegenerateMeshError(source, "degenerate mesh: no triangle with area")
    parts = separate_parts(work, MAX_PARTS)
    closed = [_close(part) for part in parts]
    solids = [mesh for mesh, how in closed if how in ("ok", "filled", "hull")]
    if not solids:
        raise DegenerateMeshError(source, "degenerate mesh: flat or zero volume (encloses none)")
    kinds = [how for _, how in closed]
    notes = list(cleaned.notes())
    if "filled" in kinds:
        notes.append("remaining triangle or quad holes filled")
    if "hull" in kinds:
        what = "its" if len(parts) == 1 else f"{kinds.count('hull')} open parts' own"
        notes.append(f"mesh not watertight after repair: volume and mass from {what} convex hull")
    if "flat" in kinds:
        notes.append(f"{kinds.count('flat')} flat part(s) without volume ignored")
    solid = join_meshes(solids)
    if "hull" not in kinds:
        return PreparedMesh(solid, solid, "mesh", tuple(notes))
    surface = join_meshes(
        [
            mesh if how != "hull" else part
            for (mesh, how), part in zip(closed, parts, strict=True)
            if how != "flat"
        ]
    )
    return PreparedMesh(solid, surface, "convex_hull", tuple(notes))


def _close(part: trimesh.Trimesh) -> tuple[trimesh.Trimesh, str]:
    """One connected part made watertight: "ok", "filled", "hull" (open: its hull) or "flat"."""
    filled = False
    if not part.is_watertight:
        # On a copy: a fill that leaves the part open is dropped. (trimesh's fill can close a
        # few three-edge corners of a large hole against the hole's winding; the surface then
        # kept that boundary, its holes could not be fan-closed, and an open-bottomed tissue
        # box measured 0 % convex and went to CoACD for 28 s.)
        candidate = part.copy()
        trimesh.repair.fill_holes(candidate)
        if candidate.is_watertight:
            part, filled = candidate, True
    if part.is_watertight:
        part = trimesh.Trimesh(
            part.vertices, orient_faces(part.vertices, part.faces), process=False
        )
        if part.volume < 0:
            part.invert()
        if part.is_winding_consistent and part.volume > MIN_VOLUME_M3:
            return part, "filled" if filled else "ok"
    # Open, inconsistent, or closed without volume (a soup of unwelded triangles can look
    # closed to trimesh): the hull decides whether there is a body at all.
    hull = convex_hull_or_none(part.vertices)
    return (hull, "hull") if hull is not None else (part, "flat")


def join_meshes(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """One mesh of separate parts (vertices not merged across parts, so each stays closed)."""
    if len(meshes) == 1:
        return meshes[0]
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    return trimesh.Trimesh(
        np.vstack([m.vertices for m in meshes]),
        np.vstack([m.faces + o for m, o in zip(meshes, offsets, strict=True)]),
        process=False,
    )
