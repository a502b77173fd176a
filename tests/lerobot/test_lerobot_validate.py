"""Contracts of validate_dataset: each kind of damage is reported, a valid tree gives []."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tools.lerobot import InvalidDatasetError, require_valid, validate_dataset

DATA = "data/chunk-000/file-000.parquet"


def test_valid_dataset_has_no_problems(written):
    """The session dataset is valid (decoding or reading packet times) and require_valid agrees."""
    assert validate_dataset(written) == []
    assert validate_dataset(written, decode_videos=False) == []
    require_valid(written)


def test_deleted_video_is_reported(dataset_copy):
    """A missing camera file is named."""
    (dataset_copy / "videos/observation.images.wrist/chunk-000/file-000.mp4").unlink()
    problems = validate_dataset(dataset_copy)
    assert any("observation.images.wrist" in p and "missing" in p for p in problems)
    with pytest.raises(InvalidDatasetError):
        require_valid(dataset_copy)


def test_wrong_row_count_is_reported(dataset_copy):
    """Dropping a frame from the data file breaks counts and row groups."""
    table = pq.read_table(dataset_copy / DATA)
    pq.write_table(table.slice(0, table.num_rows - 1), dataset_copy / DATA)
    problems = validate_dataset(dataset_copy)
    assert any("total_frames" in p for p in problems)
    assert any("row groups" in p for p in problems)


def test_broken_index_is_reported(dataset_copy):
    """A gap in the global index column is caught per episode."""
    table = pq.read_table(dataset_copy / DATA)
    position = table.schema.get_field_index("index")
    shifted = pc.add(table.column("index"), pa.scalar(1, pa.int64()))
    _write_per_episode(table.set_column(position, "index", shifted), dataset_copy / DATA)
    problems = validate_dataset(dataset_copy)
    assert problems and all("wrong index" in p for p in problems)


def test_wrong_task_index_is_reported(dataset_copy):
    """Frames whose task_index is not their episode's task are caught."""
    table = pq.read_table(dataset_copy / DATA)
    position = table.schema.get_field_index("task_index")
    flipped = pc.subtract(pa.scalar(1, pa.int64()), table.column("task_index"))
    _write_per_episode(table.set_column(position, "task_index", flipped), dataset_copy / DATA)
    problems = validate_dataset(dataset_copy)
    assert len(problems) == 4 and all("task_index" in p for p in problems)


def test_bad_timestamps_are_reported(dataset_copy):
    """Timestamps that are not frame_index / fps are caught."""
    table = pq.read_table(dataset_copy / DATA)
    position = table.schema.get_field_index("timestamp")
    doubled = pc.multiply(table.column("timestamp"), pa.scalar(2.0, pa.float32()))
    _write_per_episode(table.set_column(position, "timestamp", doubled), dataset_copy / DATA)
    assert any("timestamp" in p for p in validate_dataset(dataset_copy))


def test_stray_data_file_is_reported(dataset_copy):
    """A data file no episode references would be loaded by lerobot's glob: reported."""
    (dataset_copy / "data/chunk-000/file-007.parquet").write_bytes(
        (dataset_copy / DATA).read_bytes()
    )
    assert any("file-007" in p and "not referenced" in p for p in validate_dataset(dataset_copy))


def test_tasks_without_index_are_reported(dataset_copy):
    """A tasks parquet without the pandas task index is unreadable metadata."""
    pq.write_table(pa.table({"task_index": [0, 1]}), dataset_copy / "meta/tasks.parquet")
    problems = validate_dataset(dataset_copy)
    assert len(problems) == 1 and "task" in problems[0]


def test_bad_info_and_missing_stats_are_reported(dataset_copy):
    """Wrong info.json totals and a feature missing from stats.json are both reported."""
    info = json.loads((dataset_copy / "meta/info.json").read_text())
    stats = json.loads((dataset_copy / "meta/stats.json").read_text())
    del stats["action"]
    (dataset_copy / "meta/stats.json").write_text(json.dumps(stats))
    assert validate_dataset(dataset_copy) == ["meta/stats.json: no stats for action"]
    info["total_episodes"] = 5
    (dataset_copy / "meta/info.json").write_text(json.dumps(info))
    assert any("splits" in p for p in validate_dataset(dataset_copy))
    (dataset_copy / "meta/info.json").unlink()
    assert any("info.json" in p for p in validate_dataset(dataset_copy))


def test_video_timestamps_off_by_a_frame_are_reported(dataset_copy):
    """Episode video from/to timestamps that do not match the frames are caught."""
    path = next((dataset_copy / "meta/episodes").glob("*/*.parquet"))
    table = pq.read_table(path)
    column = "videos/observation.images.top/from_timestamp"
    position = table.schema.get_field_index(column)
    moved = pc.add(table.column(column), pa.scalar(1 / 30))
    pq.write_table(table.set_column(position, column, moved), path)
    assert any("observation.images.top" in p for p in validate_dataset(dataset_copy))
    fast = validate_dataset(dataset_copy, decode_videos=False)
    assert any("observation.images.top" in p for p in fast)


def _write_per_episode(table: pa.Table, path) -> None:
    lengths = [21, 34, 16, 25]
    with pq.ParquetWriter(path, table.schema) as writer:
        start = 0
        for length in lengths:
            writer.write_table(table.slice(start, length))
            start += length


def test_data_file_without_huggingface_metadata_is_reported(dataset_copy):
    """A data file whose schema lost the `huggingface` Features metadata is named."""
    table = pq.read_table(dataset_copy / DATA)
    _write_per_episode(table.replace_schema_metadata(None), dataset_copy / DATA)
    problems = validate_dataset(dataset_copy)
    assert problems == [f"{DATA}: huggingface schema metadata missing or not the features'"]
