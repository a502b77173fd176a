"""The Genie Sim import: results archive -> LeRobot v3.0, quarantine, report, markers."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from fixtures.generate_mock_geniesim_output import DEFAULT_TASK as TASK
from fixtures.generate_mock_geniesim_output import generate_mock_geniesim_output
from genie_sim_import_job.step import STEP
from tools.archives import safe_extract_tar
from tools.archives.testing import tar_from_tree
from tools.config import load_settings
from tools.errors import InputError, PartialFailureError
from tools.geniesim_format import results as fmt
from tools.job_runner import StepOutcome, execute_step
from tools.lerobot import validate_dataset
from tools.scene_layout import GENIESIM_IMPORT_DIR

FRAMES = 12


def _scene(tmp_path: Path, archive: Path | None, key: str = "geniesim/results.tar.gz") -> Path:
    scene = tmp_path / "scene_1"
    scene.mkdir()
    if archive is not None:
        (scene / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(archive, scene / key)
    return scene


def _run(scene: Path, **env: str) -> StepOutcome:
    settings = load_settings(
        STEP.settings_cls, {"SCENE_ID": scene.name, "SCENE_DIR": str(scene), **env}
    )
    return execute_step(STEP, settings)


def test_good_archive_becomes_a_consistent_lerobot_dataset(
    tmp_path: Path, good_archive: Path
) -> None:
    """Three episodes import; rows, frames, videos and metadata agree (validate_dataset: [])."""
    scene = _scene(tmp_path, good_archive)
    outcome = _run(scene)
    root = scene / GENIESIM_IMPORT_DIR / "lerobot"
    assert validate_dataset(root) == []
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["total_episodes"] == 3 and info["total_frames"] == 3 * FRAMES
    assert info["robot_type"] == "agibot_g2" and info["provenance"]["source"] == "geniesim"
    assert {"observation.images.head", "observation.camera_extrinsics.head"} <= set(
        info["features"]
    )
    assert info["features"]["observation.state"]["names"][0] == "idx21_arm_l_joint1"
    data = pq.read_table(root / "data" / "chunk-000" / "file-000.parquet")
    assert data.num_rows == 3 * FRAMES
    episodes = pq.read_table(root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    assert episodes.column("geniesim/episode").to_pylist() == [
        fmt.episode_dir_name(TASK, i) for i in range(3)
    ]
    assert episodes.column("tasks").to_pylist()[0] == ["put the cup on the plate"]
    assert outcome.result["quarantined"] == {} and outcome.result["success_rate"] == 1.0


def test_partial_archive_keeps_good_episodes_and_quarantines_bad(
    tmp_path: Path, partial_archive: Path
) -> None:
    """Corrupt, NaN and failed-task episodes are quarantined with reasons; the rest import."""
    scene = _scene(tmp_path, partial_archive)
    outcome = _run(scene, MIN_SUCCESS_RATE="0.5")
    imported = scene / GENIESIM_IMPORT_DIR
    assert validate_dataset(imported / "lerobot") == []
    assert sorted(outcome.result["imported"]) == [fmt.episode_dir_name(TASK, i) for i in (0, 1, 5)]
    reasons = {
        name: json.loads((imported / "quarantine" / name / "reason.json").read_text())["reasons"]
        for name in outcome.result["quarantined"]
    }
    assert "unreadable" in reasons[fmt.episode_dir_name(TASK, 2)][0]
    assert "NaN" in reasons[fmt.episode_dir_name(TASK, 3)][0]
    assert "task failed" in reasons[fmt.episode_dir_name(TASK, 4)][0]
    assert (imported / "quarantine" / fmt.episode_dir_name(TASK, 2) / "episode").is_dir()
    report = json.loads((imported / "import_report.json").read_text())
    assert report["success_rate"] == 0.5 and report["frames"] == 3 * FRAMES


def test_too_few_good_episodes_fail_after_keeping_them(
    tmp_path: Path, partial_archive: Path
) -> None:
    """Below MIN_SUCCESS_RATE the step fails (failure marker) but keeps good and quarantined."""
    scene = _scene(tmp_path, partial_archive)
    with pytest.raises(PartialFailureError):
        _run(scene, MIN_SUCCESS_RATE="0.9")
    assert list((scene / ".markers").glob("geniesim-import.failed-*.json"))
    assert validate_dataset(scene / GENIESIM_IMPORT_DIR / "lerobot") == []


def test_missing_archive_is_bad_input_with_a_clear_message(tmp_path: Path) -> None:
    """No archive: InputError (exit 2) naming the path, a failure marker, no output folder."""
    scene = _scene(tmp_path, None)
    with pytest.raises(InputError, match="no Genie Sim results archive") as info:
        _run(scene)
    assert info.value.exit_code == 2 and info.value.source == "geniesim/results.tar.gz"
    markers = list((scene / ".markers").glob("geniesim-import.failed-*.json"))
    assert markers and not (scene / GENIESIM_IMPORT_DIR).exists()


def test_archive_path_comes_from_configuration(tmp_path: Path, good_archive: Path) -> None:
    """GENIESIM_RESULTS names another scene-relative archive; absolute or '..' paths fail."""
    scene = _scene(tmp_path, good_archive, key="uploads/run-7.tar.gz")
    assert _run(scene, GENIESIM_RESULTS="uploads/run-7.tar.gz").status == "completed"
    for bad in ("/etc/passwd", "../outside.tar.gz"):
        with pytest.raises(Exception, match="GENIESIM_RESULTS"):
            _run(scene, GENIESIM_RESULTS=bad)


def test_rerun_replaces_the_previous_import(tmp_path: Path, good_archive: Path) -> None:
    """A forced rerun rebuilds geniesim/import/ instead of appending to it."""
    scene = _scene(tmp_path, good_archive)
    _run(scene)
    _run(scene, FORCE="true")
    info = json.loads((scene / GENIESIM_IMPORT_DIR / "lerobot" / "meta" / "info.json").read_text())
    assert info["total_episodes"] == 3


def _tree_digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_importing_the_same_archive_twice_writes_the_same_bytes(
    tmp_path: Path, good_archive: Path
) -> None:
    """Two imports of one archive give byte-identical datasets, mp4 files included."""
    trees = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        scene = _scene(tmp_path / run, good_archive)
        assert _run(scene).status == "completed"
        trees.append(_tree_digests(scene / GENIESIM_IMPORT_DIR / "lerobot"))
    assert any(name.endswith(".mp4") for name in trees[0])
    assert trees[0] == trees[1]


def test_episode_with_another_layout_is_quarantined(tmp_path: Path, good_archive: Path) -> None:
    """An episode recorded with fewer cameras than the others is quarantined, named as such."""
    unpacked = tmp_path / "unpacked"
    safe_extract_tar(good_archive, unpacked)
    odd = unpacked / "recording_data" / fmt.episode_dir_name(TASK, 1)
    (odd / "observations" / "videos" / "hand_left_color.mp4").unlink()
    archive = tar_from_tree(tmp_path / "mixed.tar.gz", unpacked, "tar.gz")
    scene = _scene(tmp_path, archive)
    outcome = _run(scene)
    assert list(outcome.result["quarantined"]) == [fmt.episode_dir_name(TASK, 1)]
    assert "layout differs" in outcome.result["quarantined"][fmt.episode_dir_name(TASK, 1)][0]


def test_g1_episodes_import_with_their_own_joints(tmp_path: Path) -> None:
    """A G1 (meta robot_type A2D) archive imports: robot_type agibot_g1, its 2 waist and 2 head
    joints by name, and gripper names carrying their units (state 0..120, action 0..1)."""
    archive = generate_mock_geniesim_output(
        tmp_path / "g1.tar.gz", episodes=2, frames=FRAMES, robot_type="A2D"
    )
    scene = _scene(tmp_path, archive)
    outcome = _run(scene)
    assert outcome.status == "completed"
    root = scene / GENIESIM_IMPORT_DIR / "lerobot"
    assert validate_dataset(root) == []
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["robot_type"] == "agibot_g1" and info["total_episodes"] == 2
    state = info["features"]["observation.state"]["names"]
    action = info["features"]["action"]["names"]
    assert state[14:16] == ["left_effector[0..120]", "right_effector[0..120]"]
    assert action[14:16] == ["left_effector[0..1]", "right_effector[0..1]"]
    waist_and_head = ["idx02_body_joint2", "idx01_body_joint1", "idx11_head_joint1"]
    assert state[16:] == [*waist_and_head, "idx12_head_joint2"]
    data = pq.read_table(root / "data" / "chunk-000" / "file-000.parquet")
    grips = np.array(data.column("observation.state").to_pylist())[:, 14]
    assert grips.max() <= 120.0 and grips.max() > 1.0
