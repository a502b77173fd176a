"""The judged final state is in the dataset; validation re-judges it and catches disagreements."""

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from episode_generation_job.final_state import FINAL_STATE_COLUMN, SETTLE_FRAMES, rejudge
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.testing import write_tabletop_usd
from episode_generation_job.validation import check_episode, check_final_state, check_outcomes
from tools.config import load_settings
from tools.job_runner import execute_step
from tools.lerobot import open_dataset, validate_dataset
from tools.scene_layout import LEROBOT_DIR

EPISODES_TABLE = "meta/episodes/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A tabletop dataset of three episodes, no cameras."""
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("final_state") / "tabletop")
    env = {
        "SCENE_ID": "tabletop",
        "SCENE_DIR": str(scene_dir),
        "NUM_EPISODES": "3",
        "CAMERAS": "",
        "SEED": "5",
        "RANDOMIZATION": "none",
    }
    execute_step(STEP, load_settings(EpisodeSettings, env))
    return scene_dir / LEROBOT_DIR


def _rows(root):
    contents = open_dataset(root)
    return [
        (row, table, contents.extra_metadata(row)) for row, table in contents.iter_episode_tables()
    ]


def test_every_episode_records_its_final_state_and_rejudges_as_kept(dataset):
    """Each row holds the record; the step's judge on it alone says success, same checks."""
    assert validate_dataset(dataset) == []
    rows = _rows(dataset)
    assert len(rows) == 3
    for _, table, extra in rows:
        record = json.loads(extra[FINAL_STATE_COLUMN])
        assert record["target_id"] == extra["target_id"] and record["goal_id"] == extra["goal_id"]
        assert len(record["target_speeds"]["linear"]) == 15  # half a second at 30 fps
        assert record["target_contacts"].get(record["goal_id"], 0.0) > 0.0
        verdict = rejudge(extra[FINAL_STATE_COLUMN])
        assert verdict.success
        assert verdict.checks["tilt_deg"] == extra["checks/tilt_deg"]
        env = np.array(table.column("observation.environment_state").to_pylist())
        assert check_final_state(env, extra) == []
        # the settle period is recorded: the last second holds one command
        actions = np.array(table.column("action").to_pylist())
        assert np.all(actions[-SETTLE_FRAMES:] == actions[-1])
    assert check_outcomes(dataset) == (3, [])


def _tamper(root, change):
    """Rewrite episode 0's final_state record in the episodes table."""
    path = root / EPISODES_TABLE
    table = pq.read_table(path)
    column = table.column(FINAL_STATE_COLUMN).to_pylist()
    record = json.loads(column[0])
    change(record)
    column[0] = json.dumps(record)
    index = table.schema.get_field_index(FINAL_STATE_COLUMN)
    table = table.set_column(index, FINAL_STATE_COLUMN, pa.array(column, pa.string()))
    pq.write_table(table, path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["target_speeds"]["linear"].__setitem__(-1, 0.029), "failed (not_at_rest)"),
        (lambda r: r.__setitem__("target_contacts", {}), "failed (not_supported_by_goal)"),
        (lambda r: r["end"][r["target_id"]].__setitem__(0, 9.0), "failed"),
        (lambda r: r.__setitem__("format", 99), "unknown final_state format"),
    ],
)
def test_validation_fails_when_the_record_disagrees(dataset, tmp_path, change, expected):
    """A record that no longer judges as the kept success is reported by the validation."""
    copy = tmp_path / "lerobot"
    shutil.copytree(dataset, copy)
    _tamper(copy, change)
    count, problems = check_outcomes(copy)
    assert count == 3
    assert any(p.startswith("episode 0:") and expected in p for p in problems), problems
    assert not any(p.startswith("episode 1:") for p in problems)


def test_a_record_from_another_episode_is_caught(dataset):
    """The record's end pose must be where the episode's last frame leaves the target."""
    (_, _, first), (_, table, second) = _rows(dataset)[:2]
    env = np.array(table.column("observation.environment_state").to_pylist())
    swapped = dict(second, **{FINAL_STATE_COLUMN: first[FINAL_STATE_COLUMN]})
    problems = check_final_state(env, swapped)
    assert any("from the last recorded frame" in p for p in problems), problems


def test_frame_check_knows_containers():
    """From the frames: a cup resting inside a bowl passes, one standing on its rim does not."""
    extra = {
        "goal_region/centre": [0.5, 0.0],
        "goal_region/half_extents": [0.05, 0.05],
        "goal_region/yaw": 0.0,
        "goal_region/surface_z": 0.81,  # the rim
        "goal_region/relation": "in",
        "goal_region/bottom_z": 0.75,
        "target_bottom_offset": 0.045,
    }
    env = np.zeros((30, 14))
    env[:, :2] = [0.5, 0.0]
    env[:, 2] = 0.80
    env[10:20, 2] = 0.95  # carried
    env[-10:, 2] = 0.758 + 0.045  # bottom on the bowl's inner floor, 5 cm below the rim
    assert check_episode(env, extra) == []
    env[-10:, 2] = 0.83 + 0.045  # standing on the rim
    assert any("not inside the container" in p for p in check_episode(env, extra))
