"""Opt-in cross-check: lerobot's own tools mix, split and prune our datasets (skipped without it).

Run it where lerobot 0.4.4 is installed (it pulls torch): our H.264 dataset is aggregated with
a lerobot-written one in both orders, then split and pruned with lerobot's dataset tools, and
every result is loaded by LeRobotDataset and checked frame by frame.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("lerobot.datasets.aggregate")

from lerobot.datasets.aggregate import aggregate_datasets
from lerobot.datasets.dataset_tools import delete_episodes, split_dataset
from lerobot.datasets.lerobot_dataset import LeRobotDataset

from tools.lerobot.format import DEFAULT_FEATURES

NUMERIC = ("observation.state", "action", "observation.gripper")


def _write_with_lerobot(root: Path, features: dict[str, Any], episodes: list[Any]) -> Path:
    """The same episodes recorded by lerobot itself (its H.264 encoder defaults)."""
    recorded = {  # lerobot compares shapes as tuples while recording
        name: {**spec, "shape": tuple(spec["shape"])}
        for name, spec in features.items()
        if name not in DEFAULT_FEATURES
    }
    dataset = LeRobotDataset.create(
        "lerobot/theirs", 30, recorded, root=root, robot_type="franka_panda", vcodec="h264"
    )
    for episode in episodes:
        for t in range(len(episode.frames["action"])):
            frame = {name: np.asarray(episode.frames[name][t], np.float32) for name in NUMERIC[:2]}
            frame["observation.gripper"] = np.asarray(episode.frames["observation.gripper"][t])
            frame.update({camera: video[t] for camera, video in episode.images.items()})
            dataset.add_frame({**frame, "task": episode.task})
        dataset.save_episode()
    dataset.finalize()
    return root


def _check(root: Path, episodes: list[Any], cameras: list[str]) -> None:
    """LeRobotDataset loads `root` and every episode's first and last frames match."""
    dataset = LeRobotDataset("blueprint/check", root=root, video_backend="pyav")
    assert dataset.num_episodes == len(episodes)
    assert len(dataset) == sum(len(e.frames["action"]) for e in episodes)
    start = 0
    for episode in episodes:
        length = len(episode.frames["action"])
        for frame in (0, length - 1):
            item = dataset[start + frame]
            assert item["task"] == episode.task
            np.testing.assert_allclose(
                np.asarray(item["action"]), episode.frames["action"][frame], rtol=1e-6
            )
            for camera in cameras:
                expected = episode.images[camera][frame, 0, 0, 0] / 255
                assert abs(float(np.asarray(item[camera])[0, 32, 32]) - expected) < 0.03
        start += length


@pytest.mark.parametrize("ours_first", [True, False])
def test_lerobot_aggregates_splits_and_deletes_with_our_dataset(
    tmp_path, cases, monkeypatch, ours_first
):
    """aggregate_datasets works either way round; split_dataset and delete_episodes after it."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ours_episodes, their_episodes = cases.episodes[:2], cases.episodes[2:]
    ours = cases.write_dataset(tmp_path / "ours", ours_episodes, codec="h264")
    features = json.loads((ours / "meta/info.json").read_text())["features"]
    theirs = _write_with_lerobot(tmp_path / "theirs", features, their_episodes)
    roots = [ours, theirs] if ours_first else [theirs, ours]
    merged_episodes = (
        ours_episodes + their_episodes if ours_first else their_episodes + ours_episodes
    )
    merged = tmp_path / "merged"
    aggregate_datasets(["a", "b"], "blueprint/merged", roots=roots, aggr_root=merged)
    _check(merged, merged_episodes, cases.cameras)

    # What the dataset card says lerobot's tools keep of our extras.
    assert "provenance" not in json.loads((merged / "meta/info.json").read_text())
    assert not (merged / "README.md").exists()
    keys = _episode_column(merged, "episode_key")
    assert sorted(k for k in keys if k is not None) == ["ep-0", "ep-1"] and keys.count(None) == 2

    dataset = LeRobotDataset("blueprint/merged", root=merged, video_backend="pyav")
    parts = split_dataset(dataset, {"train": [0, 1, 2], "val": [3]}, output_dir=tmp_path / "split")
    _check(parts["train"].root, merged_episodes[:3], cases.cameras)
    _check(parts["val"].root, merged_episodes[3:], cases.cameras)
    pruned = delete_episodes(dataset, [1], output_dir=tmp_path / "pruned")
    _check(pruned.root, [merged_episodes[0], *merged_episodes[2:]], cases.cameras)
    for root in (parts["train"].root, pruned.root):
        assert _episode_column(root, "episode_key") is None


def _episode_column(root: Path, name: str) -> list[Any] | None:
    """An episode column over every meta/episodes file (None: no file has it)."""
    files = sorted((root / "meta/episodes").glob("*/*.parquet"))
    tables = [pq.read_table(path) for path in files]
    if not any(name in table.column_names for table in tables):
        return None
    return [v for table in tables for v in table.column(name).to_pylist()]
