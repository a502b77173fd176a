"""ROBOT= selects the arm: the xArm6 runs the episodes step and the dataset records it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.run_fingerprint import run_fingerprint
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.testing import tabletop_scene, write_tabletop_usd
from tests.joint_rates import limit_shares
from tools.config import load_settings
from tools.errors import ConfigError
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR
from tools.sim.robots.registry import sim_robot

ENV = {"SCENE_ID": "tabletop", "NUM_EPISODES": "3", "SEED": "4", "RANDOMIZATION": "none"}


@pytest.fixture(scope="module")
def xarm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A tabletop scene after an episodes run with ROBOT=xarm6 and no cameras."""
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("robots") / "tabletop")
    env = {**ENV, "SCENE_DIR": str(scene_dir), "CAMERAS": "", "ROBOT": "xarm6"}
    outcome = execute_step(STEP, load_settings(EpisodeSettings, env))
    return scene_dir, outcome


def test_xarm6_dataset_records_its_robot_and_six_joints(xarm_run: tuple[Path, Any]) -> None:
    """robot_type xarm6; state and action are 6 joints + gripper; the dataset is valid."""
    scene_dir, outcome = xarm_run
    root = scene_dir / LEROBOT_DIR
    assert validate_dataset(root) == []
    contents = open_dataset(root)
    assert contents.info.robot_type == "xarm6" and outcome.result["episodes_succeeded"] == 3
    state = contents.info.features["observation.state"]
    assert tuple(state.shape) == (7,) and isinstance(state.names, list)
    assert state.names[-1] == "gripper_width"
    assert tuple(contents.info.features["action"].shape) == (7,)
    for _, table in contents.iter_episode_tables():
        states = np.array(table.column("observation.state").to_pylist())
        assert states.shape[1] == 7 and states[:, 6].max() <= 0.09


def test_xarm6_episodes_replay_bit_for_bit(xarm_run: tuple[Path, Any]) -> None:
    """The replay certificate rebuilds the scene with the dataset's robot and matches it."""
    from episode_generation_job.replay import replay_sample

    scene_dir, _ = xarm_run
    check = replay_sample(scene_dir / LEROBOT_DIR, scene_dir)
    assert check["ok"], check["problems"]


def test_xarm6_picks_and_places_on_the_tabletop() -> None:
    """A session with the xArm6 derives tasks in its reach and its attempts succeed."""
    scene = tabletop_scene()
    session = EpisodeSession(MujocoBackend(scene, None, sim_robot("xarm6")), scene.manifest)
    assert session.kinematics.robot.dof == 6 and session.tasks
    records = [session.attempt(slot, 0, 11, render=False) for slot in range(4)]
    assert sum(r.verdict.success for r in records) >= 3
    assert all(r.state.shape[1] == 7 for r in records if r.length)


def test_the_robot_changes_the_fingerprint_and_franka_keeps_its_own(tmp_path: Path) -> None:
    """Another robot is another run folder; the default names the Franka's asset."""
    write_tabletop_usd(tmp_path)
    base = {**ENV, "SCENE_DIR": str(tmp_path)}
    franka = run_fingerprint(tmp_path, load_settings(EpisodeSettings, base), "mujoco")
    xarm = run_fingerprint(
        tmp_path, load_settings(EpisodeSettings, {**base, "ROBOT": "xarm6"}), "mujoco"
    )
    assert franka.digest != xarm.digest
    assert franka.robot_asset["robot"] == "franka_panda"
    assert xarm.robot_asset["robot"] == "xarm6" and xarm.robot_asset["path"] == "pybullet_data/xarm"


@pytest.mark.parametrize(
    ("env", "rule"),
    [
        ({"ROBOT": "ur5e"}, "ROBOT: .*must be one of franka_panda, xarm6"),
        ({"ROBOT": "xarm6", "BACKEND": "isaacsim"}, "ROBOT=xarm6 runs on the mujoco backend"),
    ],
)
def test_a_bad_robot_is_one_line_naming_robot(env: dict[str, str], rule: str) -> None:
    """An unknown robot, or one Isaac Sim cannot mount, fails the settings with ROBOT named."""
    with pytest.raises(ConfigError, match=rule) as caught:
        load_settings(EpisodeSettings, {**ENV, "SCENE_DIR": "/tmp", **env})
    assert "\n" not in str(caught.value)


def test_xarm6_actions_keep_its_joint_limits(xarm_run: tuple[Path, Any]) -> None:
    """Every episode's joint targets stay within the xArm6's motion limits at 30 fps (finite
    differences), and each episode records how many of its segments the limits stretched."""
    scene_dir, _ = xarm_run
    limits = sim_robot("xarm6").description.motion_limits
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    for row, table in contents.iter_episode_tables():
        actions = np.array(table.column("action").to_pylist())[:, :6]
        velocity, acceleration = limit_shares(actions, 30, limits)
        assert velocity <= 1.03 and acceleration <= 1.03
        assert contents.extra_metadata(row)["limit_stretched_segments"] >= 0
