"""A segment lasts as long as the arm's joint velocity and acceleration limits ask, no shorter."""

from __future__ import annotations

import numpy as np
import pytest

from episode_generation_job.controller import plan_joints
from episode_generation_job.motion import Segment
from episode_generation_job.time_scaling import limit_stretch, retime
from tests.joint_rates import limit_shares
from tools.robots import JointLimits
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot

HZ = 30
LIMITS = JointLimits(velocity=(1.0, 1.0), acceleration=(4.0, 4.0))
TOLERANCE = 1.03  # finite differences of a spline sampled between the checked gridpoints


def _min_jerk_path(distance: tuple[float, float], seconds: float) -> np.ndarray:
    """Two joints moving `distance` rad with a minimum-jerk profile, sampled at HZ, start first."""
    tau = np.linspace(0.0, 1.0, round(seconds * HZ) + 1)[:, None]
    return (tau**3 * (10 - 15 * tau + 6 * tau * tau)) * np.asarray(distance)


def _shares(path: np.ndarray) -> tuple[float, float]:
    return limit_shares(path, HZ, LIMITS)


def test_a_short_slow_segment_is_unchanged() -> None:
    """Well inside both limits: the planned frames, untouched."""
    path = _min_jerk_path((0.2, -0.1), 1.0)  # peak 0.375 rad/s, 1.15 rad/s²
    assert limit_stretch(path, HZ, LIMITS) == 1.0
    np.testing.assert_array_equal(retime(path, HZ, LIMITS), path[1:])


def test_a_still_segment_is_unchanged() -> None:
    """A gripper-only phase: the joints hold still, nothing to time."""
    path = np.zeros((16, 2))
    assert len(retime(path, HZ, LIMITS)) == 15


def test_a_fast_segment_is_stretched_to_the_velocity_limit() -> None:
    """1.5 rad in 1 s peaks at 2.8 rad/s: about 2.8x longer, then at the limit and not above."""
    path = _min_jerk_path((1.5, 0.3), 1.0)
    stretch = limit_stretch(path, HZ, LIMITS)
    assert stretch == pytest.approx(1.875 * 1.5, rel=0.02)  # min-jerk peak = 1.875 d / T
    slower = retime(path, HZ, LIMITS)
    velocity, acceleration = _shares(np.vstack([path[:1], slower]))
    assert len(slower) >= stretch * 30 and 0.95 < velocity <= TOLERANCE
    assert acceleration < 1.0
    np.testing.assert_allclose(slower[-1], path[-1])  # it still ends where it was planned to


def test_a_short_quick_segment_is_stretched_to_the_acceleration_limit() -> None:
    """0.1 rad in 0.2 s asks 14 rad/s² (0.94 rad/s): acceleration, not speed, sets the time."""
    path = _min_jerk_path((0.1, 0.0), 0.2)
    assert _shares(path)[0] < 1.0 < _shares(path)[1]
    stretch = limit_stretch(path, HZ, LIMITS)
    assert stretch == pytest.approx(np.sqrt(5.7735 * 0.1 / 0.2**2 / 4.0), rel=0.05)
    slower = retime(path, HZ, LIMITS)
    velocity, acceleration = _shares(np.vstack([path[:1], slower]))
    assert velocity < 0.5 and 0.8 < acceleration <= TOLERANCE  # frames round up


@pytest.mark.parametrize("robot_type", ["franka_panda", "xarm6"])
def test_plans_keep_each_robots_limits_and_count_stretched_segments(robot_type: str) -> None:
    """A fast Cartesian sweep is stretched (counted); the slow move after it keeps its time
    (within a frame: the Panda's null-space pull moves its joints a little at a segment's
    start); the joints stay within the robot's motion limits at the control rate."""
    robot = sim_robot(robot_type)
    kinematics = ArmKinematics(robot, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    limits = robot.description.motion_limits
    sweep = Segment("sweep", (0.3, 0.3, 0.1), 1.2, 0.0, 0.5)  # 15 frames asked for
    settle = Segment("settle", (0.3, 0.3, 0.12), 1.2, 0.0, 1.0)
    plan = plan_joints(kinematics, [sweep, settle], robot.home_qpos, 0.08, HZ)
    assert plan.stretched_segments >= 1
    assert plan.phases.count("sweep") > 20 and 30 <= plan.phases.count("settle") <= 31
    velocity, acceleration = limit_shares(np.vstack([robot.home_qpos, plan.arm]), HZ, limits)
    assert velocity <= TOLERANCE and acceleration <= TOLERANCE
    position, _ = kinematics.forward(plan.arm[plan.phases.index("settle") - 1])
    np.testing.assert_allclose(position, sweep.position, atol=0.01)


def test_a_tilted_start_is_levelled_along_the_first_segment() -> None:
    """From a jittered home pose (hand off top-down) the hand levels on the way, not in the
    first frame: no stretch, small first steps, top-down at the segment's end."""
    robot = sim_robot("franka_panda")
    kinematics = ArmKinematics(robot, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    start = np.asarray(robot.home_qpos) + np.array([0.05, -0.05, 0.05, 0.05, -0.05, 0.05, -0.05])
    position, _ = kinematics.forward(start)
    x, y, z = (float(v) for v in position)
    goal = Segment("approach", (x + 0.05, y, z - 0.05), 0.3, 0.08, 1.4)
    plan = plan_joints(kinematics, [goal], start, 0.08, HZ)
    assert plan.stretched_segments == 0 and len(plan) == 42
    velocity, acceleration = limit_shares(
        np.vstack([start, plan.arm]), HZ, robot.description.motion_limits
    )
    assert velocity < 0.5 and acceleration < 1.0
    _, rotation = kinematics.forward(plan.arm[-1])
    assert rotation[2, 2] == pytest.approx(-1.0, abs=1e-3)  # the fingers point straight down
