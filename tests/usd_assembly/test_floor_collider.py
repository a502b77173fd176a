"""Every scene.usda has a floor collider: the room mesh's floor slab, else a box at z = 0."""

from __future__ import annotations

import json
from pathlib import Path

import mujoco
import pytest
import trimesh
from pxr import Usd, UsdGeom, UsdPhysics, Vt

from tools.provenance import sha256_file
from tools.scene_manifest import SimRole, load_manifest, save_manifest
from tools.sim import load_scene_model
from tools.sim import usd_layout as layout
from tools.sim.usd_loader import GROUND_PLANE_NAME
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene
from usd_assembly_job.room_floor import FLOOR_PLANE, ROOM_MESH, check_floor_collider
from usd_assembly_job.usd_checks import check_physics_parse


def _without_room_floor(scene_dir: Path, *, drop_room: bool = False) -> Path:
    """The scene with the room's floor slab removed (only its walls left), or no room at all."""
    manifest = load_manifest(scene_dir)
    objects = []
    for obj in manifest.objects:
        if obj.id == "room":
            if drop_room:
                continue
            asset = obj.asset.model_copy(update={"collision_paths": obj.asset.collision_paths[1:]})
            obj = obj.model_copy(update={"asset": asset})
        objects.append(obj)
    save_manifest(scene_dir, manifest.model_copy(update={"objects": tuple(objects)}))
    return scene_dir


def _assembled(scene_dir: Path) -> Usd.Stage:
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    return Usd.Stage.Open(str(scene_dir / "usd" / "scene.usda"))


def _room_record(stage: Usd.Stage) -> tuple[str, list[str]]:
    room = stage.GetPrimAtPath(layout.ROOM_PATH)
    source = room.GetCustomDataByKey(layout.FLOOR_SOURCE_KEY)
    return source, list(room.GetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY))


def test_the_room_meshs_floor_slab_is_the_floor(assembled_scene: Path):
    stage = Usd.Stage.Open(str(assembled_scene / "usd" / "scene.usda"))
    source, floors = _room_record(stage)
    assert source == ROOM_MESH
    assert floors == ["/World/Objects/room/Asset/Collision/hull_0"]
    room = stage.GetPrimAtPath(layout.ROOM_PATH)
    walls = [
        "/World/Objects/room/Asset/Collision/hull_1",
        "/World/Objects/room/Asset/Collision/hull_2",
    ]
    assert list(room.GetCustomDataByKey(layout.WALL_COLLIDERS_KEY)) == walls
    assert not stage.GetPrimAtPath(layout.FLOOR_COLLIDER_PATH)
    assert check_floor_collider(stage).ok
    scene = load_scene_model(assembled_scene / "usd" / "scene.usda")
    assert not scene.ground_plane_added
    assert any(n.startswith("floor from the USD: /World/Objects/room/") for n in scene.completed)


@pytest.mark.parametrize("drop_room", [False, True], ids=["room-without-floor", "no-room"])
def test_a_scene_without_a_room_floor_gets_a_floor_box_at_z0(make_scene, drop_room: bool):
    scene_dir = _without_room_floor(make_scene(), drop_room=drop_room)
    stage = _assembled(scene_dir)
    assert _room_record(stage) == (FLOOR_PLANE, [layout.FLOOR_COLLIDER_PATH])
    box = stage.GetPrimAtPath(layout.FLOOR_COLLIDER_PATH)
    assert box.IsA(UsdGeom.Cube) and box.HasAPI(UsdPhysics.CollisionAPI)
    assert not box.HasAPI(UsdPhysics.RigidBodyAPI)
    bounds = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.guide])
    extent = bounds.ComputeWorldBound(box).ComputeAlignedRange()
    assert extent.GetMax()[2] == pytest.approx(0.0, abs=1e-9)
    assert extent.GetMin()[0] <= -2.0 and extent.GetMax()[0] >= 2.0  # the room bounds
    assert extent.GetMin()[1] <= -2.0 and extent.GetMax()[1] >= 2.0
    assert check_floor_collider(stage).ok
    parse = check_physics_parse(stage, load_manifest(scene_dir))
    assert parse.ok, parse.problems


