"""Differential IK that keeps the arm off named furniture: mink on the scene's own model.

`ArmKinematics` solves on a robot-only model and knows nothing of the room; the plan check
then refuses a path whose links run into it. Reaching into a shelf slot, the elbow and the
forearm come close to the board above and the posts: a different arm posture reaches the
same TCP pose clear of them. mink (`solve_ik` with a `CollisionAvoidanceLimit` between the
robot's geoms and the furniture's collision geoms, measured by MuJoCo's own
`mj_geomDistance`) finds that posture step by step. The IK is deterministic: no sampling,
the same state and targets give the same joints in every shard.

mink is imported when an instance is built, so processes that never plan around furniture
do not pay for it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import mujoco
import numpy as np
from numpy.typing import ArrayLike, NDArray

from episode_generation_job.backends.arm_clearance import robot_body_ids
from tools.sim.robots.base import SimRobot
from tools.sim.robots.kinematics import ArmKinematics, IkResult

FloatArray = NDArray[np.float64]
MIN_DISTANCE = 0.015  # m kept between the robot and the furniture
DETECT_DISTANCE = 0.08  # m at which a robot-furniture pair starts to constrain a step
_STEP_DT = 1.0  # mink integrates v * dt; IK steps, not real time
_POSTURE_COST = 1e-2  # pull towards the previous joints: continuity along a path


class CollisionAwareIK(ArmKinematics):
    """`ArmKinematics` whose `solve` runs mink on the scene model, clear of `obstacle_geoms`.

    Owns a `mink.Configuration` (its own MjData) of the scene model at the state it was
    built from; only the arm's joints move, the fingers and every object stay frozen.

    Args:
        model: the scene model with `robot` mounted where `base_*` say.
        qpos: the scene's state (objects where they stand).
        robot: the mounted arm.
        base_position: the robot base's world position (as mounted in `model`).
        base_rotation_wxyz: its orientation.
        obstacle_geoms: scene geoms the robot must keep `MIN_DISTANCE` from.
        skip_bodies: robot bodies left out of the avoidance (the fingers, which touch the
            goal on purpose at the set-down).
    """

    def __init__(
        self,
        model: mujoco.MjModel,
        qpos: ArrayLike,
        robot: SimRobot,
        base_position: Sequence[float],
        base_rotation_wxyz: Sequence[float],
        obstacle_geoms: Collection[int],
        skip_bodies: Collection[int] = (),
    ) -> None:
        super().__init__(robot, base_position, base_rotation_wxyz)
        import mink

        self._mink: Any = mink
        self._scene = model
        self._config = mink.Configuration(model, np.asarray(qpos, dtype=float))
        joints = [model.joint(robot.scoped(n)) for n in robot.arm_joints]
        self._scene_qadr = np.array([j.qposadr[0] for j in joints])
        arm_dofs = {int(j.dofadr[0]) for j in joints}
        frozen = [d for d in range(model.nv) if d not in arm_dofs]
        self._frozen = [mink.DofFreezingTask(model, dof_indices=frozen)] if frozen else []
        self._tcp = mink.FrameTask(
            robot.scoped(robot.grip_site), "site", position_cost=1.0, orientation_cost=0.5
        )
        self._posture = mink.PostureTask(model, cost=_POSTURE_COST)
        robot_bodies = robot_body_ids(model, robot) - set(skip_bodies)
        movable = model.body_weldid[model.geom_bodyid] != 0
        own = [
            g for g in range(model.ngeom)
            if int(model.geom_bodyid[g]) in robot_bodies and movable[g]
            and (model.geom_contype[g] or model.geom_conaffinity[g])
        ]  # fmt: skip
        limits: list[Any] = [mink.ConfigurationLimit(model)]
        if own and obstacle_geoms:
            limits.append(
                mink.CollisionAvoidanceLimit(
                    model,
                    [(own, sorted(obstacle_geoms))],
                    minimum_distance_from_collisions=MIN_DISTANCE,
                    collision_detection_distance=DETECT_DISTANCE,
                )
            )
        self._limits = limits

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
        """mink steps from `initial_qpos` towards a TCP pose, within the joint limits and
        clear of the obstacles (the DLS solver's signature; `max_step`, `nullspace_gain`
        unused: the QP bounds each step, the posture task keeps the path continuous).

        Returns:
            The solution and its residual errors.
        """
        mink = self._mink
        q = np.array(self._config.q)
        q[self._scene_qadr] = np.clip(
            np.asarray(initial_qpos, dtype=float), self._lower, self._upper
        )
        self._config.update(q)
        self._posture.set_target(q)
        rotation = mink.SO3.from_matrix(np.asarray(target_rotation, dtype=float))
        self._tcp.set_target(
            mink.SE3.from_rotation_and_translation(rotation, np.asarray(target_position, float))
        )
        for _ in range(iterations):
            error = self._tcp.compute_error(self._config)
            if (
                np.linalg.norm(error[:3]) < position_tol
                and np.linalg.norm(error[3:]) < rotation_tol
            ):
                break
            velocity = mink.solve_ik(
                self._config, [self._tcp, self._posture], _STEP_DT, "daqp",
                damping=1e-3, limits=self._limits, constraints=self._frozen,
            )  # fmt: skip
            self._config.integrate_inplace(velocity, _STEP_DT)
        arm = np.array(self._config.q[self._scene_qadr])
        position, rotation_now = self.forward(arm)
        rot_error = np.zeros(3)
        mujoco.mju_subQuat(
            rot_error, _quat(np.asarray(target_rotation, float)), _quat(rotation_now)
        )
        return IkResult(
            arm,
            float(np.linalg.norm(np.asarray(target_position, float) - position)),
            float(np.linalg.norm(rot_error)),
        )


def _quat(rotation: FloatArray) -> FloatArray:
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, rotation.ravel())
    return quat
