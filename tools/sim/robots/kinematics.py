"""Arm kinematics on a robot-only MuJoCo model: forward kinematics and damped least-squares IK.

The chain is read from the model (the robot's arm joints and its TCP site) and the Jacobians
are MuJoCo's own (`mj_jacSite`), so any arm the registry builds gets the same solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import ArrayLike, NDArray

from tools.sim.robots.base import SimRobot

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class IkResult:
    """Joint solution of one IK query and how far the TCP ended from the target."""

    qpos: FloatArray
    position_error: float
    rotation_error: float

    def converged(self, position_tol: float = 5e-3, rotation_tol: float = 0.05) -> bool:
        """Whether both errors are within tolerance (metres, radians)."""
        return self.position_error <= position_tol and self.rotation_error <= rotation_tol


class ArmKinematics:
    """Owns a robot-only model with the base at a world pose, and a scratch MjData for queries.

    Engine-independent from the caller's point of view: every backend plans joint targets
    with it, since they load the same kinematics.

    Args:
        robot: the arm.
        base_position: robot base position in the world, metres.
        base_rotation_wxyz: robot base orientation.
        damping: the DLS damping factor (lambda).
    """

    def __init__(
        self,
        robot: SimRobot,
        base_position: Sequence[float],
        base_rotation_wxyz: Sequence[float],
        *,
        damping: float = 0.02,
    ) -> None:
        self.robot = robot
        spec = robot.build(False)
        base = spec.body(robot.base_body)
        base.pos = list(base_position)
        base.quat = list(base_rotation_wxyz)
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        self._damping = damping
        self._qadr = np.array([self.model.joint(n).qposadr[0] for n in robot.arm_joints])
        self._dofadr = np.array([self.model.joint(n).dofadr[0] for n in robot.arm_joints])
        self._site = self.model.site(robot.grip_site).id
        self._lower = np.array(robot.description.arm_lower)
        self._upper = np.array(robot.description.arm_upper)
        self._home = np.array(robot.home_qpos)

    def forward(self, qpos: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """TCP (grip site) position and 3x3 rotation for arm joint positions `qpos`.

        Args:
            qpos: the arm joint positions.

        Returns:
            (position, rotation matrix) in the world frame.
        """
        self.data.qpos[self._qadr] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        site = self.data.site(self._site)
        return site.xpos.copy(), site.xmat.reshape(3, 3).copy()

    def solve(
        self,
        target_position: ArrayLike,
        target_rotation: ArrayLike,
        initial_qpos: ArrayLike,
        *,
        iterations: int = 60,
        max_step: float = 0.2,
        nullspace_gain: float = 0.05,
        position_tol: float = 2e-4,
        rotation_tol: float = 2e-3,
    ) -> IkResult:
        """Damped least-squares IK from `initial_qpos` towards a TCP pose, within joint limits.

        A small null-space pull towards the home pose keeps a redundant arm's elbow up and
        its wrist centred (a 6-DoF arm has no null space left for it).

        Args:
            target_position: TCP position in the world.
            target_rotation: TCP 3x3 rotation in the world.
            initial_qpos: the joint positions to start from (e.g. the previous command).
            iterations: maximum Gauss-Newton steps.
            max_step: cap on the joint step norm per iteration, radians.
            nullspace_gain: weight of the pull towards home.
            position_tol: stop once the position error is below this, metres.
            rotation_tol: stop once the rotation error is below this, radians.

        Returns:
            The solution and its residual errors.
        """
        q = np.clip(np.asarray(initial_qpos, dtype=float), self._lower, self._upper)
        target_quat = np.zeros(4)
        mujoco.mju_mat2Quat(target_quat, np.asarray(target_rotation, dtype=float).ravel())
        target = np.asarray(target_position, dtype=float)
        dof = len(self._qadr)
        jacp = np.zeros((3, self.model.nv))
        jacr = np.zeros((3, self.model.nv))
        error = np.zeros(6)
        current_quat = np.zeros(4)
        eye = np.eye(dof)
        jac = np.zeros((6, dof))
        rhs = np.zeros((6, dof + 1))
        for _ in range(iterations):
            position, rotation = self.forward(q)
            error[:3] = target - position
            mujoco.mju_mat2Quat(current_quat, rotation.ravel())
            mujoco.mju_subQuat(error[3:], target_quat, current_quat)
            error[3:] = rotation @ error[3:]  # subQuat answers in the TCP frame; J is in world
            if error[:3] @ error[:3] < position_tol**2 and error[3:] @ error[3:] < rotation_tol**2:
                break
            mujoco.mj_comPos(self.model, self.data)
            mujoco.mj_jacSite(self.model, self.data, jacp, jacr, self._site)
            jac[:3], jac[3:] = jacp[:, self._dofadr], jacr[:, self._dofadr]
            lhs = jac @ jac.T
            lhs[np.diag_indices(6)] += self._damping**2
            rhs[:, 0] = error
            rhs[:, 1:] = jac
            solved = np.linalg.solve(lhs, rhs)  # one factorization for step and projector
            dq = jac.T @ solved[:, 0]
            dq += (eye - jac.T @ solved[:, 1:]) @ (nullspace_gain * (self._home - q))
            norm = float(np.sqrt(dq @ dq))
            if norm > max_step:
                dq *= max_step / norm
            q = np.minimum(np.maximum(q + dq, self._lower), self._upper)
        position, rotation = self.forward(q)
        mujoco.mju_mat2Quat(current_quat, rotation.ravel())
        rot_err = np.zeros(3)
        mujoco.mju_subQuat(rot_err, target_quat, current_quat)
        return IkResult(
            qpos=q,
            position_error=float(np.linalg.norm(target - position)),
            rotation_error=float(np.linalg.norm(rot_err)),
        )
