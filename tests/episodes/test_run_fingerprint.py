"""What the run fingerprint covers, and how the runs of other fingerprints are removed."""

import json

import pytest

from episode_generation_job.episode_layout import run_dir
from episode_generation_job.run_fingerprint import output_settings, run_fingerprint
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.stale_runs import remove_stale_runs
from tools.config import load_settings
from tools.storage import LocalStorage


def _settings(tmp_path, **extra):
    env = {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path), **extra}
    return load_settings(EpisodeSettings, env)


@pytest.fixture
def scene(tmp_path):
    """A scene folder with the hashed inputs' scene files (contents do not matter)."""
    for relative in (
        "usd/scene.usda",
        "assets/scene_manifest.json",
        "assets/simready.json",
        "usd/scene_state.json",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    config = tmp_path / "replicator/configs/pick_and_place.json"
    config.parent.mkdir(parents=True)
    config.write_text("{}")
    return tmp_path


def _digest(scene, **extra):
    return run_fingerprint(scene, _settings(scene, **extra), "mujoco").digest


@pytest.mark.parametrize(
    "change",
    [
        {"SEED": "1"},
        {"CAMERA_WIDTH": "64"},
        {"CAMERA_HEIGHT": "64"},
        {"CAMERAS": "wrist"},
        {"VIDEO_CODEC": "libsvtav1"},
        {"NUM_EPISODES": "13"},
        {"MAX_TASKS": "2"},
        {"RANDOMIZATION": "none"},
        {"POLICY": "table_clearing"},
        {"LLM_PHRASING": "true"},
    ],
)
def test_settings_that_change_the_output_change_the_fingerprint(scene, change):
    """Each output setting alone gives another fingerprint."""
    assert _digest(scene, **change) != _digest(scene)


@pytest.mark.parametrize(
    "change",
    [
        {"WORKERS": "2"},
        {"CHECKPOINT_EVERY": "3"},
        {"MAX_ATTEMPTS": "5"},
        {"MIN_SUCCESS_RATE": "0.9"},
        {"PREVIEW_EPISODES": "0"},
        {"FORCE": "true"},
    ],
)
def test_settings_that_write_the_same_episodes_keep_it(scene, change):
    """How the work is split, retried or previewed does not discard finished parts."""
    assert _digest(scene, **change) == _digest(scene)


def test_camera_size_counts_only_with_cameras_and_policy_only_with_the_bundle(scene):
    """No camera: size and codec are not part of the output; RANDOMIZATION=none: no policy."""
    none = {"CAMERAS": "", "RANDOMIZATION": "none"}
    assert _digest(scene, **none, CAMERA_WIDTH="64") == _digest(scene, **none)
    assert _digest(scene, **none, POLICY="table_clearing") == _digest(scene, **none)
    assert "CAMERA_WIDTH" not in output_settings(_settings(scene, **none))


@pytest.mark.parametrize(
    "relative",
    [
        "usd/scene.usda",
        "assets/scene_manifest.json",
        "assets/simready.json",
        "usd/scene_state.json",
        "replicator/configs/pick_and_place.json",
    ],
)
def test_every_hashed_input_changes_the_fingerprint(scene, relative):
    """Editing the scene, the manifest or a layer of it, or the bundle config gives another
    fingerprint."""
    before = run_fingerprint(scene, _settings(scene), "mujoco")
    (scene / relative).write_text("edited")
    after = run_fingerprint(scene, _settings(scene), "mujoco")
    assert after.digest != before.digest
    assert after.input_sha256[relative] != before.input_sha256[relative]
    assert after.input_sha256["robot_asset"] == before.input_sha256["robot_asset"]


def test_the_robot_asset_and_backend_are_named(scene):
    """The Panda's source package, version and content hash; another backend, another run."""
    fingerprint = run_fingerprint(scene, _settings(scene), "mujoco")
    asset = fingerprint.robot_asset
    assert asset["source_package"] == "pybullet" and asset["version"]
    assert asset["sha256"] == fingerprint.input_sha256["robot_asset"]
    assert len(asset["sha256"]) == 64
    assert run_fingerprint(scene, _settings(scene), "isaacsim").digest != fingerprint.digest


def _leave_runs(root, names):
    for name in names:
        part = root / "episodes/shards" / name / "shard-0000-of-0001/part-000000"
        part.mkdir(parents=True)
        (part / "data.parquet").write_text("x")
        checkpoints = root / ".checkpoints"
        checkpoints.mkdir(exist_ok=True)
        (checkpoints / f"episodes.{name}.shard-0000-of-0001.json").write_text("{}")


def test_stale_runs_are_removed_locally_and_the_current_one_kept(tmp_path):
    """Other runs' folders (and the pre-fingerprint layout) and their checkpoints go."""
    current = run_dir(tmp_path, "a" * 64)
    _leave_runs(tmp_path, [current.name, "run-" + "b" * 16, "shard-0000-of-0001"])
    (tmp_path / ".checkpoints/replicator.json").write_text("{}")  # another step's: kept
    removed = remove_stale_runs(tmp_path, LocalStorage(tmp_path), current)
    assert removed == 4
    assert [p.name for p in (tmp_path / "episodes/shards").iterdir()] == [current.name]
    assert sorted(p.name for p in (tmp_path / ".checkpoints").iterdir()) == [
        f"episodes.{current.name}.shard-0000-of-0001.json",
        "replicator.json",
    ]


def test_stale_runs_are_removed_from_the_bucket(gcs_storage, tmp_path):
    """On Cloud Run the bucket's objects of other runs are deleted, the run's own kept."""
    current = run_dir(tmp_path, "c" * 64)
    stale = f"episodes/shards/run-{'d' * 16}/shard-0000-of-0002/summary.json"
    own = f"episodes/shards/{current.name}/shard-0000-of-0002/summary.json"
    for key in (stale, own, f".checkpoints/episodes.run-{'d' * 16}.shard-0000-of-0002.json"):
        gcs_storage.write_bytes(key, json.dumps({}).encode())
    remove_stale_runs(tmp_path, gcs_storage, current)
    assert gcs_storage.list("episodes/shards/") == [own]
    assert gcs_storage.list(".checkpoints/") == []


def test_the_light_robot_constants_match_the_franka_package():
    """run_fingerprint repeats three franka constants to stay light: they must agree."""
    from episode_generation_job import run_fingerprint as light
    from tools.sim.robots.franka import constants as franka

    assert light.ROBOT_TYPE == franka.ROBOT_TYPE
    assert light.ROBOT_ASSET_PACKAGE == franka.ASSET_PACKAGE
    assert light.ROBOT_ASSET_SUBDIR == franka.ASSET_SUBDIR
