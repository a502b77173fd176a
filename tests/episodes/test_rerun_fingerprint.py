"""Reruns resume only work of the same fingerprint; any change starts fresh and nothing stale
is reused; datasets, reports, markers and previews name their provenance and data source."""

import json
from pathlib import Path

import av
import numpy as np
import pytest

from episode_generation_job.episode_layout import SHARDS_DIR, SUMMARY_PATH
from episode_generation_job.run_fingerprint import fingerprint_for, run_dir_for
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.testing import write_tabletop_usd
from tools.config import load_settings
from tools.job_runner import execute_step
from tools.provenance import sha256_file
from tools.scene_layout import CHECKPOINTS_DIR, LEROBOT_DIR, MANIFEST_PATH, SCENE_USD_PATH

WRIST = "observation.images.wrist"


def _settings(scene_dir: Path, **extra: str) -> EpisodeSettings:
    env = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": "2"}
    env |= {"CAMERAS": "wrist", "CAMERA_WIDTH": "32", "CAMERA_HEIGHT": "32"}
    env |= {"PREVIEW_EPISODES": "0", "RANDOMIZATION": "none", "CHECKPOINT_EVERY": "1"}
    return load_settings(EpisodeSettings, {**env, **extra})


def _info(scene_dir: Path) -> dict:
    return json.loads((scene_dir / LEROBOT_DIR / "meta/info.json").read_text())


def _summary(scene_dir: Path) -> dict:
    return json.loads((scene_dir / SUMMARY_PATH).read_text())


def _resumed(scene_dir: Path) -> int:
    return sum(int(s["resumed"]) for s in _summary(scene_dir)["shards"])


def _runs(scene_dir: Path) -> list[str]:
    return sorted(p.name for p in (scene_dir / SHARDS_DIR).iterdir())


def _assert_fresh(scene_dir: Path, settings: EpisodeSettings, outcome) -> None:
    """The step simulated every episode again and kept only the new run's folder."""
    assert outcome.status == "completed"
    assert outcome.result["physics_steps"] > 0 and _resumed(scene_dir) == 0
    assert _runs(scene_dir) == [run_dir_for(scene_dir, settings).name]
    own = f"episodes.{run_dir_for(scene_dir, settings).name}."
    checkpoints = [p.name for p in (scene_dir / CHECKPOINTS_DIR).glob("episodes.*")]
    assert checkpoints and all(name.startswith(own) for name in checkpoints)


@pytest.fixture
def first_run(tmp_path):
    """A tabletop with one finished run (seed 0, 32x32 wrist videos)."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    outcome = execute_step(STEP, _settings(scene_dir))
    assert outcome.result["episodes_succeeded"] == 2
    return scene_dir


def test_a_rerun_with_nothing_changed_resumes_and_skips(first_run):
    """Unchanged: the runner skips the step; forced, the step resumes every published part."""
    settings = _settings(first_run)
    assert execute_step(STEP, settings).status == "skipped"
    forced = execute_step(STEP, settings, force=True)
    assert forced.result["physics_steps"] == 0 and _resumed(first_run) == 2
    assert _runs(first_run) == [run_dir_for(first_run, settings).name]


def test_another_seed_starts_fresh(first_run):
    """SEED=1: new episodes (seed recorded in the dataset), the seed-0 parts are gone."""
    before = _info(first_run)["provenance"]
    settings = _settings(first_run, SEED="1")
    _assert_fresh(first_run, settings, execute_step(STEP, settings))
    after = _info(first_run)["provenance"]
    assert (before["seed"], after["seed"]) == (0, 1)
    assert after["settings"]["SEED"] == 1
    assert after["run_fingerprint"] != before["run_fingerprint"]
    assert after["run_fingerprint"] == fingerprint_for(first_run, settings).digest


def test_another_camera_size_starts_fresh(first_run):
    """CAMERA_WIDTH/HEIGHT 48x40: the dataset's videos are 48x40, encoded anew."""
    settings = _settings(first_run, CAMERA_WIDTH="48", CAMERA_HEIGHT="40")
    _assert_fresh(first_run, settings, execute_step(STEP, settings))
    info = _info(first_run)["features"][WRIST]["info"]
    assert (info["video.width"], info["video.height"]) == (48, 40)
    video = next((first_run / LEROBOT_DIR / "videos" / WRIST).rglob("*.mp4"))
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (48, 40)


def test_a_changed_scene_usda_starts_fresh_and_a_corrupt_one_fails(first_run):
    """An edited scene.usda reruns even though no dependency changed, and the dataset names
    the new hash; a corrupt one fails instead of reusing the old episodes."""
    usd = first_run / SCENE_USD_PATH
    usd.write_text(usd.read_text() + "\n# edited by hand\n")
    settings = _settings(first_run)
    _assert_fresh(first_run, settings, execute_step(STEP, settings))
    assert _info(first_run)["provenance"]["scene_sha256"] == sha256_file(usd)
    assert _info(first_run)["provenance"]["input_sha256"][SCENE_USD_PATH] == sha256_file(usd)
    usd.write_text("#usda 1.0\n(\n this is not usd")
    with pytest.raises(Exception):  # noqa: B017 - the loader's error type is not the point
        execute_step(STEP, settings)
    assert not (first_run / ".markers/episodes.complete.json").exists()


def test_mock_fixture_data_is_named_in_dataset_reports_marker_and_preview(first_run):
    """A manifest with data_source mock-fixture: a fresh run whose info.json, summary and
    completion marker say so, and whose preview carries the caption band (the same episodes
    of an authored scene have none)."""
    preview = first_run / "reports/episodes_preview.mp4"
    authored = _settings(first_run, PREVIEW_EPISODES="1", CAMERA_WIDTH="96", CAMERA_HEIGHT="64")
    execute_step(STEP, authored)
    plain = _frames(preview)
    manifest_path = first_run / MANIFEST_PATH
    manifest = json.loads(manifest_path.read_text())
    manifest["provenance"]["data_source"] = "mock-fixture"
    manifest_path.write_text(json.dumps(manifest))
    outcome = execute_step(STEP, authored)
    _assert_fresh(first_run, authored, outcome)
    provenance = _info(first_run)["provenance"]
    assert provenance["data_source"] == "mock-fixture"
    assert provenance["input_sha256"][MANIFEST_PATH] == sha256_file(manifest_path)
    assert provenance["robot_asset"]["source_package"] == "pybullet"
    assert provenance["robot_asset"]["sha256"] and provenance["backend"] == "mujoco"
    assert provenance["code"]["git_commit"] and "mujoco" in provenance["tool_versions"]
    assert _summary(first_run)["provenance"]["data_source"] == "mock-fixture"
    marker = json.loads((first_run / ".markers/episodes.complete.json").read_text())
    assert marker["provenance"]["data_source"] == "mock-fixture"
    assert marker["provenance"]["run_fingerprint"] == provenance["run_fingerprint"]
    captioned = _frames(preview)
    assert len(captioned) == len(plain)
    band = slice(-12, None)
    assert np.abs(captioned[0][:30].astype(int) - plain[0][:30]).mean() < 4
    assert np.abs(captioned[0][band].astype(int) - plain[0][band]).mean() > 20


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
