"""World-space geometry of the scene stage: visual triangles and collision hulls of each object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pxr import Usd, UsdGeom, UsdPhysics

from tools.errors import InputError
from tools.scene_manifest import SimRole
from tools.sim import usd_layout as layout
from tools.usd_stage import open_usd_stage

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ObjectGeometry:
    """One object of the stage in world coordinates.

    Attributes:
        object_id: the manifest id (customData on the prim).
        prim_path: `/World/Objects/<name>`.
        sim_role: the role recorded on the prim.
        triangles: (T, 3, 3) visual triangles.
        hulls: one (V, 3) vertex array per collision hull (each hull is convex).
    """

    object_id: str
    prim_path: str
    sim_role: str
    triangles: Array
    hulls: tuple[Array, ...]


def _world_points(mesh: UsdGeom.Mesh, cache: UsdGeom.XformCache) -> Array:
    points = np.asarray(mesh.GetPointsAttr().Get() or [], dtype=np.float64).reshape(-1, 3)
    matrix = np.asarray(cache.GetLocalToWorldTransform(mesh.GetPrim()), dtype=np.float64)
    return np.asarray(points @ matrix[:3, :3] + matrix[3, :3], dtype=np.float64)  # row vectors


def _triangles(mesh: UsdGeom.Mesh, world: Array) -> Array:
    counts = np.asarray(mesh.GetFaceVertexCountsAttr().Get() or [], dtype=np.int64)
    indices = np.asarray(mesh.GetFaceVertexIndicesAttr().Get() or [], dtype=np.int64)
    triangles: list[Array] = []
    start = 0
    for count in counts:  # fan-triangulate (the usd step authors triangles already)
        face = indices[start : start + count]
        triangles.extend(world[[face[0], face[k], face[k + 1]]] for k in range(1, count - 1))
        start += count
    return np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)


def read_object_geometry(stage: Usd.Stage) -> list[ObjectGeometry]:
    """Visual triangles and collision hulls of every object prim, in world coordinates.

    Visual meshes are the `default`/`render` purpose meshes below the object; hulls are the
    meshes with `CollisionAPI`. Instance proxies (if any) are followed.

    Args:
        stage: the opened scene stage.

    Returns:
        One entry per object prim carrying `blueprint:objectId`, in stage order.

    Raises:
        InputError: the stage has no `/World/Objects`.
    """
    root = stage.GetPrimAtPath(layout.OBJECTS_PATH)
    if not root:
        raise InputError(layout.OBJECTS_PATH, "the scene stage has no objects root")
    cache = UsdGeom.XformCache()
    found = []
    for prim in root.GetChildren():
        object_id = prim.GetCustomDataByKey(layout.OBJECT_ID_KEY)
        if not isinstance(object_id, str):
            continue
        triangles: list[Array] = []
        hulls: list[Array] = []
        for child in Usd.PrimRange(prim, Usd.TraverseInstanceProxies()):
            if not child.IsA(UsdGeom.Mesh):
                continue
            mesh = UsdGeom.Mesh(child)
            world = _world_points(mesh, cache)
            if child.HasAPI(UsdPhysics.CollisionAPI):
                hulls.append(world)
            elif UsdGeom.Imageable(child).ComputePurpose() != UsdGeom.Tokens.guide:
                triangles.append(_triangles(mesh, world))
        role = str(prim.GetCustomDataByKey(layout.SIM_ROLE_KEY) or "")
        stacked = np.concatenate(triangles) if triangles else np.zeros((0, 3, 3))
        if role == SimRole.BACKGROUND.value and len(floor := floor_triangles(stage, cache)):
            stacked = floor
        found.append(ObjectGeometry(object_id, str(prim.GetPath()), role, stacked, tuple(hulls)))
    return found


def floor_triangles(stage: Usd.Stage, cache: UsdGeom.XformCache | None = None) -> Array:
    """World triangles of the floor colliders `/World/Room` names (the room's floor slab, or
    the usd step's floor box), empty when it names none.

    Objects stand on these, not on the room's visual mesh: a reconstructed room is a noisy
    Poisson surface whose floor bulges by centimetres (regions on it were up to 2.8 cm off
    the surface under them, and its bumps could lift the floor patch out of the floor band),
    while the colliders are the plane fitted to it, at z = 0.
    """
    room = stage.GetPrimAtPath(layout.ROOM_PATH)
    paths = room.GetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY) if room else None
    cache = cache or UsdGeom.XformCache()
    triangles: list[Array] = []
    for path in paths or ():
        prim = stage.GetPrimAtPath(str(path))
        if prim and prim.IsA(UsdGeom.Mesh):
            mesh = UsdGeom.Mesh(prim)
            triangles.append(_triangles(mesh, _world_points(mesh, cache)))
        elif prim and prim.IsA(UsdGeom.Cube):
            triangles.append(_cube_triangles(UsdGeom.Cube(prim), cache))
    return np.concatenate(triangles) if triangles else np.zeros((0, 3, 3))


# The 12 triangles of a unit cube's faces as corner indices (corner bits: x, y, z), outward.
_CUBE_FACES = np.array(
    [
        [0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6],  # bottom (-z), top (+z)
        [0, 1, 4], [1, 5, 4], [2, 6, 3], [3, 6, 7],  # -y, +y
        [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5],  # -x, +x
    ]
)  # fmt: skip


def _cube_triangles(cube: UsdGeom.Cube, cache: UsdGeom.XformCache) -> Array:
    half = float(cube.GetSizeAttr().Get() or 2.0) / 2.0
    bits = np.array([[(i >> k) & 1 for k in range(3)] for i in range(8)], dtype=np.float64)
    corners = (bits * 2.0 - 1.0) * half
    matrix = np.asarray(cache.GetLocalToWorldTransform(cube.GetPrim()), dtype=np.float64)
    world = corners @ matrix[:3, :3] + matrix[3, :3]
    return np.asarray(world[_CUBE_FACES], dtype=np.float64)


def open_scene_stage(usd_path: Path) -> Usd.Stage:
    """Open the scene stage, checking the units every reader assumes.

    Args:
        usd_path: `usd/scene.usda`.

    Returns:
        The stage.

    Raises:
        InputError: missing, or not Z-up metres.
    """
    stage = open_usd_stage(usd_path)
    if UsdGeom.GetStageUpAxis(stage) != UsdGeom.Tokens.z:
        raise InputError(str(usd_path), "stage upAxis must be Z")
    if abs(UsdGeom.GetStageMetersPerUnit(stage) - 1.0) > 1e-9:
        raise InputError(str(usd_path), "stage metersPerUnit must be 1")
    return stage
