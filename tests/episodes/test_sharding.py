"""Scale-out: shards own disjoint slots, workers and Cloud Run tasks merge into one dataset."""

import json

import pytest

from episode_generation_job.episode_layout import SHARDS_DIR, claims_dir
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.shard_runner import ShardPlan
from episode_generation_job.slot_claims import SlotClaims, reset_claims
from episode_generation_job.step import STEP
from episode_generation_job.testing import tabletop_env, write_tabletop_usd
from tools.config import load_settings
from tools.errors import ConfigError, PipelineError
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR


def _plan(index, count, num=10):
    return ShardPlan(index, count, num, 1, 10, 0, (), "h264")


def test_shards_partition_the_slots():
    """Every slot belongs to exactly one shard whatever the shard count."""
    for count in (1, 2, 3, 7):
        slots = sorted(s for i in range(count) for s in _plan(i, count).slots())
        assert slots == list(range(10))


def test_cloud_run_task_index_must_be_below_count():
    """A task index outside the task count is a configuration error."""
    env = {"SCENE_ID": "s", "SCENE_DIR": "/tmp", "CLOUD_RUN_TASK_INDEX": "2"}
    with pytest.raises(ConfigError, match="CLOUD_RUN_TASK_INDEX"):
        load_settings(EpisodeSettings, {**env, "CLOUD_RUN_TASK_COUNT": "2"})


def _keys(root):
    contents = open_dataset(root)
    return sorted(contents.extra_metadata(r)["episode_key"] for r in contents.episodes)


def test_cloud_run_tasks_write_shards_and_the_last_merges(tmp_path):
    """Task 0 of 2 only writes its shard; task 1 finds both shards done and merges them."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    base = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": "3"}
    base |= {"CAMERAS": "", "CLOUD_RUN_TASK_COUNT": "2", "PREVIEW_EPISODES": "0"}
    base |= {"RANDOMIZATION": "none"}  # the tabletop has no replicator bundle
    first = execute_step(
        STEP, load_settings(EpisodeSettings, {**base, "CLOUD_RUN_TASK_INDEX": "0"})
    )
    assert first.result["merged"] is False and not (scene_dir / LEROBOT_DIR).exists()
    first_fingerprint = first.result["provenance"]["run_fingerprint"]
    second = execute_step(
        STEP, load_settings(EpisodeSettings, {**base, "CLOUD_RUN_TASK_INDEX": "1"})
    )
    assert second.result["episodes_succeeded"] == 3
    assert second.result["provenance"]["run_fingerprint"] == first_fingerprint
    assert _keys(scene_dir / LEROBOT_DIR) == ["ep-000000", "ep-000001", "ep-000002"]
    assert validate_dataset(scene_dir / LEROBOT_DIR) == []


def test_local_workers_run_as_parallel_shards(tmp_path):
    """WORKERS=2 runs two shard processes and merges them into one consistent dataset."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = tabletop_env(scene_dir, 4, WORKERS="2", PREVIEW_EPISODES="0")
    outcome = execute_step(STEP, load_settings(EpisodeSettings, env))
    assert outcome.result["shards_total"] == 2
    assert _keys(scene_dir / LEROBOT_DIR) == [f"ep-{i:06d}" for i in range(4)]


def test_a_slot_is_claimed_once_and_a_reset_frees_it(tmp_path):
    """Two workers on one claims folder: exactly one wins each slot; a new run starts empty."""
    folder = reset_claims(tmp_path)
    first, second = SlotClaims(folder, "shard-0"), SlotClaims(folder, "shard-1")
    assert first.take(3) and not second.take(3)
    assert second.take(4) and not first.take(4)
    assert (folder / "ep-000003").read_text() == "shard-0"
    reset_claims(tmp_path)
    assert second.take(3)


