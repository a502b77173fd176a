"""Regions on the floor stand on the floor's colliders, not on the room's bumpy visual mesh."""

from __future__ import annotations

import numpy as np
import pytest
from pxr import Gf, Usd, UsdGeom, UsdPhysics, Vt

from replicator_job.scene_geometry import read_object_geometry
from replicator_job.support_surfaces import SurfaceParams, upward_patches
from tools.sim import usd_layout as layout

ROOM = f"{layout.OBJECTS_PATH}/room"


def _bumpy_floor(stage: Usd.Stage) -> None:
    """A 4 x 4 m visual floor with 3 cm bumps, as a Poisson reconstruction meshes it."""
    cells = np.linspace(-2.0, 2.0, 41)
    x, y = np.meshgrid(cells, cells, indexing="ij")
    z = 0.03 * np.sin(3.0 * x) * np.cos(2.0 * y)
    points = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    n = len(cells)
    faces = [
        [i * n + j, (i + 1) * n + j, (i + 1) * n + j + 1, i * n + j + 1]
        for i in range(n - 1)
        for j in range(n - 1)
    ]
    mesh = UsdGeom.Mesh.Define(stage, f"{ROOM}/Visual")
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points.astype(np.float32)))
    mesh.CreateFaceVertexCountsAttr([4] * len(faces))
    mesh.CreateFaceVertexIndicesAttr([int(i) for face in faces for i in face])


def _room_stage(floor: str) -> Usd.Stage:
    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.Xform.Define(stage, layout.OBJECTS_PATH)
    room = UsdGeom.Xform.Define(stage, ROOM).GetPrim()
    room.SetCustomDataByKey(layout.OBJECT_ID_KEY, "room")
    room.SetCustomDataByKey(layout.SIM_ROLE_KEY, "background")
    _bumpy_floor(stage)
    record = UsdGeom.Xform.Define(stage, layout.ROOM_PATH).GetPrim()
    if floor == "box":  # the usd step's floor box, top at z = 0
        box = UsdGeom.Cube.Define(stage, layout.FLOOR_COLLIDER_PATH)
        box.CreateSizeAttr(1.0)
        xform = UsdGeom.XformCommonAPI(box)
        xform.SetTranslate(Gf.Vec3d(0.0, 0.0, -0.05))
        xform.SetScale(Gf.Vec3f(5.0, 5.0, 0.1))
        UsdPhysics.CollisionAPI.Apply(box.GetPrim())
        record.SetCustomDataByKey(
            layout.FLOOR_COLLIDERS_KEY, Vt.StringArray([layout.FLOOR_COLLIDER_PATH])
        )
    elif floor == "slab":  # simready's slab behind the plane fitted to the room's floor
        slab = UsdGeom.Mesh.Define(stage, f"{ROOM}/Collision/hull_0")
        corners = [(x, y, z) for z in (-0.1, 0.004) for y in (-2.0, 2.0) for x in (-2.0, 2.0)]
        slab.CreatePointsAttr(corners)
        slab.CreateFaceVertexCountsAttr([4] * 6)
        slab.CreateFaceVertexIndicesAttr(
            [0, 2, 3, 1, 4, 5, 7, 6, 0, 1, 5, 4, 2, 6, 7, 3, 0, 4, 6, 2, 1, 3, 7, 5]
        )
        UsdPhysics.CollisionAPI.Apply(slab.GetPrim())
        record.SetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY, Vt.StringArray([str(slab.GetPath())]))
    return stage


@pytest.mark.parametrize(("floor", "top"), [("box", 0.0), ("slab", 0.004)])
def test_the_floor_patch_is_the_colliders_top(floor: str, top: float) -> None:
    """With a floor collider recorded, the room's surface is the collider's top: one flat patch
    at its height over the whole floor, whatever the visual mesh's bumps."""
    (room,) = read_object_geometry(_room_stage(floor))
    patches = upward_patches(room, SurfaceParams())
    assert len(patches) == 1
    assert patches[0].height == pytest.approx(top, abs=1e-6)
    assert np.allclose(room.triangles[:, :, 2].max(), top, atol=1e-6)
    assert patches[0].footprint.area >= 15.9  # the 4 x 4 m floor (the box reaches beyond)


def test_without_a_recorded_floor_the_visual_mesh_is_the_surface() -> None:
    """A stage that names no floor collider keeps the room's visual triangles."""
    (room,) = read_object_geometry(_room_stage("none"))
    assert len(room.triangles) == 2 * 40 * 40
    assert room.triangles[:, :, 2].max() > 0.02
