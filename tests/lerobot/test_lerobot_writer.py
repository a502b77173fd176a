"""Contracts of LeRobotDatasetWriter: the tree it publishes is exactly LeRobot v3.0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tools.lerobot import (
    DatasetStateError,
    FeatureError,
    LeRobotDatasetWriter,
    open_dataset,
    validate_dataset,
)
from tools.lerobot.staging import staging_dir


def _data(root: Path):
    return pq.read_table(root / "data/chunk-000/file-000.parquet")


def test_written_dataset_is_valid(written):
    """A freshly written dataset has no validation problems and the expected meta files."""
    assert validate_dataset(written) == []
    info = json.loads((written / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    assert info["total_episodes"] == 4 and info["total_frames"] == 21 + 34 + 16 + 25
    assert info["total_tasks"] == 2 and info["splits"] == {"train": "0:4"}
    assert info["chunks_size"] == 1000
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    video = info["features"]["observation.images.top"]
    assert video["dtype"] == "video" and video["shape"] == [64, 64, 3]
    assert video["info"]["video.pix_fmt"] == "yuv420p" and video["info"]["has_audio"] is False
    assert info["features"]["timestamp"] == {"dtype": "float32", "shape": [1], "names": None}
    assert info["provenance"]["source"] == "mujoco" and info["provenance"]["seed"] == 11


@pytest.mark.parametrize("codec", ["libsvtav1", "h264"])
def test_videos_decode_frame_exact(tmp_path, cases, codec):
    """Each camera file decodes to every episode's frames at from_timestamp + k / fps."""
    root = cases.write_dataset(tmp_path / "ds", cases.episodes[:3], codec=codec)
    assert validate_dataset(root) == []
    contents = open_dataset(root)
    for camera_number, camera in enumerate(cases.cameras):
        with av.open(str(root / f"videos/{camera}/chunk-000/file-000.mp4")) as container:
            frames = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
        assert len(frames) == sum(row["length"] for row in contents.episodes)
        for row, episode in zip(contents.episodes, cases.episodes, strict=False):
            start = row[f"videos/{camera}/from_timestamp"]
            mine = [
                f
                for f in frames
                if start - 1e-4 <= f[0] < row[f"videos/{camera}/to_timestamp"] - 1e-4
            ]
            assert len(mine) == row["length"]
            for k, (time, pixels) in enumerate(mine):
                assert abs(time - (start + k / cases.fps)) < 1e-4
                expected = int(episode.images[camera][k, 0, 0, 0])
                assert abs(int(pixels[32, 32, 0]) - expected) <= 6, (camera_number, k)


def test_tasks_parquet_is_indexed_by_task(written):
    """meta/tasks.parquet carries pandas metadata making the task string the index."""
    table = pq.read_table(written / "meta/tasks.parquet")
    assert table.schema.pandas_metadata["index_columns"] == ["__index_level_0__"]
    assert table.column("__index_level_0__").to_pylist() == [
        "pick the red cube",
        "place it in the bin",
    ]
    assert table.column("task_index").to_pylist() == [0, 1]
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(written / "meta/tasks.parquet")
    assert list(frame.index) == ["pick the red cube", "place it in the bin"]
    assert int(frame.loc["place it in the bin"].task_index) == 1
    assert frame.iloc[0].name == "pick the red cube"


def test_data_file_has_one_row_group_per_episode(written, cases):
    """The data parquet holds every episode, each in its own row group, with index columns."""
    parquet = pq.ParquetFile(written / "data/chunk-000/file-000.parquet")
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert sizes == [21, 34, 16, 25]
    table = parquet.read()
    assert table.column_names == [*cases.features, *_INDEX_COLUMNS]
    assert str(table.schema.field("timestamp").type) == "float"
    assert table.column("index").to_pylist() == list(range(96))
    episode_1 = table.slice(21, 34)
    assert set(episode_1.column("episode_index").to_pylist()) == {1}
    assert set(episode_1.column("task_index").to_pylist()) == {1}
    assert episode_1.column("frame_index").to_pylist() == list(range(34))
    np.testing.assert_array_equal(
        episode_1.column("timestamp").to_numpy(), (np.arange(34) / 30).astype(np.float32)
    )


