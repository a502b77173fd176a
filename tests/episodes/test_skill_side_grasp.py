"""Side grasps: a 26 cm bottle (too tall for a top-down pinch) picked from the side and set
down upright on a free square of the table, in MuJoCo, by each arm; the geometry refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.rollout import plan_attempt, run_episode
from episode_generation_job.side_attempt import sweep_collides
from episode_generation_job.side_grasp import HAND_BELOW_TCP, plan_side_grasp, side_rotation
from episode_generation_job.testing import TABLE_ID, TABLE_TOP, TabletopItem, tabletop_scene
from tests.joint_rates import limit_shares
from tools.robots import FRANKA_PANDA
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot
from tools.tasks.geometry import ObjectBox
from tools.tasks.skills import (
    PLACE_ON,
    SIDE,
    grasp_refusal,
    grasp_skill,
    side_graspable,
    top_graspable,
)
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

BOTTLE = TabletopItem(
    "bottle_0", "bottle", "cylinder", (0.065, 0.065, 0.26), (0.42, 0.32), 0.0, 0.5, "green",
    (0.2, 0.6, 0.3, 1.0),
)  # fmt: skip
GOAL = GoalRegion((0.66, 0.30), (0.04, 0.04), 0.0, TABLE_TOP)


def _task(goal: GoalRegion = GOAL) -> PickPlaceTask:
    return PickPlaceTask(
        "bottle_0-to-table_0-left", "bottle_0", TABLE_ID, TABLE_ID, goal,
        "put the green bottle on the left side of the table", "left", "on", PLACE_ON, SIDE,
    )  # fmt: skip


def _settled(robot_name: str) -> MujocoBackend:
    robot = sim_robot(robot_name)
    backend = MujocoBackend(tabletop_scene((BOTTLE,)), robot=robot)
    free = backend.free_objects()
    backend.reset(
        EpisodeInit({o: backend.object_pose(o) for o in free}, robot.home_qpos, robot.open_width)
    )
    return backend


@pytest.mark.parametrize("robot_name", ["franka_panda", "xarm6"])
def test_a_tall_bottle_is_carried_from_the_side_and_set_down_upright(robot_name: str) -> None:
    """The episode ends judged a success from simulation state: lifted, in the goal square,
    upright, released, at rest, neighbours undisturbed."""
    backend = _settled(robot_name)
    try:
        robot = backend.robot
        base = backend.robot_base
        kinematics = ArmKinematics(robot, base.position, base.quat_wxyz)
        init = EpisodeInit(
            {o: backend.object_pose(o) for o in backend.free_objects()},
            robot.home_qpos,
            robot.open_width,
        )
        record = run_episode(backend, kinematics, _task(), init, render=False)
        assert record.verdict.success, record.verdict
        assert record.metadata["grasp"] == SIDE
        assert record.verdict.checks["max_lift_m"] >= 0.05
    finally:
        backend.close()


def test_side_grasp_refusals_and_geometry() -> None:
    """Held sideways: approach and closing horizontal, the frame right-handed; a wide or a
    short object has no side grasp; a neighbour in the hand's sweep refuses the plan."""
    rotation = side_rotation(0.7)
    assert abs(rotation[2, 2]) < 1e-9 and abs(rotation[2, 1]) < 1e-9
    assert np.allclose(rotation.T @ rotation, np.eye(3)) and np.linalg.det(rotation) > 0
    bottle = ObjectBox("bottle", (0.5, 0.0, TABLE_TOP + 0.13), (0.0325, 0.0325, 0.13), 0.0)
    grasp = plan_side_grasp(bottle, TABLE_TOP, (0.0, 0.0), FRANKA_PANDA)
    assert grasp is not None and abs(grasp.heading) < 1e-9  # approached from the base
    assert TABLE_TOP + 0.045 <= grasp.position[2] < bottle.top - 0.1
    wide = ObjectBox("jug", (0.5, 0.0, TABLE_TOP + 0.13), (0.06, 0.06, 0.13), 0.0)
    assert plan_side_grasp(wide, TABLE_TOP, (0.0, 0.0), FRANKA_PANDA) is None
    low = ObjectBox("can", (0.5, 0.0, TABLE_TOP + 0.03), (0.0325, 0.0325, 0.03), 0.0)
    assert plan_side_grasp(low, TABLE_TOP, (0.0, 0.0), FRANKA_PANDA) is None
    carton = ObjectBox("carton", (0.5, 0.3, 1.0), (0.1, 0.03, 0.12), math.pi / 2)
    turned = plan_side_grasp(carton, 0.88, (0.0, 0.0), FRANKA_PANDA)
    assert turned is not None and math.isclose(turned.heading, math.pi / 2)  # along its long side
    neighbour = ObjectBox("cup", (0.38, 0.0, TABLE_TOP + 0.05), (0.04, 0.04, 0.05), 0.0)
    assert sweep_collides(grasp.position, grasp.heading, {"cup": neighbour})
    aside = ObjectBox("cup", (0.38, 0.3, TABLE_TOP + 0.05), (0.04, 0.04, 0.05), 0.0)
    assert not sweep_collides(grasp.position, grasp.heading, {"cup": aside})
    max_width = FRANKA_PANDA.max_grasp_width_m
    assert not top_graspable(bottle, "bottle", max_width) and side_graspable(
        bottle, "bottle", max_width
    )
    assert grasp_skill(bottle, "bottle", max_width) == SIDE
    assert grasp_refusal(bottle, "bottle", max_width) == "too_tall"
    assert not side_graspable(wide, "bottle", max_width)


