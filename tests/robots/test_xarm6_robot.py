"""The xArm6 model: facts read back from the shipped URDF, its gripper mapping and its IK."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import mujoco
import numpy as np
import pytest

from tools.robots import XARM6
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import SIM_ROBOTS, sim_robot
from tools.sim.robots.xarm6 import XARM6_ROBOT, build_xarm6_spec, opening_table, urdf_path
from tools.sim.robots.xarm6 import constants as xarm

DOWN = np.diag([1.0, -1.0, -1.0])


def _urdf_joint(name: str) -> ET.Element:
    root = ET.parse(urdf_path()).getroot()
    return next(j for j in root.iter("joint") if j.get("name") == name)


def test_description_joint_limits_are_the_urdfs() -> None:
    """Joint limits, joint speeds and shoulder height in the description are the URDF's own
    numbers."""
    limits = [_urdf_joint(name).find("limit") for name in xarm.ARM_JOINTS]
    assert all(lim is not None for lim in limits)
    bounds = [(lim.get("lower", ""), lim.get("upper", "")) for lim in limits if lim is not None]
    assert XARM6.arm_lower == tuple(float(low) for low, _ in bounds)
    assert XARM6.arm_upper == tuple(float(high) for _, high in bounds)
    velocity = tuple(float(lim.get("velocity", "")) for lim in limits if lim is not None)
    assert XARM6.max_joint_velocity == velocity
    shoulder = _urdf_joint("joint1").find("origin")
    assert shoulder is not None
    assert float(shoulder.get("xyz", "").split()[2]) == XARM6.shoulder_height_m
    drive = _urdf_joint(xarm.DRIVE_JOINT).find("limit")
    assert drive is not None
    assert (float(drive.get("lower", "")), float(drive.get("upper", ""))) == xarm.DRIVE_RANGE


def test_gripper_width_is_the_models_pad_gap() -> None:
    """The description's opening is the pads' gap with the drive joint at 0; closed is ~0."""
    angles, openings = opening_table()
    assert openings[0] == pytest.approx(XARM6.gripper_max_width_m, abs=5e-4)
    assert openings[-1] < 0.003
    assert all(a > b for a, b in itertools.pairwise(openings))
    for width in (0.0, 0.03, 0.06, 0.089):
        q = XARM6_ROBOT.gripper_qpos(width)
        assert len(q) == len(xarm.GRIPPER_JOINTS)
        assert XARM6_ROBOT.gripper_width(q) == pytest.approx(max(width, openings[-1]), abs=1e-3)
    assert XARM6_ROBOT.gripper_ctrl(1.0) == angles[0]  # wider than it opens: fully open


def test_model_compiles_with_actuators_pads_and_camera() -> None:
    """Six arm actuators, one gripper actuator, two pads and the wrist camera."""
    model = build_xarm6_spec().compile()
    assert model.nu == 7
    assert model.site(xarm.GRIP_SITE).id >= 0 and model.camera(xarm.WRIST_CAMERA).id >= 0
    touching = [model.geom(i).name for i in range(model.ngeom) if model.geom_contype[i]]
    assert set(xarm.FINGER_PAD_GEOMS) <= set(touching)


def test_gripper_closes_on_command_in_physics() -> None:
    """The drive actuator, through the URDF's mimic equalities, closes and opens the pads."""
    model = build_xarm6_spec(wrist_camera=False).compile()
    data = mujoco.MjData(model)
    adrs = [model.joint(n).qposadr[0] for n in xarm.GRIPPER_JOINTS]
    data.qpos[[model.joint(n).qposadr[0] for n in xarm.ARM_JOINTS]] = xarm.HOME_QPOS
    data.ctrl[: len(xarm.ARM_JOINTS)] = xarm.HOME_QPOS
    for target in (0.02, 0.08):
        data.ctrl[model.actuator(xarm.GRIPPER_ACTUATOR).id] = XARM6_ROBOT.gripper_ctrl(target)
        for _ in range(600):
            mujoco.mj_step(model, data)
        assert XARM6_ROBOT.gripper_width(data.qpos[adrs]) == pytest.approx(target, abs=0.004)


@pytest.mark.parametrize("target", [(0.4, 0.0, 0.05), (0.3, 0.25, 0.1), (0.5, -0.2, 0.0)])
def test_ik_reaches_top_down_poses(target: tuple[float, float, float]) -> None:
    """The shared DLS solver reaches top-down TCP poses of the 6-DoF arm within limits."""
    kinematics = ArmKinematics(XARM6_ROBOT, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    result = kinematics.solve(target, DOWN, xarm.HOME_QPOS, iterations=200)
    assert result.position_error < 2e-3 and result.rotation_error < 1e-2
    assert np.all(result.qpos >= np.array(XARM6.arm_lower) - 1e-9)
    assert np.all(result.qpos <= np.array(XARM6.arm_upper) + 1e-9)


def test_home_points_the_gripper_down() -> None:
    """At home the TCP points straight down, inside the target band."""
    kinematics = ArmKinematics(XARM6_ROBOT, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    position, rotation = kinematics.forward(xarm.HOME_QPOS)
    assert rotation[:, 2] == pytest.approx([0.0, 0.0, -1.0], abs=1e-2)
    low, high = XARM6.target_band_m
    assert low <= float(np.hypot(position[0], position[1])) <= high


def test_registry_names_every_robot() -> None:
    """`ROBOT=` names map to models; an unknown one is a ConfigError naming ROBOT."""
    from tools.errors import ConfigError

    assert set(SIM_ROBOTS) == {"franka_panda", "xarm6"}
    assert sim_robot("xarm6").dof == 6 and sim_robot("franka_panda").dof == 7
    with pytest.raises(ConfigError, match="ROBOT"):
        sim_robot("ur5e")


def test_every_arm_joint_follows_its_command() -> None:
    """No self-contact jams a joint: each reaches a commanded offset from home (base welded)."""
    model = build_xarm6_spec(wrist_camera=False).compile()
    data = mujoco.MjData(model)
    adrs = [model.joint(n).qposadr[0] for n in xarm.ARM_JOINTS]
    target = np.asarray(xarm.HOME_QPOS) + 0.3
    data.qpos[adrs] = xarm.HOME_QPOS
    data.ctrl[: len(adrs)] = target
    for _ in range(1200):
        mujoco.mj_step(model, data)
    assert np.abs(data.qpos[adrs] - target).max() < 0.02
    assert data.ncon == 0
