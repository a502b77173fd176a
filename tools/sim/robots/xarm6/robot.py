"""The xArm6 as a `SimRobot`: names, home pose and its four-bar gripper's opening mapping.

The gripper's opening is not linear in its drive angle; the mapping is interpolated from the
model's own kinematics (`model.opening_table`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tools.sim.robots.base import SimRobot
from tools.sim.robots.xarm6 import constants as xarm
from tools.sim.robots.xarm6.model import build_xarm6_spec, opening_table


def drive_angle(width: float) -> float:
    """The drive-joint angle that opens the pads `width` apart (clipped to the range)."""
    angles, openings = opening_table()
    return float(np.interp(width, openings[::-1], angles[::-1]))


def _qpos(width: float) -> tuple[float, ...]:
    return (drive_angle(width),) * len(xarm.GRIPPER_JOINTS)


def _width(qpos: Sequence[float]) -> float:
    angles, openings = opening_table()
    return float(np.interp(qpos[0], angles, openings))


XARM6_ROBOT = SimRobot(
    description=xarm.DESCRIPTION,
    prefix=xarm.PREFIX,
    base_body=xarm.BASE_BODY,
    hand_body=xarm.HAND_BODY,
    arm_joints=xarm.ARM_JOINTS,
    arm_actuators=xarm.ARM_ACTUATORS,
    gripper_actuator=xarm.GRIPPER_ACTUATOR,
    gripper_joints=xarm.GRIPPER_JOINTS,
    finger_bodies=xarm.FINGER_BODIES,
    grip_site=xarm.GRIP_SITE,
    wrist_camera=xarm.WRIST_CAMERA,
    home_qpos=xarm.HOME_QPOS,
    home_jitter_rad=xarm.HOME_JITTER_RAD,
    build=build_xarm6_spec,
    gripper_ctrl=drive_angle,
    gripper_qpos=_qpos,
    gripper_width=_width,
)
