"""Shelf boards with a board above: planned in through the open side, the same every time."""

from __future__ import annotations

import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.grasp import plan_grasp
from episode_generation_job.rollout import plan_attempt
from episode_generation_job.shelf_motion import AroundPlan, shelf_segments, slot_exit
from episode_generation_job.testing import TABLE_TOP
from tests.shelf_scene import CENTRE, DEPTH, shelf_scene, shelf_task
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox


def _planned(boards: tuple[float, ...] | None = None) -> tuple[MujocoBackend, ArmKinematics]:
    backend = MujocoBackend(shelf_scene() if boards is None else shelf_scene(boards))
    robot, base = backend.robot, backend.robot_base
    backend.reset(EpisodeInit({}, robot.home_qpos, robot.open_width))
    return backend, ArmKinematics(robot, base.position, base.quat_wxyz)


def test_the_slot_is_entered_from_the_side_facing_the_robot() -> None:
    """The exit is the board axis nearest the robot, with the depth to that edge."""
    surface = shelf_task().surface
    assert surface is not None
    ux, uy, depth = slot_exit(surface, (0.0, 0.55), (0.0, 0.0))
    assert (ux, uy) == pytest.approx((0.0, -1.0))
    assert depth == pytest.approx(0.55 - (CENTRE[1] - DEPTH / 2))
    ux, uy, _ = slot_exit(surface, (0.0, 0.55), (-2.0, 0.6))
    assert (ux, uy) == pytest.approx((-1.0, 0.0))


def test_the_slot_key_poses_enter_level_and_withdraw_the_way_they_came() -> None:
    """In at one height along the exit axis; release and withdrawal at the set-down height."""
    task = shelf_task()
    assert task.surface is not None and task.region is not None
    target = ObjectBox("cube_0", (0.45, 0.15, 0.775), (0.025, 0.025, 0.025), 0.3)
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {})
    assert grasp is not None
    pick, slot = shelf_segments(grasp, target, task.region, task.surface, (0.0, 0.0), TABLE_TOP)
    assert [s.phase for s in pick] == ["approach", "descend", "close", "lift"]
    by_phase = {s.phase: s for s in slot}
    inserted, placed = by_phase["insert"].position, by_phase["lower"].position
    withdrawn = by_phase["withdraw"].position
    assert inserted[2] > placed[2] == withdrawn[2]
    assert withdrawn[1] < CENTRE[1] - DEPTH / 2 - target.footprint_radius  # out of the slot
    assert np.cos(by_phase["insert"].yaw) == pytest.approx(0.0, abs=1e-6)  # x along the exit


def test_a_shelf_goal_is_planned_into_the_slot_the_same_way_every_time() -> None:
    """The plan check accepts the goal with a plan whose arm stays clear of the room, the
    same joints on every call (no sampling: every shard plans the same)."""
    backend, kinematics = _planned()
    plans = [plan_attempt(backend, kinematics, shelf_task(), 0.08) for _ in range(2)]
    first, second = (p[0] for p in plans if not isinstance(p, str))
    assert isinstance(first, AroundPlan) and first.planner == "mink" and first.plan_s > 0.0
    assert not backend.arm_path_collisions(first.arm)
    assert np.array_equal(first.arm, second.arm) and first.phases == second.phases
    assert {"insert", "withdraw"} <= set(first.phases)


def test_a_slot_too_low_for_the_arm_stays_refused() -> None:
    """With 0.43 m over the board the Panda's wrist cannot pass under the next board: the plan
    check still refuses the goal (the IK cannot track the way in clear of it)."""
    boards = (0.50, 0.95, 1.40)
    backend, kinematics = _planned(boards)
    refusal = plan_attempt(backend, kinematics, shelf_task(boards=boards), 0.08)
    assert refusal in ("unreachable", "arm_collision")
