"""The room's colliders: one thin box behind each floor, wall or ceiling plane of its mesh."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from simready_job.collision import CollisionResult
from simready_job.convex_pieces import ConvexPiece, FloatArray
from simready_job.mesh_repair import DegenerateMeshError

MAX_PLANES = 16


@dataclass(frozen=True)
class PlaneParams:
    """How planes are found and turned into slabs.

    Attributes:
        slab_thickness_m: thickness of each box, placed behind (outside) its surface.
        angle_tolerance_deg: faces within this angle of a plane's normal belong to it.
        offset_tolerance_m: ... and within this distance of the plane.
        min_area_fraction: planes smaller than this share of the mesh area are ignored.
    """

    slab_thickness_m: float = 0.1
    angle_tolerance_deg: float = 10.0
    offset_tolerance_m: float = 0.05
    min_area_fraction: float = 0.02


def room_slabs(mesh: trimesh.Trimesh, params: PlaneParams, source: str) -> CollisionResult:
    """Thin boxes behind the dominant planes of a room mesh (asset frame).

    Normals are turned to face the centre of the mesh's bounding box, so the floor's points
    up and walls' point inward; faces are then grouped greedily (largest first) by normal and
    offset. Each slab spans its plane's faces plus one thickness on every side (closing the
    corners) and lies between the surface and one thickness outside it: a hollow room even
    for an engine that turns every collision mesh into its convex hull.

    Args:
        mesh: the background mesh.
        params: tolerances and thickness.
        source: the scene-relative path, for error messages.

    Returns:
        One slab per plane, method "room_planes".

    Raises:
        DegenerateMeshError: no plane covers `min_area_fraction` of the mesh.
    """
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    valid = areas > 0
    centres = np.asarray(mesh.triangles_center, dtype=np.float64)[valid]
    normals = np.asarray(mesh.face_normals, dtype=np.float64)[valid]
    areas = areas[valid]
    faces = np.asarray(mesh.faces, dtype=np.int64)[valid]
    if len(areas) == 0:
        raise DegenerateMeshError(source, "room mesh has no faces with area")
    middle = np.asarray(mesh.bounds, dtype=np.float64).mean(axis=0)
    flip = np.einsum("ij,ij->i", normals, middle - centres) < 0
    normals[flip] = -normals[flip]
    cos_tol = np.cos(np.radians(params.angle_tolerance_deg))
    free = np.ones(len(areas), dtype=bool)
    pieces: list[ConvexPiece] = []
    total = float(areas.sum())
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    while free.any() and len(pieces) < MAX_PLANES:
        seed = int(np.argmax(np.where(free, areas, -1.0)))
        normal, offset = normals[seed], float(normals[seed] @ centres[seed])
        member = (
            free
            & (normals @ normal >= cos_tol)
            & (np.abs(centres @ normal - offset) <= params.offset_tolerance_m)
        )
        free &= ~member
        if areas[member].sum() < params.min_area_fraction * total:
            continue
        weights = areas[member]
        normal = (normals[member] * weights[:, None]).sum(axis=0)
        normal /= np.linalg.norm(normal)
        offset = float((centres[member] @ normal * weights).sum() / weights.sum())
        points = vertices[np.unique(faces[member])]
        pieces.append(_slab(normal, offset, points, params.slab_thickness_m))
    if not pieces:
        raise DegenerateMeshError(source, "room mesh has no floor or wall plane")
    return CollisionResult(tuple(pieces), "room_planes")


def _slab(normal: FloatArray, offset: float, points: FloatArray, thickness: float) -> ConvexPiece:
    """A box: the plane's footprint grown by `thickness`, from the surface to outside."""
    helper = np.array([0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    pu, pv = points @ u, points @ v
    corners = [
        normal * n + u * a + v * b
        for n in (offset - thickness, offset)
        for a in (pu.min() - thickness, pu.max() + thickness)
        for b in (pv.min() - thickness, pv.max() + thickness)
    ]
    box = trimesh.convex.convex_hull(np.asarray(corners))
    return ConvexPiece(
        np.asarray(box.vertices, dtype=np.float64), np.asarray(box.faces, dtype=np.int64)
    )
