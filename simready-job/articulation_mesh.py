"""Cutting a textured object mesh into its parts by boxes, keeping UVs and materials.

Each part's region is an axis-aligned box of the asset frame; triangles crossing a box face
are clipped (trimesh's plane slicing interpolates their UVs), so a door cut out of one big
front quad keeps its share of the texture and the body keeps the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import trimesh
from trimesh.intersections import slice_faces_plane

from tools.mesh_files import load_textured_meshes

FloatArray = npt.NDArray[np.float64]
Box = tuple[FloatArray, FloatArray]  # (min corner, max corner), asset frame
TRAY_RGBA = (150, 140, 130, 255)
MIN_TRIANGLE_AREA_M2 = 1e-12
MIN_PIECE_AREA_M2 = 1e-6
MIN_PIECE_VERTICES = 4  # MuJoCo's minimum for a mesh
load_textured = load_textured_meshes  # the one loader of textured meshes (tools/mesh_files)


def _half(mesh: trimesh.Trimesh, normal: FloatArray, origin: FloatArray) -> trimesh.Trimesh | None:
    """The part of `mesh` on the side of the plane that `normal` points to."""
    visual = mesh.visual
    uv = getattr(visual, "uv", None)
    textured = isinstance(visual, trimesh.visual.TextureVisuals) and uv is not None
    vertices, faces, new_uv = slice_faces_plane(  # type: ignore[no-untyped-call]
        np.asarray(mesh.vertices),
        np.asarray(mesh.faces),
        normal,
        origin,
        uv=np.asarray(uv) if textured else None,
    )
    corners = vertices[faces]
    areas = np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    faces = faces[areas > MIN_TRIANGLE_AREA_M2 * 2]  # slivers of the cut lines
    if areas.sum() / 2 < MIN_PIECE_AREA_M2 or len(np.unique(faces)) < MIN_PIECE_VERTICES:
        # A sliver of a triangle the plane grazed, or a lone triangle of a noisy scan's debris:
        # MuJoCo refuses to compile a mesh of fewer than 4 vertices.
        return None
    if isinstance(visual, trimesh.visual.TextureVisuals) and new_uv is not None:
        material = visual.material
        look = trimesh.visual.TextureVisuals(  # type: ignore[no-untyped-call]
            uv=new_uv, material=material
        )
        return trimesh.Trimesh(vertices, faces, visual=look, process=False)
    return trimesh.Trimesh(vertices, faces, process=False)


def split_by_box(
    meshes: Sequence[trimesh.Trimesh], box: Box
) -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    """Split meshes into what lies inside an axis-aligned box and what lies outside it.

    Args:
        meshes: textured or plain meshes.
        box: (min corner, max corner).

    Returns:
        (inside pieces, outside pieces).
    """
    inside: list[trimesh.Trimesh] = []
    outside: list[trimesh.Trimesh] = []
    lo, hi = box
    for mesh in meshes:
        rest: trimesh.Trimesh | None = mesh
        for axis in range(3):
            for bound, sign in ((lo, 1.0), (hi, -1.0)):
                if rest is None:
                    break
                normal = np.zeros(3)
                normal[axis] = sign
                beyond = _half(rest, -normal, bound)
                if beyond is not None:
                    outside.append(beyond)
                rest = _half(rest, normal, bound)
        if rest is not None:
            inside.append(rest)
    return inside, outside


def box_mesh(box: Box, rgba: tuple[int, int, int, int] = TRAY_RGBA) -> trimesh.Trimesh:
    """A closed box mesh (12 triangles, outward winding) with one vertex colour."""
    mesh: trimesh.Trimesh = trimesh.creation.box(bounds=np.array([box[0], box[1]]))
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.tile(rgba, (8, 1)))
    return mesh


def glb_bytes(meshes: Sequence[trimesh.Trimesh]) -> bytes:
    """One GLB holding the meshes as separate nodes (their materials kept)."""
    scene = trimesh.Scene()
    for index, mesh in enumerate(meshes):
        scene.add_geometry(mesh, node_name=f"piece_{index}", geom_name=f"piece_{index}")
    data = scene.export(file_type="glb")  # type: ignore[no-untyped-call]
    assert isinstance(data, bytes)
    return data
