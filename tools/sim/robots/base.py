"""What the episode code needs from a simulated arm, whatever its family: one `SimRobot` record.

Each family (`franka`, `xarm6`) builds its MuJoCo model and fills this record; the backend,
the IK, the randomization and the dataset read names, home pose and gripper mapping from it
instead of from one family's constants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mujoco

from tools.robots import RobotDescription


@dataclass(frozen=True)
class SimRobot:
    """One arm with its gripper as the MuJoCo backend and the IK use it.

    Attributes:
        description: reach, gripper and joint facts (`tools.robots`).
        prefix: name prefix of every robot element inside a scene model.
        base_body: the root body (placed at the mount pose).
        hand_body: the body the wrist camera hangs on.
        arm_joints: the arm's joints, base to wrist (the dataset's joint order).
        arm_actuators: one position actuator per arm joint.
        gripper_actuator: the gripper's position actuator.
        gripper_joints: every joint of the gripper (set together on reset).
        finger_bodies: bodies whose contacts count as the fingers touching.
        grip_site: the TCP site, between the finger pads.
        wrist_camera: the hand camera's name.
        home_qpos: the arm's start pose, hand pointing down.
        home_jitter_rad: per-joint uniform jitter of the home pose per episode.
        build: builds a fresh MjSpec of the robot (argument: add the wrist camera).
        gripper_ctrl: finger opening (m) -> the gripper actuator's command.
        gripper_qpos: finger opening (m) -> positions of `gripper_joints`.
        gripper_width: positions of `gripper_joints` -> finger opening (m).
    """

    description: RobotDescription
    prefix: str
    base_body: str
    hand_body: str
    arm_joints: tuple[str, ...]
    arm_actuators: tuple[str, ...]
    gripper_actuator: str
    gripper_joints: tuple[str, ...]
    finger_bodies: tuple[str, ...]
    grip_site: str
    wrist_camera: str
    home_qpos: tuple[float, ...]
    home_jitter_rad: float
    build: Callable[[bool], mujoco.MjSpec]
    gripper_ctrl: Callable[[float], float]
    gripper_qpos: Callable[[float], tuple[float, ...]]
    gripper_width: Callable[[Sequence[float]], float]

    @property
    def name(self) -> str:
        """The robot type (`ROBOT=` value, the dataset's robot_type)."""
        return self.description.robot_type

    @property
    def dof(self) -> int:
        """Arm joints (the gripper not counted)."""
        return len(self.arm_joints)

    @property
    def open_width(self) -> float:
        """The fingers' full opening, metres."""
        return self.description.gripper_max_width_m

    def scoped(self, name: str) -> str:
        """The name of a robot element inside an assembled scene model."""
        return self.prefix + name
