"""An oven's counterbalanced flap in scene.usda: the drive's spring, read by MuJoCo, holds it."""

from __future__ import annotations

import math
from pathlib import Path

import mujoco
import pytest
import trimesh
from pxr import Usd, UsdPhysics

from tests.usd_assembly.conftest import (
    _box_physics,
    _z_rotation,
    build_articulated_scene,
)
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim import load_scene_model
from usd_assembly_job.articulation_checks import check_joints_hold
from usd_assembly_job.usd_checks import run_usd_validation
from usd_assembly_job.usd_files import open_stage

OVEN = "oven_1"
HINGE = f"{OVEN}/door_0_hinge"


def _oven_mesh() -> trimesh.Trimesh:
    """0.6 x 0.6 x 0.9 m, front at -Y, a horizontal bar handle near the top."""
    body = trimesh.creation.box(bounds=[(-0.3, -0.3, 0.0), (0.3, 0.3, 0.9)])
    handle = trimesh.creation.box(bounds=[(-0.2, -0.33, 0.744), (0.2, -0.3, 0.756)])
    mesh = trimesh.util.concatenate([body, handle])
    mesh.visual.face_colors = [40, 40, 45, 255]
    return mesh


@pytest.fixture(scope="module")
def oven_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The usd tests' scene plus an oven against the +X wall, articulated and assembled."""
    physics = _box_physics(60.0, (0.6, 0.6, 0.9), "steel")
    return build_articulated_scene(
        tmp_path_factory.mktemp("oven") / "scene",
        OVEN,
        "oven",
        _oven_mesh(),
        (1.695, -1.0, 0.0),
        physics,
        _z_rotation(-90),
    )


def test_flap_drive_carries_the_spring_and_mujoco_reads_it(oven_scene: Path) -> None:
    """Drive stiffness per degree and targetPosition in degrees; MuJoCo's stiffness/springref."""
    articulation = load_manifest(oven_scene).object(OVEN).articulation
    assert articulation is not None
    (joint,) = articulation.joints
    assert joint.hinge_side == "bottom" and joint.spring is not None
    stage = Usd.Stage.Open(str(oven_scene / SCENE_USD_PATH))
    prim = stage.GetPrimAtPath(f"/World/Objects/{OVEN}/Joints/{joint.name}")
    drive = UsdPhysics.DriveAPI(prim, UsdPhysics.Tokens.angular)
    per_degree = math.pi / 180
    assert drive.GetStiffnessAttr().Get() == pytest.approx(joint.spring.stiffness * per_degree)
    assert drive.GetTargetPositionAttr().Get() == pytest.approx(math.degrees(joint.spring.rest))
    assert drive.GetDampingAttr().Get() == pytest.approx(joint.damping * per_degree)
    scene = load_scene_model(oven_scene / SCENE_USD_PATH)
    handle = scene.joints[HINGE]
    model = scene.model
    assert model.jnt_stiffness[handle.joint_id] == pytest.approx(joint.spring.stiffness, rel=1e-5)
    assert model.qpos_spring[handle.qpos_adr] == pytest.approx(joint.spring.rest, abs=1e-6)
    assert model.nu == 0  # the importer made no actuator of the drive: the spring is the joint's


def test_usd_with_springs_validates(oven_scene: Path) -> None:
    """UsdValidation finds no error on a stage whose drives carry a stiffness and target."""
    stages = {"scene": open_stage(oven_scene / SCENE_USD_PATH)}
    validation = run_usd_validation(stages)
    assert validation.ok, validation.problems


@pytest.mark.parametrize(("share", "tolerance_deg"), [(0.0, 1.0), (0.5, 3.0)])
def test_flap_left_closed_or_half_open_stays(
    oven_scene: Path, share: float, tolerance_deg: float
) -> None:
    """joints_hold: closed it stays within 1 deg; left half-open, within a few degrees."""
    scene = load_scene_model(oven_scene / SCENE_USD_PATH)
    held = check_joints_hold(scene, 1.0, open_share=share)
    assert held.ok, held.problems
    assert held.figures["max_hinge_deg"] < tolerance_deg


def test_flap_opens_and_closes_under_a_light_pull(oven_scene: Path) -> None:
    """25 N along the arc at the handle opens the door past 60 % and pushes it shut."""
    scene = load_scene_model(oven_scene / SCENE_USD_PATH)
    handle = scene.joints[HINGE]
    model, data = scene.model, scene.make_data()
    articulation = load_manifest(oven_scene).object(OVEN).articulation
    assert articulation is not None
    door = articulation.part("door_0")
    lever = door.bounds_max[2] - door.bounds_min[2]  # the handle sits near the top edge
    for pull, check in ((25.0, lambda f: f > 0.6), (-25.0, lambda f: f < 0.05)):
        for _ in range(1500):
            data.qfrc_applied[handle.dof_adr] = pull * lever
            mujoco.mj_step(model, data)
        assert check(handle.open_fraction(data.qpos)), handle.open_fraction(data.qpos)
