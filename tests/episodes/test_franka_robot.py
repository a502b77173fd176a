"""The Franka Panda model from pybullet_data: structure, actuators, and IK on its Jacobians."""

import numpy as np
import pytest

from tools.sim.robots.franka import FrankaKinematics, build_franka_spec
from tools.sim.robots.franka import constants as franka


def test_model_has_arm_hand_actuators_and_tcp():
    """The spec has the 7 arm joints, coupled fingers, 8 position actuators and the grip site."""
    model = build_franka_spec().compile()
    names = {model.joint(i).name for i in range(model.njnt)}
    assert set(franka.ARM_JOINTS) | set(franka.FINGER_JOINTS) <= names
    assert model.nu == 8 and model.neq == 1
    assert model.site(franka.GRIP_SITE).id >= 0
    assert model.camera(franka.WRIST_CAMERA).id >= 0


@pytest.mark.parametrize("target", [(0.5, 0.2, 0.1), (0.6, -0.3, 0.05), (0.35, 0.0, 0.25)])
def test_ik_reaches_top_down_poses(target):
    """Damped least squares reaches reachable top-down TCP poses within 2 mm and 0.01 rad."""
    kinematics = FrankaKinematics((0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    down = np.diag([1.0, -1.0, -1.0])
    result = kinematics.solve(target, down, franka.HOME_QPOS)
    assert result.position_error < 2e-3 and result.rotation_error < 1e-2
    position, _ = kinematics.forward(result.qpos)
    assert np.allclose(position, target, atol=2e-3)
    assert np.all(result.qpos >= np.array(franka.ARM_LOWER) - 1e-9)
    assert np.all(result.qpos <= np.array(franka.ARM_UPPER) + 1e-9)


def test_ik_respects_a_moved_base():
    """A base pose shifts and turns the whole solution: FK of the answer hits the world target."""
    yaw = np.pi / 2
    kinematics = FrankaKinematics((1.0, 2.0, 0.75), (np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)))
    target = (1.0, 2.5, 0.85)
    result = kinematics.solve(target, np.diag([1.0, -1.0, -1.0]), franka.HOME_QPOS)
    assert result.converged()
