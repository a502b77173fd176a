"""Contracts of merge_datasets: shards merge into what one writer would have written."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tools.lerobot import (
    DatasetStateError,
    FeatureError,
    LeRobotDatasetWriter,
    Provenance,
    merge_datasets,
    open_dataset,
    published_datasets,
    validate_dataset,
)


def test_merging_three_shards_equals_one_writer(tmp_path, written, cases):
    """Data, episode rows, tasks and stats of the merge equal those of a single writer."""
    shards = tmp_path / "shards"
    episodes = cases.episodes
    for number, part in enumerate([episodes[:1], episodes[1:3], episodes[3:]]):
        cases.write_dataset(shards / f"part-{number:03d}", part)
    merged = tmp_path / "merged"
    info = merge_datasets(published_datasets(shards), merged)
    assert validate_dataset(merged) == []
    assert info == open_dataset(written).info
    for name in ("data/chunk-000/file-000.parquet", "meta/tasks.parquet"):
        assert pq.read_table(merged / name).equals(pq.read_table(written / name)), name
    assert open_dataset(merged).episodes == open_dataset(written).episodes
    stats = json.loads((merged / "meta/stats.json").read_text())
    assert stats == json.loads((written / "meta/stats.json").read_text())


def _tree_bytes(root, videos=True):
    return {
        p.relative_to(root).as_posix(): p.read_bytes() if videos or p.suffix != ".mp4" else None
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("codec", ["h264", "libsvtav1"])
def test_merge_in_key_order_equals_one_writer_byte_for_byte(tmp_path, cases, codec):
    """Shards holding interleaved episodes merge, by episode_key, into exactly the bytes one
    writer fed the episodes in key order produces: frames cut out of multi-episode files.
    (Video bytes are compared for SVT-AV1 only: libx264 does not always encode the same
    frames to the same bits on this host, so its two encodings of an episode may differ.)"""
    first, second, third, fourth = cases.episodes
    written = cases.write_dataset(tmp_path / "one", cases.episodes, codec)
    shards = [
        cases.write_dataset(tmp_path / "a", [second, fourth], codec),
        cases.write_dataset(tmp_path / "b", [third], codec),
        cases.write_dataset(tmp_path / "c", [first], codec),
    ]
    merged = tmp_path / "merged"
    merge_datasets(shards, merged, order_by="episode_key")
    assert validate_dataset(merged) == []
    videos = codec == "libsvtav1"
    assert _tree_bytes(merged, videos) == _tree_bytes(written, videos)


def test_merge_in_key_order_refuses_missing_or_repeated_keys(tmp_path, cases):
    """Every episode needs the column, and a key held twice is a duplicated episode."""
    first = cases.episodes[0]
    same = cases.write_dataset(tmp_path / "a", [first])
    again = cases.write_dataset(tmp_path / "b", [first])
    with pytest.raises(FeatureError, match="episode_key: 'ep-0' is in"):
        merge_datasets([same, again], tmp_path / "out", order_by="episode_key")
    assert not (tmp_path / "out").exists()
    with pytest.raises(FeatureError, match="no slot"):
        merge_datasets([same], tmp_path / "out", order_by="slot")


def test_merge_rebases_video_timestamps_across_files(tmp_path, cases):
    """Episodes from later shards start at the cumulative duration of the output file."""
    shards = [
        cases.write_dataset(tmp_path / f"s{i}", [episode])
        for i, episode in enumerate(cases.episodes[:3])
    ]
    merged = tmp_path / "merged"
    merge_datasets(shards, merged)
    rows = open_dataset(merged).episodes
    starts = [row["videos/observation.images.wrist/from_timestamp"] for row in rows]
    assert starts == pytest.approx([0.0, 21 / 30, 55 / 30])
    assert validate_dataset(merged) == []


def test_merge_rejects_incompatible_shards(tmp_path, cases):
    """Shards with different fps or provenance are refused (unless provenance is given)."""
    first = cases.write_dataset(tmp_path / "a", cases.episodes[:1])
    other = Provenance(source="mujoco", backend="mujoco", seed=12)
    with LeRobotDatasetWriter(
        tmp_path / "b", 30, "franka_panda", cases.features, cases.cameras, other, codec="h264"
    ) as writer:
        episode = cases.episodes[1]
        writer.add_episode(episode.task, episode.frames, episode.images)
    with pytest.raises(FeatureError, match="provenance"):
        merge_datasets([first, tmp_path / "b"], tmp_path / "out")
    merge_datasets([first, tmp_path / "b"], tmp_path / "out", provenance=other)
    assert open_dataset(tmp_path / "out").info.provenance.seed == 12
    with pytest.raises(DatasetStateError):
        merge_datasets([first], tmp_path / "out")
    slow = tmp_path / "slow"
    with LeRobotDatasetWriter(
        slow, 15, "franka_panda", cases.features, cases.cameras, cases.provenance, codec="h264"
    ) as writer:
        writer.add_episode(episode.task, episode.frames, episode.images)
    with pytest.raises(FeatureError, match="fps"):
        merge_datasets([first, slow], tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_merged_data_keeps_row_group_per_episode(tmp_path, cases):
    """The merged data file still has one row group per episode."""
    shards = [cases.write_dataset(tmp_path / f"s{i}", [e]) for i, e in enumerate(cases.episodes)]
    merge_datasets(shards, tmp_path / "merged")
    parquet = pq.ParquetFile(tmp_path / "merged/data/chunk-000/file-000.parquet")
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    assert sizes == [21, 34, 16, 25]
    table = parquet.read()
    assert table.column("episode_index").equals(
        pa.chunked_array([pa.array([i] * n) for i, n in enumerate(sizes)])
    )


def test_published_datasets_finishes_an_interrupted_publish(tmp_path, written):
    """A complete staging tree left by a kill between info.json and rename gets published."""
    parent = tmp_path / "shard"
    parent.mkdir()
    shutil.copytree(written, parent / ".part-000001.staging")
    shutil.copytree(written, parent / "part-000000")
    (parent / ".part-000002.staging" / "meta").mkdir(parents=True)  # incomplete: ignored
    assert published_datasets(parent) == [parent / "part-000000", parent / "part-000001"]
    assert (parent / ".part-000002.staging").exists()
