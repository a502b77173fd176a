"""The Franka Panda as a `SimRobot`: names, home pose and its parallel gripper's mapping."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tools.sim.robots.base import SimRobot
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.franka.model import build_franka_spec


def _ctrl(width: float) -> float:
    return float(np.clip(width / 2, 0.0, franka.FINGER_MAX))  # each finger travels half


def _qpos(width: float) -> tuple[float, ...]:
    return (width / 2, width / 2)


def _width(qpos: Sequence[float]) -> float:
    return float(sum(qpos))


FRANKA_ROBOT = SimRobot(
    description=franka.DESCRIPTION,
    prefix=franka.PREFIX,
    base_body=franka.BASE_BODY,
    hand_body=franka.HAND_BODY,
    arm_joints=franka.ARM_JOINTS,
    arm_actuators=franka.ARM_ACTUATORS,
    gripper_actuator=franka.GRIPPER_ACTUATOR,
    gripper_joints=franka.FINGER_JOINTS,
    finger_bodies=franka.FINGER_BODIES,
    grip_site=franka.GRIP_SITE,
    wrist_camera=franka.WRIST_CAMERA,
    home_qpos=franka.HOME_QPOS,
    home_jitter_rad=franka.HOME_JITTER_RAD,
    build=build_franka_spec,
    gripper_ctrl=_ctrl,
    gripper_qpos=_qpos,
    gripper_width=_width,
)
