"""Each episode check of the import names its problem; tolerated variants are read."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest

from fixtures.mock_geniesim_episode import EpisodeSpec, write_episode
from genie_sim_import_job.episode_reader import EpisodeRejected, read_episode
from tools.geniesim_format import results as fmt

SPEC = EpisodeSpec("t", 0, "put the cup on the plate", 6, 30, ("head",), (32, 24))


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    return write_episode(tmp_path / fmt.RECORDING_DIR, SPEC, seed=1)


def _reasons(folder: Path) -> list[str]:
    with pytest.raises(EpisodeRejected) as info:
        read_episode(folder)
    return info.value.reasons


def test_good_episode_reads_with_names_and_extrinsics(episode: Path) -> None:
    """A writer-shaped episode reads: 24 state values, per-frame extrinsics, the task text."""
    read = read_episode(episode)
    assert read.length == 6 and read.state.shape == (6, 24) and read.task == SPEC.instruction
    assert read.extrinsics["head"].shape == (6, 12) and read.layout.robot_type == "G2A"


def test_converter_style_extrinsic_single_entry_is_accepted(episode: Path) -> None:
    """One {rotation, translation} entry (the converter's form) stands for every frame."""
    path = episode / fmt.SENSOR_DIR / "extrinsic_end_T_head_front_rgbd_aligned.json"
    entry = {"rotation": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "translation": [0, 0, 1]}
    path.write_text(json.dumps(entry))
    assert read_episode(episode).extrinsics["head"].shape == (6, 12)


def test_missing_files_are_listed(episode: Path) -> None:
    """Missing required files and videos are all reported."""
    (episode / fmt.META_INFO).unlink()
    (episode / fmt.VIDEOS_DIR / "head_color.mp4").unlink()
    reasons = _reasons(episode)
    assert f"{fmt.META_INFO} missing" in reasons and any("no observations" in r for r in reasons)


def test_timestamps_must_increase_and_videos_match_frames(episode: Path) -> None:
    """A repeated timestamp and an extra h5 frame are both reported."""
    with h5py.File(episode / fmt.ALIGNED_JOINTS, "r+") as h5:
        stamp = h5["1"][fmt.MAIN_TIMESTAMP][()]
        h5["2"][fmt.MAIN_TIMESTAMP][()] = stamp
        h5.copy("5", "6")
    reasons = _reasons(episode)
    assert any("not strictly increasing" in r for r in reasons)
    assert any("6 frames, aligned_joints.h5 has 7" in r for r in reasons)


def test_malformed_json_and_extrinsic_are_reported(episode: Path) -> None:
    """Unreadable JSON and a non-rotation extrinsic are named."""
    (episode / fmt.DATA_INFO).write_text("{not json")
    path = episode / fmt.SENSOR_DIR / "extrinsic_end_T_head_front_rgbd_aligned.json"
    path.write_text(
        json.dumps([{"rotation": [[2, 0, 0], [0, 1, 0], [0, 0, 1]], "translation": [0, 0, 0]}])
    )
    reasons = _reasons(episode)
    assert any(r.startswith(f"{fmt.DATA_INFO} unreadable") for r in reasons)
    assert any("not a rotation matrix" in r for r in reasons)
