"""An articulated fridge in scene.usda: UsdPhysics links and joints, and MuJoCo moving them."""

from __future__ import annotations

import math
from pathlib import Path

import mujoco
import numpy as np
import pytest
from pxr import Usd, UsdPhysics

from tests.articulated_scenes import FRIDGE, fridge_mesh
from tests.usd_assembly.conftest import (
    _box_physics,
    _z_rotation,
    build_articulated_scene,
)
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import SimRole, load_manifest
from tools.sim import load_scene_model, usd_layout
from tools.sim.usd_joints import author_physx_friction, joint_friction
from usd_assembly_job.articulation_checks import check_joints_hold
from usd_assembly_job.usd_checks import check_physics_parse, run_usd_validation
from usd_assembly_job.usd_files import open_stage


@pytest.fixture(scope="module")
def fridge_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The usd tests' scene plus a fridge backed against the +X wall, articulated and assembled."""
    # Yaw -90 deg: the asset's -Y front faces world -X, its back the wall at x = 2.
    return build_articulated_scene(
        tmp_path_factory.mktemp("articulated") / "scene",
        FRIDGE,
        "refrigerator",
        fridge_mesh(),
        (1.665, -1.0, 0.0),
        _box_physics(80.0, (0.7, 0.65, 1.8), "steel"),
        _z_rotation(-90),
    )


def test_stage_has_an_articulation_root_and_limited_damped_hinges(fridge_scene: Path) -> None:
    """Body part is the articulation root; each door a rigid body on a revolute joint 0..110 deg."""
    stage = Usd.Stage.Open(str(fridge_scene / SCENE_USD_PATH))
    manifest = load_manifest(fridge_scene)
    obj = manifest.object(FRIDGE)
    assert obj.sim_role is SimRole.ARTICULATED and obj.articulation is not None
    parts = f"/World/Objects/{FRIDGE}/Asset/Parts"
    body = stage.GetPrimAtPath(f"{parts}/body")
    assert body.HasAPI(UsdPhysics.ArticulationRootAPI) and body.HasAPI(UsdPhysics.RigidBodyAPI)
    for part in obj.articulation.parts:
        mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(f"{parts}/{part.name}")).GetMassAttr().Get()
        assert mass == pytest.approx(part.mass_kg, rel=1e-6)
    for joint in obj.articulation.joints:
        prim = stage.GetPrimAtPath(f"/World/Objects/{FRIDGE}/Joints/{joint.name}")
        hinge = UsdPhysics.RevoluteJoint(prim)
        assert hinge and hinge.GetUpperLimitAttr().Get() == pytest.approx(110.0)
        assert hinge.GetBody1Rel().GetTargets()[0].pathString == f"{parts}/{joint.child_part}"
        drive = UsdPhysics.DriveAPI(prim, UsdPhysics.Tokens.angular)
        assert drive.GetDampingAttr().Get() == pytest.approx(joint.damping * math.pi / 180)
    anchor = UsdPhysics.FixedJoint(stage.GetPrimAtPath(f"/World/Objects/{FRIDGE}/Joints/anchor"))
    assert not anchor.GetBody0Rel().GetTargets()


def test_usd_validates_and_parses_like_physx(fridge_scene: Path) -> None:
    """UsdValidation finds no error; the physics parse finds every part body and collider."""
    stage = open_stage(fridge_scene / SCENE_USD_PATH)
    manifest = load_manifest(fridge_scene)
    stages = {"scene": stage}
    for obj in manifest.objects:
        assert obj.asset.usd_path is not None
        stages[obj.asset.usd_path] = open_stage(fridge_scene / obj.asset.usd_path)
    validation = run_usd_validation(stages)
    assert validation.ok, validation.problems
    parse = check_physics_parse(stage, manifest)
    assert parse.ok, parse.problems
    assert parse.figures["rigid_bodies_found"] == 3 + 3  # cube, can, crate + 3 fridge parts


def test_mujoco_doors_stay_shut_then_open_into_the_room(fridge_scene: Path) -> None:
    """Left alone the doors hold; pushed, a door swings to its limit towards the room (-X)."""
    scene = load_scene_model(fridge_scene / SCENE_USD_PATH)
    assert sorted(scene.joints) == [f"{FRIDGE}/door_0_hinge", f"{FRIDGE}/door_1_hinge"]
    held = check_joints_hold(scene, 1.0)
    assert held.ok, held.problems
    joint = scene.joints[f"{FRIDGE}/door_0_hinge"]
    model, data = scene.model, scene.make_data()
    assert model.jnt_type[joint.joint_id] == mujoco.mjtJoint.mjJNT_HINGE
    assert joint.limits == pytest.approx((0.0, math.radians(110)), abs=1e-5)
    start = data.xipos[joint.body_id].copy()
    for _ in range(1500):
        data.qfrc_applied[joint.dof_adr] = 20.0
        mujoco.mj_step(model, data)
    assert joint.open_fraction(data.qpos) > 0.95
    assert data.xipos[joint.body_id][0] < start[0] - 0.2  # swung out of the front, into the room
    assert np.isfinite(data.qpos).all()


def _api_schemas(prim: Usd.Prim) -> list[str]:
    """Applied schema names as authored (usd-core's GetAppliedSchemas drops unknown ones)."""
    return list(prim.GetMetadata("apiSchemas").GetAddedOrExplicitItems())


def test_joint_friction_is_physx_axis_friction_read_by_mujoco(fridge_scene: Path) -> None:
    """Each hinge carries PhysxJointAxisAPI:angular efforts = the manifest's friction (N m)."""
    stage = Usd.Stage.Open(str(fridge_scene / SCENE_USD_PATH))
    articulation = load_manifest(fridge_scene).object(FRIDGE).articulation
    assert articulation is not None
    scene = load_scene_model(fridge_scene / SCENE_USD_PATH)
    for joint in articulation.joints:
        handle = scene.joints[f"{FRIDGE}/{joint.name}"]
        prim = stage.GetPrimAtPath(
            mujoco.mj_id2name(scene.model, mujoco.mjtObj.mjOBJ_JOINT, handle.joint_id)
        )
        assert "PhysxJointAxisAPI:angular" in _api_schemas(prim)
        for effort in ("staticFrictionEffort", "dynamicFrictionEffort"):
            value = prim.GetAttribute(f"physxJointAxis:angular:{effort}").Get()
            assert value == pytest.approx(joint.friction) and joint.friction > 0
        assert scene.model.dof_frictionloss[handle.dof_adr] == pytest.approx(joint.friction)


def test_joint_friction_of_older_stages_comes_from_custom_data() -> None:
    """A prismatic joint written before the PhysX attribute: friction from its customData."""
    stage = Usd.Stage.CreateInMemory()
    prim = UsdPhysics.PrismaticJoint.Define(stage, "/J").GetPrim()
    prim.SetCustomDataByKey(usd_layout.JOINT_FRICTION_KEY, 2.5)
    assert joint_friction(prim) == 2.5
    author_physx_friction(prim, 4.0)
    assert "PhysxJointAxisAPI:linear" in _api_schemas(prim)
    assert joint_friction(prim) == 4.0
