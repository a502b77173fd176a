"""The robot description: one source of the arm's reach, gripper and limits for every job."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from tools.errors import ConfigError
from tools.robots import (
    DEFAULT_ROBOT,
    FRANKA_PANDA,
    XARM6,
    RobotDescription,
    robot_description,
)


def test_every_job_reads_the_same_franka_facts() -> None:
    from episode_generation_job import domain_randomization, run_fingerprint
    from regen3d_ingest_job import robot_base
    from replicator_job.placement_regions import RegionParams
    from tools.sim.robots.franka import constants
    from tools.tasks import task_specifier

    assert FRANKA_PANDA.datasheet_reach_m == 0.855
    assert FRANKA_PANDA.shoulder_height_m == constants.SHOULDER_HEIGHT
    assert inspect.signature(robot_base.place_robot).parameters["robot"].default is DEFAULT_ROBOT
    assert FRANKA_PANDA.reach_radius_m == constants.REACH_RADIUS
    assert constants.GRIPPER_MAX_WIDTH == 2 * constants.FINGER_MAX == 0.08
    assert FRANKA_PANDA.goal_band_m == task_specifier.REGION_REACH
    assert pytest.approx(0.076) == task_specifier.MAX_GRASP_WIDTH
    assert FRANKA_PANDA.target_band_m == domain_randomization.TARGET_REACH
    params = RegionParams()
    assert (params.reach_min_m, params.reach_max_m) == (0.25, 0.80)
    assert run_fingerprint.ROBOT_TYPE == constants.ROBOT_TYPE == "franka_panda"


def test_bands_stay_inside_the_usable_reach() -> None:
    low, high = FRANKA_PANDA.min_reach_m, FRANKA_PANDA.reach_radius_m
    assert low <= FRANKA_PANDA.target_band_m[0] < FRANKA_PANDA.goal_band_m[0]
    assert FRANKA_PANDA.goal_band_m[1] < FRANKA_PANDA.target_band_m[1] <= high
    with pytest.raises(ValueError, match="goal band outside"):
        dataclasses.replace(FRANKA_PANDA, goal_band_m=(0.2, 0.6))
    with pytest.raises(ValueError, match="min_reach < reach_radius"):
        dataclasses.replace(FRANKA_PANDA, reach_radius_m=0.9)
    with pytest.raises(ValueError, match="joint limits"):
        dataclasses.replace(FRANKA_PANDA, arm_upper=(0.0,))


def test_motion_limits_are_a_documented_share_of_the_makers_limits() -> None:
    """The Panda's datasheet joint limits, halved for data collection; one value a joint."""
    limits = FRANKA_PANDA.motion_limits
    assert FRANKA_PANDA.max_joint_velocity == (2.175,) * 4 + (2.61,) * 3
    assert FRANKA_PANDA.max_joint_acceleration == (15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0)
    assert limits.velocity[0] == pytest.approx(1.0875) and limits.acceleration[1] == 3.75
    assert len(XARM6.motion_limits.velocity) == len(XARM6.arm_lower) == 6
    with pytest.raises(ValueError, match="max_joint_velocity must be one positive value"):
        dataclasses.replace(FRANKA_PANDA, max_joint_velocity=(2.0,) * 6)
    with pytest.raises(ValueError, match="max_joint_acceleration must be one positive value"):
        dataclasses.replace(FRANKA_PANDA, max_joint_acceleration=(0.0,) * 7)
    with pytest.raises(ValueError, match="motion_limit_fraction must be in"):
        dataclasses.replace(FRANKA_PANDA, motion_limit_fraction=1.5)
    with pytest.raises(ValueError, match="rim_max_moment_kg_m must be positive"):
        dataclasses.replace(XARM6, rim_max_moment_kg_m=0.0)


def test_shoulder_distance_is_measured_from_the_shoulder() -> None:
    assert FRANKA_PANDA.shoulder_distance(0.3, 0.4, 0.333) == pytest.approx(0.5)
    assert FRANKA_PANDA.shoulder_distance(0.0, 0.0, 0.0) == pytest.approx(0.333)


def test_lookup_by_name_names_the_variable_on_a_bad_value() -> None:
    assert isinstance(robot_description("franka_panda"), RobotDescription)
    with pytest.raises(ConfigError, match="ROBOT: must be one of franka_panda"):
        robot_description("ur5e")