def test_the_loader_uses_the_usd_floor_and_adds_no_ground_plane(make_scene):
    """The crate on the floor rests on /World/Room/FloorCollider, not on a plane of MuJoCo's."""
    scene_dir = _without_room_floor(make_scene(), drop_room=True)
    _assembled(scene_dir)
    scene = load_scene_model(scene_dir / "usd" / "scene.usda")
    model = scene.model
    assert not scene.ground_plane_added
    assert mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, GROUND_PLANE_NAME) == -1
    floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, layout.FLOOR_COLLIDER_PATH)
    assert floor >= 0 and model.geom_bodyid[floor] == 0
    crate = scene.objects["crate_1"].body_id
    data = scene.make_data()
    start = data.xpos[crate].copy()
    mujoco.mj_step(model, data, round(1.0 / model.opt.timestep))
    assert data.xpos[crate] == pytest.approx(start, abs=2e-3)


def test_a_floor_slab_away_from_z0_is_not_taken_for_the_floor(make_scene):
    """A room whose floor plane sits 5 cm low gets the ingest's floor at z = 0 as well."""
    scene_dir = make_scene()
    path = scene_dir / "assets" / "scene_manifest.json"
    data = json.loads(path.read_text())
    room = next(o for o in data["objects"] if o["id"] == "room")
    room["transform"]["position"] = [0.0, 0.0, -0.05]
    path.write_text(json.dumps(data))
    source, floors = _room_record(_assembled(scene_dir))
    assert (source, floors) == (FLOOR_PLANE, [layout.FLOOR_COLLIDER_PATH])


def test_a_flat_static_object_at_z0_is_no_floor_for_the_room(make_scene):
    """A 1.5 m rug without a room: the room still gets its floor box."""
    scene_dir = _without_room_floor(make_scene(), drop_room=True)
    folder = scene_dir / "assets" / "rug_1"
    (folder / "collision").mkdir(parents=True)
    rug = trimesh.creation.box((1.5, 1.0, 0.01))
    rug.apply_translation((0.0, 0.0, -0.005))  # top at z = 0
    rug.export(folder / "mesh.glb")
    rug.export(folder / "collision" / "hull_0.obj")
    manifest = load_manifest(scene_dir)
    crate = next(o for o in manifest.objects if o.id == "crate_1")
    asset = crate.asset.model_copy(
        update={
            "mesh_path": "assets/rug_1/mesh.glb",
            "sha256": sha256_file(folder / "mesh.glb"),
            "collision_paths": ("assets/rug_1/collision/hull_0.obj",),
        }
    )
    rug_object = crate.model_copy(
        update={
            "id": "rug_1",
            "category": "rug",
            "sim_role": SimRole.STATIC,
            "asset": asset,
            "physics": None,
        }
    )
    objects = (*manifest.objects, rug_object)
    save_manifest(scene_dir, manifest.model_copy(update={"objects": objects}))
    stage = _assembled(scene_dir)
    assert _room_record(stage) == (FLOOR_PLANE, [layout.FLOOR_COLLIDER_PATH])


def test_validation_fails_without_a_recorded_floor_collider():
    stage = Usd.Stage.CreateInMemory()
    UsdGeom.Xform.Define(stage, layout.WORLD_PATH)
    check = check_floor_collider(stage)
    assert not check.ok and check.problems == (f"no floor collider recorded on {layout.ROOM_PATH}",)
    room = UsdGeom.Xform.Define(stage, layout.ROOM_PATH).GetPrim()
    room.SetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY, Vt.StringArray(["/World/Gone"]))
    check = check_floor_collider(stage)
    assert not check.ok and check.problems == (
        "/World/Gone: not a static collider with its top at z = 0",
    )
