"""The replay certificate: kept episodes re-simulate exactly from what the dataset records."""

import json
import shutil

import mujoco
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from episode_generation_job.replay import main, replay_episodes, sample_indices
from episode_generation_job.replay_record import ReplayRecorder, model_arrays
from episode_generation_job.replay_sim import TOLERANCE, apply_record
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.testing import write_tabletop_usd
from episode_generation_job.validation import check_replay, listed
from tools.config import load_settings
from tools.job_runner import execute_step
from tools.scene_layout import LEROBOT_DIR, SCENE_USD_PATH
from tools.steps import StepContext
from tools.storage import LocalStorage


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A tabletop scene after an episodes run of two episodes without cameras."""
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("replay") / "tabletop")
    env = {
        "SCENE_ID": "tabletop",
        "SCENE_DIR": str(scene_dir),
        "NUM_EPISODES": "2",
        "CAMERAS": "",
        "SEED": "5",
        "RANDOMIZATION": "none",
        "PREVIEW_EPISODES": "0",
        "MIN_SUCCESS_RATE": "0",
    }
    settings = load_settings(EpisodeSettings, env)
    assert execute_step(STEP, settings).result["episodes_succeeded"] == 2
    return scene_dir, settings


def _copy_dataset(scene_dir, tmp_path):
    copy = tmp_path / "lerobot"
    shutil.copytree(scene_dir / LEROBOT_DIR, copy)
    return copy


def _alter_action(dataset, episode, frame, joint, delta):
    """Add `delta` to one recorded action value, keeping the file's schema and metadata."""
    path = dataset / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    rows = np.flatnonzero(
        (table.column("episode_index").to_numpy() == episode)
        & (table.column("frame_index").to_numpy() == frame)
    )
    assert rows.size == 1
    kind = table.schema.field("action").type
    flat = table.column("action").combine_chunks().flatten().to_numpy().copy()
    flat[rows[0] * 8 + joint] += delta
    column = pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), 8).cast(kind)
    index = table.schema.get_field_index("action")
    pq.write_table(table.set_column(index, table.schema.field("action"), column), path)


def test_every_kept_episode_replays_within_the_tolerance(scene, capsys):
    """The command prints per episode its errors; same machine and versions reproduce exactly."""
    scene_dir, _ = scene
    results = replay_episodes(scene_dir / LEROBOT_DIR)
    assert [r.episode_index for r in results] == [0, 1]
    for r in results:
        assert r.frames > 100
        assert r.state_error <= TOLERANCE and r.pose_error <= TOLERANCE
        assert r.final_qpos_error <= TOLERANCE
    assert main(["--dataset", str(scene_dir / LEROBOT_DIR), "--episodes", "1"]) == 0
    out = capsys.readouterr().out
    assert "episode 1:" in out and "episode 0:" not in out and "observation.state" in out


