"""Episodes draw the bundle's randomizers per seed, record them, and are judged in sim."""

import json
import math
import shutil
from dataclasses import replace

import numpy as np
import pytest

import episode_generation_job.rollout as rollout
from episode_generation_job.backends.base import SimBackend
from episode_generation_job.domain_randomization import EpisodeRandomizer
from episode_generation_job.episode_layout import episode_key, part_dir, shard_dir
from episode_generation_job.job import bundle_config
from episode_generation_job.layout_probe import keeps_layouts
from episode_generation_job.randomization import episode_seed, sample_init
from episode_generation_job.run_fingerprint import run_dir_for
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.shard_work import _open_session
from episode_generation_job.step import STEP
from episode_generation_job.testing import write_tabletop_usd
from episode_generation_job.validation import validate_episodes
from fixtures.generate_mock_regen3d import generate_mock_scene
from tools.config import load_settings
from tools.errors import InputError
from tools.job_runner import execute_step
from tools.lerobot import open_dataset
from tools.randomization import load_bundle_config
from tools.run_local_pipeline import run_pipeline
from tools.scene_layout import LEROBOT_DIR
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.tasks.task_specifier import GoalRegion


def _settings(scene_dir, **extra):
    env = {"SCENE_ID": scene_dir.name, "SCENE_DIR": str(scene_dir), "CAMERAS": ""}
    env |= {"PREVIEW_EPISODES": "0", **extra}
    return load_settings(EpisodeSettings, env)


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    """The `make demo` mock kitchen through ingest, simready, usd and replicator."""
    scene_dir = generate_mock_scene("kitchen", tmp_path_factory.mktemp("dr"), seed=7)
    assert run_pipeline(scene_dir, steps=["replicator"])["ok"]
    return scene_dir


@pytest.fixture(scope="module")
def session(kitchen):
    """An episode session on the kitchen with the pick_and_place bundle (no cameras)."""
    settings = _settings(kitchen)
    opened = _open_session(kitchen, settings, "mujoco", bundle_config(kitchen, settings))
    yield opened
    opened.close()


def _record(episode):
    return json.loads(episode.metadata["randomization"])


def test_values_differ_between_episodes_and_repeat_for_the_same_seed(session):
    """Slots draw different values; a slot drawn again after another gives the same episode."""
    first, other, again = (session.attempt(s, 0, 5, render=False) for s in (0, 2, 0))
    a, b, c = _record(first), _record(other), _record(again)
    assert a == c and np.array_equal(first.state, again.state)
    assert a["mode"] == "bundle" and a["seed"] == episode_seed(5, 0, 0)
    for key in ("placements", "light", "camera", "physics", "colors"):
        assert a["bundle"][key] and a["bundle"][key] != b["bundle"][key], key
    assert a["robot"]["home_qpos"] != b["robot"]["home_qpos"]
    # The draw is real in the simulation: the target starts where the scatter put it.
    target = first.metadata["target_id"]
    placed = next(p for p in a["bundle"]["placements"] if p["object_id"] == target)
    assert np.allclose(first.environment_state[0, :2], placed["pose"]["position"][:2], atol=0.01)
    values = first.metadata["randomization_values"]
    assert values["light_intensity"] == a["bundle"]["light"]["intensity"]
    assert values["target_x"] == pytest.approx(first.environment_state[0, 0], abs=1e-6)


def _goal_shift(session, slot):
    """How far the scatter moves the goal object of a slot from its rest position."""
    task = session.task_for(slot)
    args = (session.backend, session.kinematics, task, session.rest, episode_seed(0, slot, 0))
    placements = session.randomizer.conditions(*args, render=False).record["bundle"]["placements"]
    goal = next(p for p in placements if p["object_id"] == task.goal_id)
    return math.dist(goal["pose"]["position"][:2], session.rest_boxes[task.goal_id].centre[:2])


def test_success_is_judged_from_the_simulated_final_pose(session, monkeypatch):
    """The plate moved by the scatter is the goal; a plan aimed at its rest spot fails in sim."""
    slot = next(  # even slots put the cup onto the plate
        s
        for s in range(0, 40, 2)
        if session.task_for(s).region is None and _goal_shift(session, s) > 0.25
    )
    honest = session.attempt(slot, 0, 0, render=False)
    assert honest.verdict.success, honest.verdict
    goal = honest.metadata["goal_region"]["centre"]
    assert np.allclose(goal, honest.environment_state[-1, 7:9], atol=0.02)  # the plate, in sim
    task = session.task_for(slot)
    radius = session.rest_boxes[task.target_id].footprint_radius
    stale = task.goal_region(session.rest_boxes[task.goal_id], radius)
    original = rollout.plan_attempt

    def plan_for_rest_spot(backend, kinematics, planned_task, gripper):
        return original(backend, kinematics, replace(planned_task, region=stale), gripper)

    monkeypatch.setattr(rollout, "plan_attempt", plan_for_rest_spot)
    fooled = session.attempt(slot, 0, 0, render=False)
    assert not fooled.verdict.success and fooled.verdict.checks["in_goal_region"] is False
    assert _record(fooled) == _record(honest)
    assert np.allclose(fooled.environment_state[-1, :2], stale.centre, atol=0.05)


