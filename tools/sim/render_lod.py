"""A render-only copy of a model: dense untextured meshes simplified, collision duplicates blank.

On a CPU rasterizer (Mesa llvmpipe) a frame's cost is mostly vertex work: the Panda's four
upper links alone carry 52k of the tabletop's 55k mesh faces and make up about 80 % of a
128² pass. MuJoCo uploads mesh buffers to the GL context once, when the MjrContext is made,
and draws each geom from the buffer of its mesh id; so a context made from a copy of the
model with fewer faces per mesh draws the same scene (same geoms, poses, colours and ids)
from lighter buffers. Physics, the scene built each frame and segmentation ids all use the
original model. Meshes used with a texture keep their faces (the simplifier drops texture
coordinates).

The face budget follows the frame size (`face_budget`: 8 faces per pixel of the larger side),
so a simplified link's silhouette error stays about the same share of a pixel at 128² and 256².
Robots imported from URDF draw every link twice: its visual mesh (group 1) and its collision
hull (group 0, drawn by default and enclosing the visual mesh, so the images showed the hulls).
A mesh that only collision geoms use, on a body that has a visual-only mesh, is blanked in the
render copy: the frames show the visual mesh, and a 128² frame of the Panda costs ~30 % less.
In frames up to 256 px, MuJoCo's built-in spheres, capsules and cylinders are made with at most
16 slices and 8 stacks (28 and 16 by default: a 128² tabletop frame costs ~13 % less, and
differs by < 0.1 grey level on average; 2 stacks would draw spheres as diamonds).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import fast_simplification
import mujoco
import numpy as np
from numpy.typing import NDArray

DEFAULT_FACE_BUDGET = 2000  # faces per mesh at 256 px: a 12k-face Panda link -> 2k
FACES_PER_PIXEL = 8
MIN_FACE_BUDGET = 500
COARSE_BUILTINS_UP_TO_PX = 256
COARSE_SLICES, COARSE_STACKS = 16, 8


def face_budget(width: int, height: int) -> int:
    """Faces a dense mesh keeps in frames of this size: 8 per pixel of the larger side
    (1,024 at 128², 2,048 at 256²), at least 500."""
    return max(MIN_FACE_BUDGET, FACES_PER_PIXEL * max(width, height))


def _textured_meshes(model: mujoco.MjModel) -> set[int]:
    textured = set()
    for geom in range(model.ngeom):
        material = int(model.geom_matid[geom])
        mesh = int(model.geom_dataid[geom])
        if mesh >= 0 and material >= 0 and (model.mat_texid[material] >= 0).any():
            textured.add(mesh)
    return textured


def _vertex_normals(points: NDArray[np.float32], faces: NDArray[np.int32]) -> NDArray[np.float32]:
    corners = points[faces]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals = np.zeros_like(points)
    for k in range(3):  # area-weighted: a face's cross product is twice its area
        np.add.at(normals, faces[:, k], face_normals)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (normals / np.maximum(length, 1e-12)).astype(np.float32)
    return unit


@contextmanager
def coarse_builtins(model: mujoco.MjModel, width: int, height: int) -> Iterator[None]:
    """While the render context is made (it builds the built-in shapes' buffers), at most 16
    slices and 8 stacks for frames up to 256 px; the model's own values are put back after."""
    quality = model.vis.quality
    kept = quality.numslices, quality.numstacks
    if max(width, height) <= COARSE_BUILTINS_UP_TO_PX:
        quality.numslices = min(quality.numslices, COARSE_SLICES)
        quality.numstacks = min(quality.numstacks, COARSE_STACKS)
    try:
        yield
    finally:
        quality.numslices, quality.numstacks = kept


def collision_duplicates(model: mujoco.MjModel) -> list[int]:
    """Meshes drawn only by collision geoms of bodies that also draw a visual-only mesh."""
    is_mesh = model.geom_type == mujoco.mjtGeom.mjGEOM_MESH
    collides = (model.geom_contype != 0) | (model.geom_conaffinity != 0)
    drawn = model.geom_group < 3  # MjvOption's default groups
    visual_bodies = set(model.geom_bodyid[is_mesh & ~collides & drawn].tolist())
    duplicate = is_mesh & collides & np.isin(model.geom_bodyid, list(visual_bodies))
    kept = set(model.geom_dataid[is_mesh & ~duplicate].tolist())
    return sorted(set(model.geom_dataid[duplicate].tolist()) - kept)


def render_model(model: mujoco.MjModel, face_budget: int | None) -> mujoco.MjModel:
    """`model`, or a copy whose collision duplicates are blank and whose untextured meshes
    over `face_budget` faces are simplified.

    Args:
        model: the compiled model.
        face_budget: the most faces a mesh keeps; None keeps every mesh as it is (collision
            duplicates included).

    Returns:
        The model to make the render context from (the same object when nothing changes).
    """
    if face_budget is None:
        return model
    textured = _textured_meshes(model)
    blank = collision_duplicates(model)
    dense = [
        i
        for i in range(model.nmesh)
        if model.mesh_facenum[i] > face_budget and i not in textured and i not in blank
    ]
    if not dense and not blank:
        return model
    low = copy.deepcopy(model)
    for mesh in dense:
        _simplify(low, mesh, face_budget)
    low.mesh_facenum[blank] = 0  # the geom stays in the scene and draws nothing
    return low


def _simplify(model: mujoco.MjModel, mesh: int, face_budget: int) -> None:
    """Rewrite one mesh's vertices, normals and faces in place (the arrays keep their size;
    the mesh's counts shrink)."""
    vert, verts = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
    face, faces = model.mesh_faceadr[mesh], model.mesh_facenum[mesh]
    points = np.asarray(model.mesh_vert[vert : vert + verts], dtype=np.float32)
    triangles = np.asarray(model.mesh_face[face : face + faces])
    new_points, new_faces = fast_simplification.simplify(
        points, triangles, target_reduction=1.0 - face_budget / faces
    )
    count = len(new_points)
    if count > min(verts, model.mesh_normalnum[mesh]) or len(new_faces) == 0:
        return  # the simplifier added vertices (never seen): keep the mesh
    model.mesh_vert[vert : vert + count] = new_points
    model.mesh_vertnum[mesh] = count
    normal = model.mesh_normaladr[mesh]
    model.mesh_normal[normal : normal + count] = _vertex_normals(new_points, new_faces)
    model.mesh_normalnum[mesh] = count
    model.mesh_face[face : face + len(new_faces)] = new_faces
    model.mesh_facenormal[face : face + len(new_faces)] = new_faces
    model.mesh_facenum[mesh] = len(new_faces)
    model.mesh_texcoordadr[mesh] = -1  # untextured: its coordinates were never sampled
    model.mesh_texcoordnum[mesh] = 0
