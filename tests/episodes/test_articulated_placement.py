"""ARTICULATED_TASKS=true derives and runs pick-and-place into an opened drawer: the nightstand
scene with the cube standing on the nightstand, whose drawer one station reaches together with
the cube; the episode is recorded in the dataset and passes the step's validation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from episode_generation_job.articulated_clearance import PlanClearance
from episode_generation_job.articulated_placement import (
    choose_placement_station,
    derive_placement_tasks,
)
from episode_generation_job.articulated_stations import Station
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.validation import validate_episodes
from tests.articulated_scenes import NIGHTSTAND, build_articulated_scene
from tools.config import load_settings
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR, SCENE_USD_PATH
from tools.scene_manifest import load_manifest, parse_manifest, save_manifest
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.tasks.drawer_placement import PLACE_IN_DRAWER, recheck_in_drawer
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene

CUBE = "cube_1"
ON_NIGHTSTAND = [1.6, 1.05, 0.601]  # the cube's bottom on the nightstand's top, beside its edge
ENV = {"SCENE_ID": "nightstand", "SEED": "64", "RANDOMIZATION": "none", "CAMERAS": "",
       "PREVIEW_EPISODES": "0", "ARTICULATED_TASKS": "true", "MAX_TASKS": "1",
       "NUM_EPISODES": "3"}  # fmt: skip


def _cube_on_nightstand(scene_dir: Path) -> Path:
    """The articulated scene with the cube moved onto the nightstand (reassembled)."""
    scene = build_articulated_scene(scene_dir)
    data = load_manifest(scene).model_dump(mode="json")
    for obj in data["objects"]:
        if obj["id"] == CUBE:
            obj["transform"]["position"] = ON_NIGHTSTAND
            obj["relationships"] = [{"type": "on_top_of", "target": NIGHTSTAND}]
    save_manifest(scene, parse_manifest(data))
    assemble_scene(scene, AssemblyOptions(render_preview=False))
    return scene


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scene after an episodes run with ARTICULATED_TASKS on (slots: one pick-and-place,
    open the drawer, put the cube in the opened drawer)."""
    scene = _cube_on_nightstand(tmp_path_factory.mktemp("placement") / "scene")
    execute_step(STEP, load_settings(EpisodeSettings, {**ENV, "SCENE_DIR": str(scene)}))
    return scene


def _episodes(scene_dir: Path) -> list[dict[str, Any]]:
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    return [
        {**contents.extra_metadata(row), "tasks": list(row["tasks"]), "env": table}
        for row, table in contents.iter_episode_tables()
    ]


def test_the_step_puts_the_cube_into_the_opened_drawer(run: Path) -> None:
    """A kept place_in_drawer episode: judged ok from the sim, the instruction its template's,
    the drawer opened by setting the joint at reset (said in its metadata), and the step's
    validation passes over the whole dataset."""
    assert validate_dataset(run / LEROBOT_DIR) == []
    settings = load_settings(EpisodeSettings, {**ENV, "SCENE_DIR": str(run)})
    report = validate_episodes(StepContext(run, settings, LocalStorage(run), None))  # type: ignore[arg-type]
    assert report["ok"], [c for c in report["checks"] if not c["ok"]]
    placed = [e for e in _episodes(run) if e.get("skill") == PLACE_IN_DRAWER]
    assert len(placed) == 1, [e.get("skill") for e in _episodes(run)]
    episode = placed[0]
    assert episode["verdict"] == "ok" and episode["tasks"] == [
        "put the cube in the open drawer of the nightstand"
    ]
    assert episode["checks/in_tray"] is True and episode["checks/released"] is True
    assert "joint set at reset" in episode["drawer_opened_by"]
    assert json.loads(episode["randomization"])["articulated"]["joint_set_at_reset"] is True
    env = np.array(episode["env"].column("observation.environment_state").to_pylist())
    assert recheck_in_drawer(env, episode) == []
    # The same frames with the cube left on the nightstand's top fail the re-check.
    still = env.copy()
    still[-1, :3] = still[0, :3]
    problems = recheck_in_drawer(still, episode)
    assert any("not in the tray" in p for p in problems) and "the target did not move" in problems


def test_no_task_when_no_station_reaches_object_and_tray(run: Path) -> None:
    """The cube on the table, 1.6 m from the drawer: no placement task, with the reason; on
    the nightstand: one, whose plan the clearance check passed; a shut drawer: no station."""
    manifest = load_manifest(run)
    usd = run / SCENE_USD_PATH
    backend = MujocoBackend(scene_from_usd(usd, manifest))
    boxes = backend.object_boxes()
    backend.close()
    clearance = PlanClearance(usd, manifest)
    try:
        found, refused = derive_placement_tasks(
            manifest, boxes, manifest.room_bounds, clearance, {}
        )
        ((task, station),) = found
        assert (task.target_id, task.support_id, refused) == (CUBE, NIGHTSTAND, {})
        assert isinstance(station, Station) and len(station.plan) > 0
        away = dataclasses.replace(boxes[CUBE], centre=(0.25, 0.1, 0.775))
        found, refused = derive_placement_tasks(
            manifest, {**boxes, CUBE: away}, manifest.room_bounds, clearance, {}
        )
        assert found == [] and refused == {f"{NIGHTSTAND}/{task.joint_name}": "no_target"}
        shut = dataclasses.replace(task, open_fraction=0.0)
        assert choose_placement_station(shut, boxes, manifest.room_bounds, clearance) == (
            "drawer_closed"
        )
    finally:
        clearance.close()
