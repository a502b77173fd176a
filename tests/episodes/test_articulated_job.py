"""ARTICULATED_TASKS=true: the episodes step also opens drawers, recorded in the same dataset;
and a scripted pick-and-place into the opened drawer of the same scene."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from episode_generation_job.articulated_rollout import manifest_at_station, scene_joints
from episode_generation_job.articulated_stations import Station, choose_station
from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.drawer_placement_episode import run_drawer_placement
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.validation import check_articulated, validate_episodes
from tests.articulated_scenes import NIGHTSTAND, build_articulated_scene
from tools.config import load_settings
from tools.errors import ConfigError
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR, SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.tasks.articulated import OPEN_MIN_FRACTION, derive_articulated_tasks
from tools.tasks.drawer_placement import drawer_placement_tasks
from tools.tasks.geometry import Pose

CAMERA = {"name": "scene", "mount": "scene", "width": 32, "height": 32,
          "modalities": ["rgb", "depth"]}  # fmt: skip
ENV = {"SCENE_ID": "nightstand", "SEED": "63", "RANDOMIZATION": "none", "PREVIEW_EPISODES": "0",
       "ARTICULATED_TASKS": "true", "MAX_TASKS": "1", "NUM_EPISODES": "2",
       "CAMERAS": json.dumps([CAMERA])}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, EpisodeSettings]:
    """The nightstand scene after an episodes run with ARTICULATED_TASKS on (slot 0: the one
    pick-and-place task, slot 1: open the drawer)."""
    scene_dir = build_articulated_scene(tmp_path_factory.mktemp("articulated") / "scene")
    settings = load_settings(EpisodeSettings, {**ENV, "SCENE_DIR": str(scene_dir)})
    execute_step(STEP, settings)
    return scene_dir, settings


def _episodes(scene_dir: Path) -> list[dict[str, Any]]:
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    return [
        {**contents.extra_metadata(row), "tasks": list(row["tasks"]), "env": table}
        for row, table in contents.iter_episode_tables()
    ]


def test_the_merged_dataset_validates_and_holds_an_opened_drawer(
    run: tuple[Path, EpisodeSettings],
) -> None:
    """The step's validation passes; an open_drawer episode is kept, judged from the joint."""
    scene_dir, settings = run
    assert validate_dataset(scene_dir / LEROBOT_DIR) == []
    ctx = StepContext(scene_dir, settings, LocalStorage(scene_dir), None)  # type: ignore[arg-type]
    report = validate_episodes(ctx)
    assert report["ok"], report
    drawers = [e for e in _episodes(scene_dir) if e.get("skill") == "open_drawer"]
    assert len(drawers) == 1, [e.get("skill") for e in _episodes(scene_dir)]
    episode = drawers[0]
    assert episode["verdict"] == "ok" and episode["checks/released"] is True
    assert episode["start_fraction"] == 0.0 and episode["end_fraction"] >= OPEN_MIN_FRACTION
    assert episode["joint"] and episode["tasks"] == ["open the drawer of the nightstand"]
    env = np.array(episode["env"].column("observation.environment_state").to_pylist())
    assert env.shape[1] == 14 and check_articulated(env, episode) == []
    # Recorded through the camera recorder: the depth layer and per-frame extrinsics.
    names = set(episode["env"].column_names)
    assert {"observation.depth.scene", "observation.cameras.scene.extrinsics"} <= names


def test_a_drawer_left_short_of_the_rule_fails_the_recheck() -> None:
    """The validator re-judges from the stored joint fraction, not from the stored verdict."""
    env = np.zeros((3, 14))
    env[-1, 0] = 0.2
    extra = {"skill": "open_drawer", "end_fraction": 0.4, "checks/released": True}
    assert check_articulated(env, extra) == ["re-judged from its joint: failed (not_open)"]
    still = {**extra, "end_fraction": 0.9}
    assert check_articulated(np.zeros((3, 14)), still) == ["the handle did not move"]


@pytest.mark.parametrize("env", [{"ROBOT": "xarm6"}, {"BACKEND": "isaacsim", "CAMERAS": "scene"}])
def test_articulated_tasks_refuse_other_robots_and_engines(env: dict[str, str]) -> None:
    """One line naming ARTICULATED_TASKS: the open/close motion is the Panda's, on MuJoCo."""
    with pytest.raises(ConfigError, match="ARTICULATED_TASKS needs ROBOT=franka_panda") as caught:
        load_settings(EpisodeSettings, {**ENV, "SCENE_DIR": "/tmp", **env})
    assert "\n" not in str(caught.value)


def test_a_retry_stands_at_the_next_reachable_station(run: tuple[Path, EpisodeSettings]) -> None:
    """Attempt k of a task plans from its (k+1)-th reachable station: retries differ."""
    scene_dir, _ = run
    manifest = load_manifest(scene_dir)
    task = derive_articulated_tasks(manifest)[0]
    first = choose_station(task, {}, manifest.room_bounds)
    second = choose_station(task, {}, manifest.room_bounds, skip=1)
    assert isinstance(first, Station) and isinstance(second, Station)
    assert second.base != first.base


CUBE = "cube_1"
# Beside the opened drawer (the nightstand's front faces -X at x = 1.525, the drawer spans
# y 0.95 to 1.45), facing between the cube on the nightstand's top and the drawer: a Panda on
# the floor reaches top-down at 0.7 m height within ~0.45 m.
YAW = 1.15
STATION = Pose.of((1.3, 0.72, 0.0), (math.cos(YAW / 2), 0.0, 0.0, math.sin(YAW / 2)))
ON_TOP = Pose.of((1.6, 1.05, 0.601), (1.0, 0.0, 0.0, 0.0))


def test_the_panda_puts_a_cube_into_the_open_drawer(run: tuple[Path, EpisodeSettings]) -> None:
    """The cube ends at rest inside the drawer's part volume, let go; the instruction names
    both; a shut drawer leaves nothing to place into (a scripted pick-and-place episode)."""
    scene = run[0]
    manifest = load_manifest(scene)
    (task,) = drawer_placement_tasks(manifest, {CUBE: NIGHTSTAND})
    assert task.instruction == "put the cube in the open drawer of the nightstand"
    usd = scene / SCENE_USD_PATH
    backend = MujocoBackend(scene_from_usd(usd, manifest_at_station(manifest, STATION)))
    try:
        joint = scene_joints(backend, usd)[f"{NIGHTSTAND}/{task.joint_name}"]
        kinematics = FrankaKinematics(STATION.position, STATION.quat_wxyz)
        init = EpisodeInit({CUBE: ON_TOP}, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH)
        outcome = run_drawer_placement(backend, kinematics, task, joint, init)
        assert outcome.success, (outcome.reason, outcome.checks)
        assert outcome.checks["in_tray"] is True and outcome.checks["released"] is True
        assert abs(float(outcome.checks["bottom_above_floor_m"])) < 0.02  # on the tray floor
        shut = dataclasses.replace(task, open_fraction=0.0)
        refused = run_drawer_placement(backend, kinematics, shut, joint, init)
        assert (refused.success, refused.reason, refused.frames) == (False, "drawer_closed", 0)
    finally:
        backend.close()