_INDEX_COLUMNS = ["timestamp", "frame_index", "episode_index", "index", "task_index"]


def test_episode_rows_reference_data_videos_and_extra_metadata(written):
    """Episode rows carry indices, file references, timestamps, stats and extra columns."""
    rows = open_dataset(written).episodes
    assert [(r["dataset_from_index"], r["dataset_to_index"]) for r in rows] == [
        (0, 21),
        (21, 55),
        (55, 71),
        (71, 96),
    ]
    assert rows[1]["tasks"] == ["place it in the bin"]
    assert rows[2]["videos/observation.images.top/from_timestamp"] == pytest.approx(55 / 30)
    assert rows[2]["videos/observation.images.top/to_timestamp"] == pytest.approx(71 / 30)
    assert rows[3]["episode_key"] == "ep-3"
    assert rows[3]["randomization/friction"] == pytest.approx(0.7)
    assert rows[0]["meta/episodes/chunk_index"] == 0 and rows[0]["meta/episodes/file_index"] == 0
    assert rows[0]["stats/action/count"] == [21]


def test_stats_match_numpy_on_known_data(written, cases):
    """Per-episode stats are exact; dataset stats pool them (quantiles count-weighted)."""
    stats = json.loads((written / "meta/stats.json").read_text())
    rows = open_dataset(written).episodes
    states = [e.frames["observation.state"] for e in cases.episodes]
    every = np.concatenate(states)
    for name, expected in {
        "min": every.min(0),
        "max": every.max(0),
        "mean": every.mean(0),
        "std": every.std(0),
    }.items():
        np.testing.assert_allclose(stats["observation.state"][name], expected, rtol=1e-6)
    assert stats["observation.state"]["count"] == [96]
    np.testing.assert_allclose(
        rows[1]["stats/observation.state/q90"], np.quantile(states[1], 0.9, axis=0), rtol=1e-6
    )
    weights = np.array([21, 34, 16, 25]) / 96
    q10 = sum(w * np.quantile(s, 0.1, axis=0) for w, s in zip(weights, states, strict=True))
    np.testing.assert_allclose(stats["observation.state"]["q10"], q10, rtol=1e-6)
    pixels = np.concatenate([e.images["observation.images.top"][..., 0] for e in cases.episodes])
    top = stats["observation.images.top"]
    assert np.asarray(top["mean"]).shape == (3, 1, 1)
    assert top["mean"][0][0][0] == pytest.approx(pixels.mean() / 255)
    assert top["std"][0][0][0] == pytest.approx(pixels.std() / 255)
    assert top["max"][0][0][0] == pytest.approx(pixels.max() / 255)
    episode_pixels = cases.episodes[1].images["observation.images.top"][..., 0].ravel() / 255
    assert rows[1]["stats/observation.images.top/q50"][0][0][0] == pytest.approx(
        np.quantile(episode_pixels, 0.5)
    )
    assert stats["index"]["max"] == [95] and stats["timestamp"]["count"] == [96]


def test_finalize_twice_is_a_no_op(tmp_path, cases):
    """A second finalize returns the same info and touches nothing; add_episode then fails."""
    writer = LeRobotDatasetWriter(
        tmp_path / "ds", 30, "panda", cases.features, cases.cameras, cases.provenance, codec="h264"
    )
    episode = cases.episodes[0]
    writer.add_episode(episode.task, episode.frames, episode.images)
    first = writer.finalize()
    stamp = os.stat(tmp_path / "ds/meta/info.json").st_mtime_ns
    assert writer.finalize() is first
    assert os.stat(tmp_path / "ds/meta/info.json").st_mtime_ns == stamp
    with pytest.raises(DatasetStateError):
        writer.add_episode(episode.task, episode.frames, episode.images)
    writer.abort()
    assert validate_dataset(tmp_path / "ds") == []