def test_a_neighbour_in_the_sweep_refuses_the_attempt() -> None:
    """A box in front of the bottle on the robot's side: refused before simulating."""
    blocker = TabletopItem(
        "box_9", "box", "box", (0.05, 0.05, 0.12), (0.33, 0.25), 0.0, 0.2, "red", (1, 0, 0, 1)
    )
    robot = sim_robot("xarm6")
    backend = MujocoBackend(tabletop_scene((BOTTLE, blocker)), robot=robot)
    try:
        base = backend.robot_base
        kinematics = ArmKinematics(robot, base.position, base.quat_wxyz)
        assert plan_attempt(backend, kinematics, _task(), robot.open_width) == "not_graspable"
    finally:
        backend.close()


@pytest.mark.parametrize("robot_name", ["franka_panda", "xarm6"])
def test_a_side_plan_keeps_the_joint_limits_and_its_branch(robot_name: str) -> None:
    """Side plans are timed by the joint limits as top-down ones are (untimed, the Panda's
    approach lagged 19 cm behind its plan), and the slide-in keeps the branch chosen (a pull
    towards home at its first frame stretched a 12 cm slide to 10 s)."""
    backend = _settled(robot_name)
    try:
        robot = backend.robot
        base = backend.robot_base
        kinematics = ArmKinematics(robot, base.position, base.quat_wxyz)
        planned = plan_attempt(backend, kinematics, _task(), robot.open_width)
        assert not isinstance(planned, str), planned
        plan = planned[0]
        limits = robot.description.motion_limits
        velocity, acceleration = limit_shares(np.vstack([robot.home_qpos, plan.arm]), 30, limits)
        assert velocity <= 1.03 and acceleration <= 1.03
        slide = [i for i, phase in enumerate(plan.phases) if phase == "descend"]
        assert len(slide) <= 2 * 30  # planned 1 s: at most twice as long
    finally:
        backend.close()


def test_the_hand_comes_down_to_its_stand_off_from_over_the_bottle() -> None:
    """The joint-space move ends over the stand-off, above the bottle, and the hand comes
    straight down from there: moved straight to the stand-off from home, the hand swept
    through the bottle it went for (kitchen 241, not_in_goal_region)."""
    backend = _settled("franka_panda")
    try:
        robot = backend.robot
        base = backend.robot_base
        kinematics = ArmKinematics(robot, base.position, base.quat_wxyz)
        planned = plan_attempt(backend, kinematics, _task(), robot.open_width)
        assert not isinstance(planned, str), planned
        plan, _, bottle, _ = planned
        tcp = np.array([kinematics.forward(q)[0] for q in plan.arm])
        approach = [i for i, phase in enumerate(plan.phases) if phase == "approach"]
        standoff = tcp[approach[-1]]
        over = [
            i for i in approach
            if np.linalg.norm(tcp[i, :2] - standoff[:2]) < 0.005
            and tcp[i, 2] >= bottle.top + HAND_BELOW_TCP
        ]  # fmt: skip
        assert over, "the hand never stood over its stand-off"
        assert all(
            np.linalg.norm(tcp[i, :2] - standoff[:2]) < 0.01 for i in range(over[0], approach[-1])
        )
    finally:
        backend.close()
