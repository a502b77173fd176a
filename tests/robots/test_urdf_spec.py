"""The shared URDF -> MjSpec steps: what each arm's model gets from them, and the missing wheel."""

from __future__ import annotations

import importlib.util

import mujoco
import numpy as np
import pytest

from tools.errors import ConfigError
from tools.sim.robots import urdf_spec
from tools.sim.robots.franka import build_franka_spec
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.xarm6 import build_xarm6_spec
from tools.sim.robots.xarm6 import constants as xarm


def test_missing_pybullet_data_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the wheel that ships the URDFs the builder fails with an install hint."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "pybullet_data" else real(name)
    )
    with pytest.raises(ConfigError, match="pybullet_data not found") as caught:
        build_franka_spec()
    assert caught.value.hint is not None and "pybullet" in caught.value.hint


@pytest.mark.parametrize(
    ("build", "consts", "drive", "drive_range"),
    [
        (build_franka_spec, franka, franka.FINGER_JOINTS[0], (0.0, franka.FINGER_MAX)),
        (build_xarm6_spec, xarm, xarm.DRIVE_JOINT, xarm.DRIVE_RANGE),
    ],
)
def test_actuators_follow_the_constants_and_joint_ranges(build, consts, drive, drive_range) -> None:
    """Each arm joint's actuator has its kp, force limit and the joint's range; the gripper too."""
    model = build(wrist_camera=False).compile()
    for joint, act, kp, force in zip(
        consts.ARM_JOINTS, consts.ARM_ACTUATORS, consts.ARM_KP, consts.ARM_FORCE, strict=True
    ):
        actuator = model.actuator(act)
        assert actuator.gainprm[0] == kp
        assert np.array_equal(actuator.forcerange, [-force, force])
        assert np.array_equal(actuator.ctrlrange, model.joint(joint).range)
        assert model.joint(joint).armature[0] == consts.ARM_ARMATURE
    gripper = model.actuator(consts.GRIPPER_ACTUATOR)
    assert gripper.trnid[0] == model.joint(drive).id
    assert np.allclose(gripper.ctrlrange, drive_range)
    assert model.ncam == 0


@pytest.mark.parametrize("build, consts", [(build_franka_spec, franka), (build_xarm6_spec, xarm)])
def test_only_the_pads_touch_among_the_finger_geoms(build, consts) -> None:
    """Finger meshes collide with nothing; the two pads are boxes with the pad friction."""
    model = build().compile()
    for body_name, pad in zip(consts.FINGER_BODIES, consts.FINGER_PAD_GEOMS, strict=True):
        body = model.body(body_name).id
        geoms = [g for g in range(model.ngeom) if model.geom_bodyid[g] == body]
        touching = [model.geom(g).name for g in geoms if model.geom_contype[g] != 0]
        assert touching == [pad]
        assert model.geom(pad).type[0] == mujoco.mjtGeom.mjGEOM_BOX
        assert np.allclose(model.geom(pad).friction, consts.PAD_FRICTION)
    assert model.camera(consts.WRIST_CAMERA).id >= 0
    assert np.all(model.body_gravcomp[1:] == 1.0)


def test_franka_links_get_the_gyration_radius_inertia() -> None:
    """The Panda's URDF inertias are replaced by mass x 0.07 m squared on every axis."""
    model = build_franka_spec().compile()
    for body in range(1, model.nbody):
        mass = model.body_mass[body]
        if mass > 0:
            assert np.allclose(model.body_inertia[body], mass * 0.07**2)


def test_load_urdf_spec_swaps_meshes_and_adds_compiler_options(tmp_path) -> None:
    """The robot name and extra compiler attributes reach the parsed spec."""
    (tmp_path / "robot.urdf").write_text(
        '<?xml version="1.0"?><robot name="original"><link name="base">'
        '<inertial><mass value="1"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/>'
        "</inertial></link></robot>"
    )
    spec = urdf_spec.load_urdf_spec(
        tmp_path, "robot.urdf", "renamed", extra_compiler='balanceinertia="true"'
    )
    assert spec.modelname == "renamed"
    assert spec.compiler.balanceinertia
