"""The open/close motion: the hand pinches the handle and follows the slide or the hinge arc."""

from __future__ import annotations

import math

import numpy as np
import pytest

from episode_generation_job.articulated_motion import (
    GRIPPER_CLOSED,
    GRIPPER_OPEN,
    exit_waypoints,
    grasp_rotation,
    held_pose,
    plan_articulated,
    waypoints,
)
from episode_generation_job.controller import UnreachableError
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import ArticulatedTask, JointFrame
from tools.tasks.skills import CLOSE_DOOR, OPEN_DRAWER

FRONT = np.array([0.0, -1.0, 0.0])


def _task(kind: str, skill: str, start: float, handle_y: float = -0.3) -> ArticulatedTask:
    axis = FRONT if kind == "prismatic" else np.array([0.0, 0.0, -1.0])
    upper = 0.4 if kind == "prismatic" else math.radians(100)
    frame = JointFrame(kind, axis, np.array([-0.45, handle_y + 0.03, 0.0]),
                       np.array([0.0, handle_y, 0.6]), FRONT, 0.0, upper)  # fmt: skip
    return ArticulatedTask("t", skill, "cab", "j", "p", "do it", start, frame)


def test_the_fingers_point_into_the_front_and_close_along_it() -> None:
    """TCP z is the inward normal, y (the closing axis) horizontal along the front."""
    rotation = grasp_rotation(FRONT)
    np.testing.assert_allclose(rotation[:, 2], -FRONT, atol=1e-12)
    assert abs(rotation[2, 1]) < 1e-12 and abs(rotation[:, 1] @ FRONT) < 1e-12
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)


def test_a_drawer_is_pulled_straight_out_with_the_handle_pinched() -> None:
    """Pull frames move along the slide axis only, gripper closed; release then retreat."""
    task = _task("prismatic", OPEN_DRAWER, 0.0)
    points = waypoints(task, np.array([0.0, -0.9, 0.5]), grasp_rotation(FRONT), False)
    phases = [p.phase for p in points]
    assert phases[0] == "approach" and phases[-1] == "retreat"
    pull = [p for p in points if p.phase == "pull"]
    assert all(p.gripper == GRIPPER_CLOSED for p in pull)
    travel = pull[-1].position - pull[0].position
    assert travel[1] < -0.3 and abs(travel[0]) < 1e-9 and abs(travel[2]) < 1e-9
    assert points[-1].gripper == GRIPPER_OPEN


def test_a_door_hand_turns_with_the_door() -> None:
    """Held at 70 deg, the hand has turned 70 deg about the hinge from its closed grasp."""
    task = _task("revolute", CLOSE_DOOR, 0.0)
    closed_pos, closed_rot = held_pose(task, False, 0.0)
    open_pos, open_rot = held_pose(task, False, math.radians(70))
    turn = open_rot @ closed_rot.T
    assert math.degrees(math.acos((np.trace(turn) - 1) / 2)) == pytest.approx(70.0)
    radius = np.linalg.norm((closed_pos - task.frame.origin)[:2])
    assert np.linalg.norm((open_pos - task.frame.origin)[:2]) == pytest.approx(radius)


def test_the_exit_backs_out_along_the_given_normal() -> None:
    """Release in place, then 12 cm along the outward normal."""
    points = exit_waypoints(np.zeros(3), grasp_rotation(FRONT), FRONT)
    assert points[-1].phase == "retreat"
    np.testing.assert_allclose(points[-1].position, 0.12 * FRONT, atol=1e-9)


def test_a_reachable_drawer_plans_and_a_far_one_does_not() -> None:
    """From a base 0.7 m in front of the handle the plan solves; 3 m away it is refused."""
    task = _task("prismatic", OPEN_DRAWER, 0.0)
    facing = (math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4))  # yaw +90: facing +Y
    near = FrankaKinematics((0.0, -1.0, 0.0), facing)
    plan, _ = plan_articulated(near, task, franka.HOME_QPOS)
    assert len(plan) == len(plan.phases) and np.isfinite(plan.arm).all()
    far = FrankaKinematics((0.0, -3.3, 0.0), facing)
    with pytest.raises(UnreachableError):
        plan_articulated(far, task, franka.HOME_QPOS)
