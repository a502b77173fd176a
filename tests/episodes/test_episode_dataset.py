"""The episodes step end to end on a USD tabletop: a valid dataset whose kept episodes succeeded."""

import json

import numpy as np
import pytest

from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.testing import write_tabletop_usd
from episode_generation_job.validation import check_episode, validate_episodes
from tests.joint_rates import limit_shares
from tools.config import load_settings
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.robots import FRANKA_PANDA
from tools.scene_layout import LEROBOT_DIR
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.tasks.skills import GRASPS, PLACE_SKILLS


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A tabletop scene after an episodes run with both cameras at 64 x 64."""
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("episodes") / "tabletop")
    env = {
        "SCENE_ID": "tabletop",
        "SCENE_DIR": str(scene_dir),
        "NUM_EPISODES": "3",
        "CAMERA_WIDTH": "64",
        "CAMERA_HEIGHT": "64",
        "SEED": "3",
        "RANDOMIZATION": "none",  # the tabletop has no replicator bundle
    }
    settings = load_settings(EpisodeSettings, env)
    outcome = execute_step(STEP, settings)
    return scene_dir, settings, outcome


def test_dataset_is_valid_lerobot_with_backend_provenance(scene):
    """tools.lerobot finds no problem; info.json records the backend, seed and scene hash."""
    scene_dir, _, outcome = scene
    root = scene_dir / LEROBOT_DIR
    assert validate_dataset(root) == []
    info = open_dataset(root).info
    assert info.total_episodes == 3 and outcome.result["episodes_succeeded"] == 3
    assert info.provenance.backend == "mujoco" and info.provenance.seed == 3
    assert info.provenance.scene_sha256 is not None
    assert set(info.video_keys) == {"observation.images.scene", "observation.images.wrist"}
    assert info.robot_type == "franka_panda"


def test_every_kept_episode_lifted_and_placed_in_its_goal(scene):
    """From observation.environment_state alone: lifted >= 3 cm, resting in the goal region."""
    scene_dir, _, _ = scene
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    checked = 0
    for row, table in contents.iter_episode_tables():
        env = np.array(table.column("observation.environment_state").to_pylist())
        assert env.shape[1] == 14
        assert env[:, 2].max() - env[0, 2] >= 0.03
        extra = contents.extra_metadata(row)
        assert check_episode(env, extra) == []
        assert extra["skill"] in PLACE_SKILLS and extra["grasp"] in GRASPS
        checked += 1
    assert checked == 3
    verbs = ("put the ", "stack the ", "move the ")  # the skills' templates
    assert len(contents.tasks) >= 1 and all(t.startswith(verbs) for t in contents.tasks)


def test_actions_keep_the_pandas_joint_limits(scene):
    """Joint targets stay within the Panda's motion limits at 30 fps (finite differences of
    the recorded actions); the episode records how many segments the limits stretched."""
    scene_dir, _, _ = scene
    limits = FRANKA_PANDA.motion_limits
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    for row, table in contents.iter_episode_tables():
        actions = np.array(table.column("action").to_pylist())[:, :7]
        velocity, acceleration = limit_shares(actions, 30, limits)
        assert velocity <= 1.03 and acceleration <= 1.03
        assert contents.extra_metadata(row)["limit_stretched_segments"] >= 0


def test_step_validation_and_reports(scene):
    """The step's validation passes; the summary and preview video are written."""
    scene_dir, settings, _ = scene
    ctx = StepContext(scene_dir, settings, LocalStorage(scene_dir), None)  # type: ignore[arg-type]
    report = validate_episodes(ctx)
    assert report["ok"], report
    summary = json.loads((scene_dir / "reports/episodes_summary.json").read_text())
    assert summary["success_rate"] == 1.0 and summary["backend"] == "mujoco"
    assert summary["episodes_per_hour"] > 0
    assert (scene_dir / "reports/episodes_preview.mp4").stat().st_size > 0


def test_validation_rejects_an_episode_that_never_lifted():
    """check_episode flags a target that stayed on the table outside its goal."""
    env = np.zeros((30, 14))
    env[:, 2] = 0.78
    extra = {
        "goal_region/centre": [0.5, 0.5],
        "goal_region/half_extents": [0.05, 0.05],
        "goal_region/yaw": 0.0,
        "goal_region/surface_z": 0.76,
        "target_bottom_offset": 0.02,
    }
    problems = check_episode(env, extra)
    assert any("lifted" in p for p in problems) and any("outside" in p for p in problems)