def test_an_altered_recorded_action_makes_its_episode_diverge(scene, tmp_path, capsys):
    """One arm target changed by 0.01 rad in episode 1: episode 1 diverges, episode 0 not."""
    scene_dir, _ = scene
    dataset = _copy_dataset(scene_dir, tmp_path)
    _alter_action(dataset, episode=1, frame=40, joint=1, delta=0.01)
    assert main(["--dataset", str(dataset), "--scene-dir", str(scene_dir)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("episode 0:") and lines[0].endswith("ok")
    assert lines[1].startswith("episode 1:") and lines[1].endswith("DIVERGED")
    diverged = replay_episodes(dataset, [1], scene_dir)[0]
    assert diverged.state_error > 1e-4


def test_a_different_scene_is_refused_in_one_line(scene, tmp_path, capsys):
    """Replaying against another scene.usda stops before simulating, with a one-line error."""
    scene_dir, _ = scene
    other = tmp_path / "other"
    shutil.copytree(scene_dir / "usd", other / "usd")
    shutil.copytree(scene_dir / "assets", other / "assets")
    with (other / SCENE_USD_PATH).open("a") as usd:
        usd.write("\n# edited\n")
    code = main(["--dataset", str(scene_dir / LEROBOT_DIR), "--scene-dir", str(other)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "is not the scene these episodes were recorded on" in err


def test_a_model_other_than_the_recorded_one_is_refused(scene, tmp_path, capsys):
    """A record whose model fingerprint does not match the rebuilt model stops the replay."""
    scene_dir, _ = scene
    dataset = _copy_dataset(scene_dir, tmp_path)
    path = dataset / "meta/episodes/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    records = [json.loads(v) for v in table.column("replay").to_pylist()]
    for record in records:
        record["model_fingerprint"] = "0" * 64
    column = pa.array([json.dumps(r) for r in records], table.schema.field("replay").type)
    index = table.schema.get_field_index("replay")
    pq.write_table(table.set_column(index, table.schema.field("replay"), column), path)
    assert main(["--dataset", str(dataset), "--scene-dir", str(scene_dir)]) == 2
    assert "differs from the recorded one" in capsys.readouterr().err


def test_validation_replays_a_sample_and_reports_the_figure(scene):
    """The step's validation check carries the largest errors reached over its sample."""
    scene_dir, settings = scene
    ctx = StepContext(scene_dir, settings, LocalStorage(scene_dir), None)  # type: ignore[arg-type]
    check = check_replay(ctx)
    assert check.name == "replay" and check.ok, check
    figures = check.figures
    assert [e["episode_index"] for e in figures["episodes"]] == [0, 1]
    assert figures["max_state_error"] <= TOLERANCE and figures["max_pose_error"] <= TOLERANCE
    assert listed(check)["max_state_error"] == figures["max_state_error"]  # also top level


def test_sample_spreads_over_the_dataset():
    """First, last and evenly spaced in between; never more than asked."""
    assert sample_indices(list(range(10)), 3) == [0, 4, 9]
    assert sample_indices([0, 1], 3) == [0, 1]
    assert sample_indices([], 3) == []


_BOX_ON_PLANE = """
<mujoco>
  <option timestep="0.002"/>
  <worldbody>
    <geom type="plane" size="1 1 .1"/>
    <body name="box" pos="0 0 .05"><freejoint/><geom type="box" size=".05 .05 .05"/></body>
    <body name="pusher" pos="-.2 0 .05">
      <joint name="slide" type="slide" axis="1 0 0"/><geom type="sphere" size=".03"/>
    </body>
  </worldbody>
  <actuator><position joint="slide" kp="50"/></actuator>
</mujoco>
"""


def _push(model, data, steps=400):
    data.ctrl[0] = 0.3
    for _ in range(steps):
        mujoco.mj_step(model, data)


def test_randomized_model_parameters_and_state_are_recorded_and_applied():
    """Changed mass and friction (and what mj_setConst derives) replay; omitting them does not."""
    model = mujoco.MjModel.from_xml_string(_BOX_ON_PLANE)
    data = mujoco.MjData(model)
    recorder = ReplayRecorder(model, data, None)
    box = model.body("box").id
    model.body_mass[box] *= 3.0
    model.geom_friction[model.body_geomadr[box], 0] = 0.2
    mujoco.mj_setConst(model, data)
    _push(model, data, 50)  # a moving start, not a rest state
    recorder.begin("box", "pusher", True)
    _push(model, data)
    recorder.finish()
    column = recorder.take()
    assert set(column) == {"replay"} and recorder.take() == {}
    decoded = json.loads(column["replay"])
    assert {"body_mass", "geom_friction", "body_subtreemass"} <= set(decoded["model_changes"])

    fresh = mujoco.MjModel.from_xml_string(_BOX_ON_PLANE)
    fresh_data = mujoco.MjData(fresh)
    nominal = {k: v.copy() for k, v in model_arrays(fresh).items()}
    apply_record(fresh, fresh_data, nominal, decoded)
    _push(fresh, fresh_data)
    assert np.array_equal(fresh_data.qpos, data.qpos)

    decoded["model_changes"] = {}
    apply_record(fresh, fresh_data, nominal, decoded)
    _push(fresh, fresh_data)
    assert np.abs(fresh_data.qpos - data.qpos).max() > 1e-6


def test_model_fingerprint_does_not_depend_on_the_scene_folder(tmp_path):
    """The same scene compiled from two folders (a local run and a Cloud Run task's staging
    folder) prints the same: the asset paths the model keeps are not part of the print."""
    from episode_generation_job.replay_record import model_fingerprint

    cube = "\n".join(
        [f"v {x} {y} {z}" for x in (0, 1) for y in (0, 1) for z in (0, 1)]
        + ["f 1 2 4", "f 1 4 3", "f 5 7 8", "f 5 8 6", "f 1 5 6", "f 1 6 2"]
        + ["f 3 4 8", "f 3 8 7", "f 1 3 7", "f 1 7 5", "f 2 6 8", "f 2 8 4"]
    )
    prints = []
    for folder in ("local/scene", "tmp/bp-episodes-x/staged"):
        meshes = [tmp_path / folder / f"assets/{name}.obj" for name in ("a", "b")]
        for mesh in meshes:  # two: the second one's offset into the paths moves with the folder
            mesh.parent.mkdir(parents=True, exist_ok=True)
            mesh.write_text(cube + "\n")
        assets = "".join(f'<mesh name="{m.stem}" file="{m}"/>' for m in meshes)
        geoms = "".join(f'<geom type="mesh" mesh="{m.stem}"/>' for m in meshes)
        xml = f"""<mujoco><asset>{assets}</asset>
            <worldbody><body><freejoint/>{geoms}</body></worldbody></mujoco>"""
        model = mujoco.MjModel.from_xml_string(xml)
        prints.append(model_fingerprint(model))
    assert prints[0] == prints[1]