def test_killed_writer_leaves_no_dataset(tmp_path):
    """SIGKILL before finalize leaves no info.json; the next writer cleans the staging tree."""
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from tools.lerobot import LeRobotDatasetWriter
        w = LeRobotDatasetWriter({str(tmp_path / "ds")!r}, 30, None,
            {{"a": {{"dtype": "float32", "shape": [2]}}}}, ["cam"],
            {{"source": "mujoco", "backend": "mujoco"}}, codec="h264")
        for _ in range(2):
            images = {{"cam": np.zeros((8, 16, 16, 3), np.uint8)}}
            w.add_episode("t", {{"a": np.zeros((8, 2))}}, images)
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert not (tmp_path / "ds").exists()
    assert staging_dir(tmp_path / "ds").exists()
    assert not (staging_dir(tmp_path / "ds") / "meta/info.json").exists()
    with LeRobotDatasetWriter(
        tmp_path / "ds",
        30,
        None,
        {"a": {"dtype": "float32", "shape": [2]}},
        [],
        {"source": "mujoco", "backend": "mujoco"},
    ) as writer:
        writer.add_episode("t", {"a": np.ones((5, 2))}, {})
    assert open_dataset(tmp_path / "ds").info.total_episodes == 1
    assert not staging_dir(tmp_path / "ds").exists()


def test_rejected_episode_changes_nothing(tmp_path, cases):
    """A bad episode raises FeatureError and the next good one gets the next index."""
    episodes = cases.episodes
    with LeRobotDatasetWriter(
        tmp_path / "ds", 30, "panda", cases.features, cases.cameras, cases.provenance, codec="h264"
    ) as writer:
        writer.add_episode(episodes[0].task, episodes[0].frames, episodes[0].images)
        short = dict(episodes[1].images)
        short["observation.images.wrist"] = iter(list(short["observation.images.wrist"])[:-1])
        with pytest.raises(FeatureError, match="frames"):
            writer.add_episode(episodes[1].task, episodes[1].frames, short)
        bad = dict(episodes[1].frames)
        bad["action"] = np.full_like(bad["action"], np.nan)
        with pytest.raises(FeatureError, match="NaN"):
            writer.add_episode(episodes[1].task, bad, episodes[1].images)
        with pytest.raises(FeatureError, match="computed by the writer"):
            writer.add_episode(
                "t", {**episodes[1].frames, "index": np.zeros(34)}, episodes[1].images
            )
        assert writer.add_episode(episodes[2].task, episodes[2].frames, episodes[2].images) == 1
    assert validate_dataset(tmp_path / "ds") == []
    assert open_dataset(tmp_path / "ds").tasks == ["pick the red cube"]


def test_exception_inside_context_publishes_nothing(tmp_path, cases):
    """Leaving the context manager with an exception aborts: no dataset, no staging."""
    with (
        pytest.raises(RuntimeError),
        LeRobotDatasetWriter(
            tmp_path / "ds",
            30,
            "panda",
            cases.features,
            cases.cameras,
            cases.provenance,
            codec="h264",
        ) as writer,
    ):
        episode = cases.episodes[0]
        writer.add_episode(episode.task, episode.frames, episode.images)
        raise RuntimeError("simulated job failure")
    assert not (tmp_path / "ds").exists() and not staging_dir(tmp_path / "ds").exists()


def test_existing_dataset_needs_append(written, cases):
    """Opening a published root without append=True is refused."""
    with pytest.raises(DatasetStateError):
        LeRobotDatasetWriter(
            written, 30, "franka_panda", cases.features, cases.cameras, cases.provenance
        )


