"""Turn motion segments into per-frame joint targets with damped least-squares IK, each segment
slowed down where the arm's joint velocity or acceleration limits ask (`time_scaling`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.transform import Rotation

from episode_generation_job.motion import Segment
from episode_generation_job.time_scaling import retime
from tools.sim.robots.kinematics import ArmKinematics

FloatArray = NDArray[np.float64]
_IK_POSITION_TOL = 0.01
_IK_ROTATION_TOL = 0.08


class UnreachableError(Exception):
    """A pose of the plan has no IK solution within tolerance (the attempt is not simulated)."""

    def __init__(self, phase: str, position_error: float) -> None:
        super().__init__(f"{phase}: IK residual {position_error:.3f} m")
        self.phase = phase
        self.position_error = position_error


def top_down_rotation(yaw: float) -> FloatArray:
    """TCP rotation pointing the fingers down, turned by `yaw` about world z."""
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, -1.0]])


def tcp_yaw(rotation: FloatArray) -> float:
    """The yaw of a top-down TCP rotation."""
    return math.atan2(float(rotation[1, 0]), float(rotation[0, 0]))


def _min_jerk(tau: float) -> float:
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau * tau)


@dataclass(frozen=True)
class JointPlan:
    """Per-frame commands: arm joint targets (T, dof), gripper widths (T,), phase names (T,);
    `stretched_segments`: how many segments the joint limits made last longer than planned."""

    arm: FloatArray
    gripper: FloatArray
    phases: tuple[str, ...]
    stretched_segments: int = 0

    def __len__(self) -> int:
        return len(self.phases)


def plan_joints(
    kinematics: ArmKinematics,
    segments: Sequence[Segment],
    start_qpos: ArrayLike,
    start_gripper: float,
    control_hz: int,
) -> JointPlan:
    """Interpolate the TCP between key poses (minimum jerk) and solve IK at every frame; a
    segment whose joints would exceed the robot's `motion_limits` lasts longer (same profile).

    Solving the whole plan before simulating is the reachability check: an attempt with an
    unreachable pose is refused without spending simulation time.

    Args:
        kinematics: the arm's kinematics at the mounted base pose.
        segments: the motion.
        start_qpos: the arm's joint positions at the start.
        start_gripper: the gripper command at the start.
        control_hz: frames per second.

    Returns:
        The per-frame commands.

    Raises:
        UnreachableError: a frame's IK residual exceeds tolerance.
    """
    q = np.asarray(start_qpos, dtype=float)
    position, rotation = kinematics.forward(q)
    yaw = tcp_yaw(rotation)
    # The jittered home pose tilts the hand off top-down: the first segment levels it along its
    # path (snapping it level in one frame asked 14x the Panda's acceleration limit).
    tilt = Rotation.from_matrix(top_down_rotation(yaw).T @ rotation).as_rotvec()
    arm: list[FloatArray] = []
    gripper: list[float] = []
    phases: list[str] = []
    previous_gripper = start_gripper
    limits = kinematics.robot.description.motion_limits
    stretched = 0
    for segment in segments:
        planned = max(1, round(segment.duration * control_hz))
        joints = _segment_joints(kinematics, segment, position, yaw, q, planned, tilt)
        tilt = np.zeros(3)
        joints = retime(np.vstack([q, joints]), control_hz, limits)
        frames = len(joints)
        stretched += frames > planned
        for k in range(1, frames + 1):
            q = joints[k - 1]
            arm.append(q.copy())
            g = previous_gripper + min(1.0, 2.0 * k / frames) * (segment.gripper - previous_gripper)
            gripper.append(g)
            phases.append(segment.phase)
        position, yaw = np.asarray(segment.position, dtype=float), segment.yaw
        previous_gripper = segment.gripper
    return JointPlan(np.array(arm), np.array(gripper), tuple(phases), stretched)


def _segment_joints(
    kinematics: ArmKinematics,
    segment: Segment,
    start_pos: FloatArray,
    start_yaw: float,
    start_q: FloatArray,
    frames: int,
    tilt: FloatArray,
) -> FloatArray:
    """IK of one segment's minimum-jerk TCP path over `frames` frames, (frames, dof); the
    hand's `tilt` off top-down (a rotation vector in the hand's frame) fades out on the way."""
    goal_pos = np.asarray(segment.position, dtype=float)
    q = start_q
    out = []
    for k in range(1, frames + 1):
        s = _min_jerk(k / frames)
        target = start_pos + s * (goal_pos - start_pos)
        target_yaw = start_yaw + s * (segment.yaw - start_yaw)
        level = top_down_rotation(target_yaw)
        if tilt.any():
            level = level @ Rotation.from_rotvec((1.0 - s) * tilt).as_matrix()
        result = kinematics.solve(target, level, q, iterations=10)
        if result.position_error > _IK_POSITION_TOL or result.rotation_error > _IK_ROTATION_TOL:
            raise UnreachableError(segment.phase, result.position_error)
        q = result.qpos
        out.append(q)
    return np.array(out)
