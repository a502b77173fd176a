"""The mock Genie Sim results archive: Genie Sim's layout, damage on request, same bytes."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import av
import h5py
import numpy as np

from fixtures.generate_mock_geniesim_output import DEFAULT_TASK as TASK
from fixtures.generate_mock_geniesim_output import generate_mock_geniesim_output, main
from genie_sim_import_job.videos import count_frames
from tools.archives import safe_extract_tar
from tools.geniesim_format import results as fmt
from tools.geniesim_format.writer_schema import FRAME_DATASETS, writer_schema_problems


def _decoded(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_same_arguments_give_the_same_archive(tmp_path: Path) -> None:
    """Two runs with the same arguments write the same members with the same bytes, except
    that libx264 does not always encode the same frames to the same bits (seen in a test
    process that had rendered with Mesa llvmpipe, even single-threaded): videos must decode
    to the same frames within the codec's loss."""
    a = generate_mock_geniesim_output(tmp_path / "a.tar.gz", episodes=2, seed=4)
    b = generate_mock_geniesim_output(tmp_path / "b.tar.gz", episodes=2, seed=4)
    safe_extract_tar(a, tmp_path / "a")
    safe_extract_tar(b, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    videos = [f for f in files if f.suffix == ".mp4"]
    assert len(videos) == 6
    for name in files:
        first, second = tmp_path / "a" / name, tmp_path / "b" / name
        if name in videos:
            frames, again = _decoded(first), _decoded(second)
            assert frames.shape == again.shape == (12, 48, 64, 3), name
            assert np.abs(frames.astype(int) - again).mean() < 4, name
        elif first.is_file():
            assert first.read_bytes() == second.read_bytes(), name


def test_episode_folders_follow_genie_sims_writer(tmp_path: Path) -> None:
    """Each episode has the writer's files, per-frame h5 groups and one video frame per group."""
    archive = generate_mock_geniesim_output(tmp_path / "r.tar.gz", episodes=1, frames=8)
    safe_extract_tar(archive, tmp_path / "out")
    episode = tmp_path / "out" / fmt.RECORDING_DIR / fmt.episode_dir_name(TASK, 0)
    for name in fmt.REQUIRED_FILES:
        assert (episode / name).is_file()
    with h5py.File(episode / fmt.ALIGNED_JOINTS) as h5:
        assert sorted(h5, key=int) == [str(i) for i in range(8)]
        assert h5["0/state/joint/position"].shape == (14,)
    assert count_frames(episode / fmt.VIDEOS_DIR / "head_color.mp4") == 8
    extrinsic = json.loads(
        (episode / fmt.SENSOR_DIR / "extrinsic_end_T_head_front_rgbd_aligned.json").read_text()
    )
    assert set(extrinsic[0]["extrinsic"]) == {"rotation_matrix", "translation_vector"}


def test_cli_writes_the_requested_damage(tmp_path: Path) -> None:
    """--failed-episode marks that episode's task_status false."""
    out = tmp_path / "cli.tar.gz"
    assert main(["--output", str(out), "--episodes", "2", "--failed-episode", "1"]) == 0
    with tarfile.open(out) as tar:
        member = tar.extractfile(
            f"{fmt.RECORDING_DIR}/{fmt.episode_dir_name(TASK, 1)}/task_result.json"
        )
        assert member is not None and json.load(member)[fmt.TASK_STATUS] is False
    assert main(["--output", str(out), "--episodes", "0"]) == 2


def test_mock_episodes_have_genie_sims_full_writer_schema(tmp_path: Path) -> None:
    """G2 (G2A) and G1 (A2D) mock episodes have every dataset, attribute, key and sensor file
    Genie Sim's SimDataConverter writes: 0 problems; the check itself finds a removed one."""
    for robot_type in ("G2A", "A2D"):
        archive = generate_mock_geniesim_output(
            tmp_path / f"{robot_type}.tar.gz", episodes=1, frames=4, robot_type=robot_type
        )
        safe_extract_tar(archive, tmp_path / robot_type)
        episode = tmp_path / robot_type / fmt.RECORDING_DIR / fmt.episode_dir_name(TASK, 0)
        assert writer_schema_problems(episode) == [], robot_type
        with h5py.File(episode / fmt.ALIGNED_JOINTS) as h5:
            assert len(FRAME_DATASETS) == 41 and all(k in h5["0"] for k in FRAME_DATASETS)
            waist = 5 if robot_type == "G2A" else 2
            assert h5["0/state/waist/position"].shape == (waist,)
        meta = json.loads((episode / fmt.META_INFO).read_text())
        assert meta["robot_type"] == robot_type
    with h5py.File(episode / fmt.ALIGNED_JOINTS, "a") as h5:
        del h5["0/state/end/arm_orientation"]
    (episode / fmt.SENSOR_DIR / "intrinsic_head_front_depth.json").write_text('{"Fx": 1}')
    problems = writer_schema_problems(episode)
    assert f"{fmt.ALIGNED_JOINTS}: frame 0 lacks state/end/arm_orientation" in problems
    assert "intrinsic_head_front_depth.json: SN missing" in problems
    (episode / fmt.ALIGNED_JOINTS).write_bytes(b"not hdf5")
    (episode / fmt.META_INFO).unlink()
    problems = writer_schema_problems(episode)
    assert f"{fmt.ALIGNED_JOINTS}: unreadable (OSError)" in problems
    assert f"{fmt.META_INFO}: missing or not JSON" in problems