def test_append_adds_episodes_in_new_files(dataset_copy, cases):
    """append=True keeps the old episodes, adds new ones in new files and stays valid."""
    extra = cases.make_episode(4, 12, "open the drawer")
    with LeRobotDatasetWriter(
        dataset_copy,
        30,
        "franka_panda",
        cases.features,
        cases.cameras,
        cases.provenance,
        codec="h264",
        append=True,
    ) as writer:
        assert writer.num_episodes == 4
        assert writer.add_episode(extra.task, extra.frames, extra.images, extra.extra) == 4
    assert validate_dataset(dataset_copy) == []
    contents = open_dataset(dataset_copy)
    assert contents.info.total_episodes == 5 and contents.info.total_frames == 108
    assert contents.tasks[-1] == "open the drawer"
    assert contents.episodes[4]["data/file_index"] == 1
    assert contents.episodes[4]["videos/observation.images.top/from_timestamp"] == 0.0
    with pytest.raises(FeatureError, match="fps"):
        LeRobotDatasetWriter(
            dataset_copy,
            15,
            "franka_panda",
            cases.features,
            cases.cameras,
            cases.provenance,
            codec="h264",
            append=True,
        )


def test_files_roll_over_at_size_limits(tmp_path, cases):
    """Tiny limits give one data and video file per episode, two files per chunk; valid."""
    root = cases.write_dataset(
        tmp_path / "ds",
        cases.episodes[:3],
        chunks_size=2,
        data_files_size_in_mb=0.001,
        video_files_size_in_mb=0.001,
    )
    assert validate_dataset(root) == []
    files = sorted(p.relative_to(root).as_posix() for p in (root / "data").rglob("*.parquet"))
    assert files == [
        "data/chunk-000/file-000.parquet",
        "data/chunk-000/file-001.parquet",
        "data/chunk-001/file-000.parquet",
    ]
    videos = sorted((root / "videos/observation.images.top").rglob("*.mp4"))
    assert [p.parent.name + "/" + p.name for p in videos][-1] == "chunk-001/file-000.mp4"
    rows = open_dataset(root).episodes
    assert rows[2]["data/chunk_index"] == 1 and rows[2]["data/file_index"] == 0
    assert rows[2]["videos/observation.images.top/from_timestamp"] == 0.0
    assert json.loads((root / "meta/info.json").read_text())["data_files_size_in_mb"] == 0.001


def test_data_files_carry_huggingface_features(written):
    """The data file's schema names each column's `datasets` type, as lerobot's files do."""
    metadata = pq.ParquetFile(written / "data/chunk-000/file-000.parquet").schema_arrow.metadata
    features = json.loads(metadata[b"huggingface"])["info"]["features"]
    assert features["observation.state"] == {
        "feature": {"dtype": "float32", "_type": "Value"},
        "length": 3,
        "_type": "List",
    }
    assert features["observation.gripper"] == {"dtype": "float64", "_type": "Value"}
    assert features["frame_index"] == {"dtype": "int64", "_type": "Value"}
    assert "observation.images.top" not in features  # videos live in the mp4 files


def test_int_features_keep_int_min_and_max(written):
    """Stats of int columns give min/max as ints (stats.json and the episode rows)."""
    stats = json.loads((written / "meta/stats.json").read_text())
    assert stats["frame_index"]["min"] == [0] and isinstance(stats["frame_index"]["max"][0], int)
    assert stats["index"]["max"] == [21 + 34 + 16 + 25 - 1]
    assert isinstance(stats["observation.gripper"]["max"][0], float)
    episodes = pq.read_table(written / "meta/episodes/chunk-000/file-000.parquet")
    assert episodes.schema.field("stats/episode_index/min").type == pa.list_(pa.int64())
    assert episodes.column("stats/episode_index/max").to_pylist() == [[0], [1], [2], [3]]


def test_dataset_card_documents_provenance_and_extra_columns(written):
    """README.md at the root carries lerobot's front matter, our extras and info.json."""
    card = (written / "README.md").read_text()
    assert card.startswith("---\ntags:\n- LeRobot\n")
    assert "data_files: data/*/*.parquet" in card
    assert "`episode_key` (str)" in card and "`randomization/friction` (number)" in card
    assert "`source`" in card and "`scene_sha256`" in card
    assert '"codebase_version": "v3.0"' in card
