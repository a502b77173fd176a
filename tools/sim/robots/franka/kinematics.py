"""Panda kinematics on a robot-only MuJoCo model: forward kinematics and damped least-squares IK."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import ArrayLike, NDArray

from tools.sim.robots.franka import constants as franka
from tools.sim.robots.franka.model import build_franka_spec

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


class FrankaKinematics:
    """Owns a robot-only model with the base at a world pose, and a scratch MjData for queries.

    Engine-independent from the caller's point of view: every backend (MuJoCo or Isaac Sim)
    plans joint targets with it, since both load the same Panda kinematics.

    Args:
        base_position: robot base position in the world, metres.
        base_rotation_wxyz: robot base orientation.
        damping: the DLS damping factor (lambda).
    """

    def __init__(
        self,
        base_position: Sequence[float],
        base_rotation_wxyz: Sequence[float],
        *,
        damping: float = 0.02,
    ) -> None:
        spec = build_franka_spec(wrist_camera=False)
        base = spec.body(franka.BASE_BODY)
        base.pos = list(base_position)
        base.quat = list(base_rotation_wxyz)
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        self._damping = damping
        self._qadr = np.array([self.model.joint(n).qposadr[0] for n in franka.ARM_JOINTS])
        self._dofadr = np.array([self.model.joint(n).dofadr[0] for n in franka.ARM_JOINTS])
        self._site = self.model.site(franka.GRIP_SITE).id
        self._lower = np.array(franka.ARM_LOWER)
        self._upper = np.array(franka.ARM_UPPER)
        self._home = np.array(franka.HOME_QPOS)

    def forward(self, qpos: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """TCP (grip site) position and 3x3 rotation for arm joint positions `qpos`.

        Args:
            qpos: the seven arm joint positions.

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

        A small null-space pull towards the home pose keeps the elbow up and the wrist centred.

        Args:
            target_position: TCP position in the world.
            target_rotation: TCP 3x3 rotation in the world.
            initial_qpos: the seven joint positions to start from (e.g. the previous command).
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
        jacp = np.zeros((3, self.model.nv))
        jacr = np.zeros((3, self.model.nv))
        error = np.zeros(6)
        current_quat = np.zeros(4)
        eye = np.eye(7)
        jac = np.zeros((6, 7))
        rhs = np.zeros((6, 8))
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