def test_per_frame_randomizers_change_the_light_every_frame(kitchen, session):
    """A config drawing the light per frame gets a frame hook that changes the model's light."""
    config = load_bundle_config(kitchen, "pick_and_place")
    lighting = config.randomizers.lighting.model_copy(update={"frequency": "per_frame"})
    randomizers = config.randomizers.model_copy(update={"lighting": lighting})
    bundle = config.model_copy(update={"randomizers": randomizers})
    randomizer = EpisodeRandomizer(bundle, session.randomizer.manifest)
    task = session.task_for(0)
    args = (session.backend, session.kinematics, task, session.rest, 11)
    conditions = randomizer.conditions(*args, render=True)
    assert conditions.record["per_frame"] == ["lighting"] and conditions.on_frame is not None
    light = session.backend.model.light(lighting.prim_path).id
    seen = []
    for frame in range(3):
        conditions.on_frame(frame)
        seen.append(session.backend.model.light_diffuse[light].copy())
    assert not np.allclose(seen[0], seen[1]) and not np.allclose(seen[1], seen[2])
    assert randomizer.conditions(*args, render=False).on_frame is None


def test_an_engine_without_in_process_randomizers_records_only_the_scatter(kitchen, session):
    """The SimBackend default (Isaac Sim) applies and records placements only."""
    config = load_bundle_config(kitchen, "pick_and_place")
    sample = SimBackend.randomize(
        session.backend, config, session.randomizer.manifest, np.random.default_rng(3), 3
    )
    assert sample.placements and not (sample.physics or sample.colors or sample.distractors)
    assert sample.light is None and sample.camera is None


def _by_key(scene_dir):
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    return {
        contents.extra_metadata(r)["episode_key"]: contents.extra_metadata(r)
        for r in contents.episodes
    }


def test_dataset_and_summary_record_the_values_and_shards_resume_draw_the_same(kitchen, tmp_path):
    """Dataset rows and the summary hold the values; shards and a resumed run draw the same."""
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(kitchen, one)
    shutil.copytree(kitchen, two)
    outcome = execute_step(STEP, _settings(one, NUM_EPISODES="3", CHECKPOINT_EVERY="1"))
    assert outcome.result["episodes_succeeded"] == 3
    rows = _by_key(one)
    records = {k: json.loads(v["randomization"]) for k, v in rows.items()}
    assert len({json.dumps(r["bundle"]["placements"]) for r in records.values()}) == 3
    summary = json.loads((one / "reports/episodes_summary.json").read_text())
    ranges = summary["randomization"]["ranges"]
    assert summary["randomization"]["mode"] == "bundle"
    assert ranges["light_intensity"]["min"] < ranges["light_intensity"]["max"]
    assert ranges["target_x"]["min"] < ranges["target_x"]["max"]
    ctx = StepContext(one, _settings(one), LocalStorage(one), None)  # type: ignore[arg-type]
    report = validate_episodes(ctx)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] and checks["randomization_recorded"]["ok"], report
    assert checks["replay"]["max_state_error"] <= 1e-6, checks["replay"]  # randomized models
    for index in (0, 1):
        execute_step(
            STEP,
            _settings(
                two, NUM_EPISODES="3", CLOUD_RUN_TASK_COUNT="2", CLOUD_RUN_TASK_INDEX=str(index)
            ),
        )
    sharded = _by_key(two)
    assert {k: v["randomization"] for k, v in sharded.items()} == {
        k: v["randomization"] for k, v in rows.items()
    }
    # A kill after two published parts: the third episode is regenerated identically.
    run = run_dir_for(one, _settings(one, NUM_EPISODES="3", CHECKPOINT_EVERY="1"))
    shutil.rmtree(part_dir(shard_dir(run, 0, 1), 2))
    shutil.rmtree(one / LEROBOT_DIR)
    execute_step(STEP, _settings(one, NUM_EPISODES="3", CHECKPOINT_EVERY="1"), force=True)
    resumed = _by_key(one)
    assert resumed[episode_key(2)]["randomization"] == rows[episode_key(2)]["randomization"]


def test_a_scene_without_a_bundle_fails_clearly_or_runs_with_randomization_none(tmp_path):
    """No replicator/configs/<policy>.json: InputError naming it; RANDOMIZATION=none runs."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    with pytest.raises(InputError, match=r"replicator/configs/pick_and_place\.json"):
        execute_step(STEP, _settings(scene_dir, NUM_EPISODES="1"))
    with pytest.raises(InputError, match=r"replicator/configs/table_clearing\.json"):
        execute_step(STEP, _settings(scene_dir, NUM_EPISODES="1", POLICY="table_clearing"))
    settings = _settings(scene_dir, NUM_EPISODES="1", RANDOMIZATION="none", SEED="4")
    execute_step(STEP, settings)
    (row,) = _by_key(scene_dir).values()
    record = json.loads(row["randomization"])
    assert record["mode"] == "none" and record["seed"] == episode_seed(4, 0, 0)
    # Mode none is the job's own jitter, drawn exactly as before the bundle existed.
    session = _open_session(scene_dir, settings, "mujoco", None)
    init = sample_init(
        np.random.default_rng(record["seed"]), session.rest_poses, session.rest_boxes,
        session.supports,
    )  # fmt: skip
    session.close()
    assert record["robot"]["home_qpos"] == list(init.arm_qpos)
    cube = record["objects"]["cube_0"]["position"]
    assert cube == list(init.object_poses["cube_0"].position)


def test_a_task_whose_layouts_are_never_feasible_is_left_out(session):
    """The layout probe keeps the session's tasks and refuses one no layout can serve: a
    surface goal on an object too small to hold a free square (goal_occupied every draw)."""
    task = session.task_for(0)
    args = (session.randomizer, session.backend, session.kinematics)
    assert keeps_layouts(*args, task, session.rest, 0)
    square = GoalRegion((0.0, 0.0), (0.06, 0.06), 0.0, 0.9)
    no_square = replace(task, goal_id=task.target_id, region=square, side="left")
    assert not keeps_layouts(*args, no_square, session.rest, 0)
    plain = EpisodeRandomizer(None, session.randomizer.manifest)
    assert keeps_layouts(plain, session.backend, session.kinematics, no_square, session.rest, 0)
