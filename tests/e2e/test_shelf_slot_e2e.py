"""A shelf goal under a board, simulated: the lift-over plan hits the boards, the slot plan
keeps the arm clear of them and the object ends on the board.

End-to-end because it simulates a whole attempt and measures link distances along two
plans (about 10 s on this machine); the fast checks are in tests/episodes/test_shelf_motion.py.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.controller import UnreachableError, plan_joints
from episode_generation_job.grasp import plan_grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.rollout import run_episode
from episode_generation_job.shelf_motion import shelf_segments
from episode_generation_job.testing import TABLE_ID, TABLE_TOP
from tests.shelf_scene import BOARDS, SHELF, shelf_scene, shelf_task
from tools.sim.robots.kinematics import ArmKinematics

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shelf() -> tuple[MujocoBackend, ArmKinematics, EpisodeInit]:
    backend = MujocoBackend(shelf_scene())
    robot, base = backend.robot, backend.robot_base
    poses = {o: backend.object_pose(o) for o in backend.free_objects()}
    init = EpisodeInit(poses, robot.home_qpos, robot.open_width)
    return backend, ArmKinematics(robot, base.position, base.quat_wxyz), init


def _nearest_board(backend: MujocoBackend, arm: np.ndarray) -> float:
    """The smallest distance between any robot geom and the two upper boards (m)."""
    model, data = backend.model, mujoco.MjData(backend.model)
    data.qpos[:] = backend.data.qpos
    for name, q in zip(backend.robot.arm_joints, arm, strict=True):
        data.qpos[model.joint(backend.robot.scoped(name)).qposadr[0]] = q
    mujoco.mj_kinematics(model, data)
    boards = [model.geom(f"{SHELF}/{n}").id for n in ("board1", "board2")]
    prefix = backend.robot.prefix
    links = [g for g in range(model.ngeom)
             if model.body(model.geom_bodyid[g]).name.startswith(prefix)]  # fmt: skip
    fromto = np.zeros(6)
    return min(mujoco.mj_geomDistance(model, data, a, b, 0.5, fromto)
               for a in links for b in boards)  # fmt: skip


def test_the_lift_over_motion_runs_the_arm_through_the_board_above(shelf) -> None:
    """Carried over the shelf and lowered from above, the arm meets the upper boards."""
    backend, kinematics, init = shelf
    backend.reset(init)
    task, boxes = shelf_task(), backend.object_boxes()
    target = boxes[task.target_id]
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {}, robot=backend.robot.description)
    assert grasp is not None and task.region is not None
    segments = plan_pick_place(
        grasp, target, task.region, {SHELF: boxes[SHELF]}, support_top=TABLE_TOP
    )
    try:
        plan = plan_joints(kinematics, segments, backend.arm_qpos(), 0.08, 30)
    except UnreachableError:
        return  # refused before the collision check: as refused
    assert backend.arm_path_collisions(plan.arm)


def test_the_collision_aware_ik_keeps_the_arm_off_the_shelf(shelf) -> None:
    """Along the same key poses into the slot, DLS runs a link into the boards above; mink
    (clear of the shelf's and the table's geoms) tracks them clear of the boards."""
    backend, kinematics, init = shelf
    backend.reset(init)
    task, target = shelf_task(), backend.object_boxes()["cube_0"]
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {}, robot=backend.robot.description)
    assert grasp is not None and task.region is not None and task.surface is not None
    base = backend.robot_base.position[:2]
    pick, slot = shelf_segments(grasp, target, task.region, task.surface, base, TABLE_TOP)
    lifted = plan_joints(kinematics, pick, backend.arm_qpos(), 0.08, 30).arm[-1]
    plain = plan_joints(kinematics, slot, lifted, 0.0, 30)
    around = plan_joints(backend.collision_aware_ik([SHELF, TABLE_ID]), slot, lifted, 0.0, 30)
    assert min(_nearest_board(backend, q) for q in plain.arm[::5]) < 0.0
    assert min(_nearest_board(backend, q) for q in around.arm[::5]) > 0.005


def test_the_shelf_goal_succeeds_in_physics(shelf) -> None:
    """Simulated, the object ends on the board under the next one, upright and released."""
    backend, kinematics, init = shelf
    record = run_episode(backend, kinematics, shelf_task(), init, render=False)
    assert record.verdict.success, record.verdict
    assert record.metadata["planner"] == "mink" and "plan_s" not in record.metadata
    assert backend.object_boxes()["cube_0"].bottom == pytest.approx(BOARDS[0], abs=0.01)