def test_claims_need_the_folder_the_job_prepares(tmp_path):
    """Claiming without the parent's claims folder is a configuration error, not a silent
    free-for-all; with a bucket (no shared folder) the settings refuse it."""
    with pytest.raises(ConfigError, match="SLOT_ASSIGNMENT"):
        SlotClaims(claims_dir(tmp_path), "shard-0")
    env = {"SCENE_ID": "s", "BUCKET": "bp-scenes", "SLOT_ASSIGNMENT": "claim"}
    with pytest.raises(ConfigError, match="SLOT_ASSIGNMENT=claim"):
        load_settings(EpisodeSettings, env)


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_workers_claiming_slots_merge_the_same_dataset_as_one_process(tmp_path):
    """WORKERS=2 takes slots first-come, yet the merged dataset (ordered by slot) is byte for
    byte the one a single process writes, videos (the default H.264, one x264 thread with
    cpu-independent=1) and depth/segmentation layers included; every slot was claimed once."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": "6"}
    camera = {"name": "wrist", "mount": "wrist", "width": 32, "height": 32}
    env["CAMERAS"] = json.dumps([{**camera, "modalities": ["rgb", "depth", "segmentation"]}])
    env |= {"PREVIEW_EPISODES": "0", "RANDOMIZATION": "none"}
    env |= {"FORCE": "true"}
    single = execute_step(STEP, load_settings(EpisodeSettings, {**env, "WORKERS": "1"}))
    assert single.result["episodes_succeeded"] == 6
    one = _tree_bytes(scene_dir / LEROBOT_DIR)
    outcome = execute_step(STEP, load_settings(EpisodeSettings, {**env, "WORKERS": "2"}))
    shards = outcome.result["shards_total"], outcome.result["episodes_succeeded"]
    assert shards == (2, 6)
    assert _tree_bytes(scene_dir / LEROBOT_DIR) == one
    assert not list((scene_dir / SHARDS_DIR).glob("*/.claims"))


def _shard_summary(name, failed):
    return {
        "shard": name,
        "slots": 2,
        "succeeded": 2,
        "resumed": 0,
        "attempts": 2 + len(failed),
        "failures": {},
        "failed_attempts": failed,
        "given_up": [],
        "frames": 10,
        "physics_steps": 100,
        "attempt_seconds": 1.0,
        "wall_seconds": 2.0,
    }


def test_an_attempt_repeated_by_another_worker_counts_once():
    """After a kill, a claimed slot may be retried by another worker: its attempt keys repeat
    across shard summaries and count once in the step's failure figures."""
    from episode_generation_job.reports import summarize

    first = _shard_summary("shard-0", {"ep-000001/attempt-0": "dropped"})
    second = _shard_summary(
        "shard-1", {"ep-000001/attempt-0": "dropped", "ep-000003/attempt-0": "not lifted"}
    )
    summary = summarize([first, second], {})
    assert summary["failed_attempts"] == 2
    assert summary["failure_reasons"] == {"dropped": 1, "not lifted": 1}
    assert summary["success_rate"] == round(4 / 6, 4)


def test_workers_refusing_their_input_fail_the_step_with_their_message(tmp_path):
    """WORKERS=2 on a scene with no graspable object: the step fails with the workers' own
    one-line reason and exit code 2 (no attempt can help), not a bare list of exit codes."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    manifest_path = scene_dir / "assets" / "scene_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for obj in manifest["objects"]:
        if obj["sim_role"] in ("manipulable", "distractor"):
            obj["sim_role"] = "static"
    manifest_path.write_text(json.dumps(manifest))
    env = tabletop_env(scene_dir, 4, WORKERS="2", PREVIEW_EPISODES="0", CAMERAS="")
    with pytest.raises(PipelineError) as info:
        execute_step(STEP, load_settings(EpisodeSettings, env))
    assert info.value.exit_code == 2 and not info.value.retryable
    assert "shard workers exited with [2, 2]: " in str(info.value)
    assert "no feasible pick-and-place task" in str(info.value)
    assert "rerun to resume" not in str(info.value)
