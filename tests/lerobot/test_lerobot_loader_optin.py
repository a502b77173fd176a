"""Opt-in cross-check: lerobot's own LeRobotDataset loads what we write (skipped without it)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from tools.lerobot import merge_datasets


def _backend(name: str) -> str:
    if name == "torchcodec":
        try:  # importable but unusable without FFmpeg shared libraries on the system
            importlib.import_module("torchcodec.decoders")
        except Exception as exc:
            pytest.skip(f"torchcodec cannot load: {str(exc).splitlines()[0]}")
    return name


def _check_items(dataset, cases) -> None:
    assert dataset.num_episodes == 4 and len(dataset) == 96
    assert dataset.meta.total_tasks == 2 and dataset.fps == 30
    for index, episode_index, frame in ((0, 0, 0), (25, 1, 4), (60, 2, 5), (95, 3, 24)):
        item = dataset[index]
        episode = cases.episodes[episode_index]
        assert int(item["index"]) == index and int(item["episode_index"]) == episode_index
        assert int(item["frame_index"]) == frame
        assert item["task"] == episode.task
        np.testing.assert_allclose(
            np.asarray(item["observation.state"]), episode.frames["observation.state"][frame]
        )
        for camera in cases.cameras:
            image = np.asarray(item[camera])
            assert image.shape == (3, cases.size, cases.size)
            expected = episode.images[camera][frame, 0, 0, 0] / 255
            assert abs(float(image[0, 32, 32]) - expected) < 0.03, (camera, index)


@pytest.mark.parametrize("backend", ["pyav", "torchcodec"])
@pytest.mark.parametrize("codec", ["libsvtav1", "h264"])
def test_lerobot_loads_our_dataset(tmp_path, cases, monkeypatch, codec, backend):
    """LeRobotDataset reads frames, decodes video frames at their timestamps and maps tasks."""
    module = pytest.importorskip("lerobot.datasets.lerobot_dataset")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a missing file must fail, not download
    root = cases.write_dataset(tmp_path / "ds", cases.episodes, codec=codec)
    dataset = module.LeRobotDataset("blueprint/test", root=root, video_backend=_backend(backend))
    _check_items(dataset, cases)


def test_lerobot_loads_merged_multi_file_dataset(tmp_path, cases, monkeypatch):
    """A merge of shards into many small files and chunks loads with correct frames."""
    module = pytest.importorskip("lerobot.datasets.lerobot_dataset")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shards = [cases.write_dataset(tmp_path / f"s{i}", [e]) for i, e in enumerate(cases.episodes)]
    merged = tmp_path / "merged"
    merge_datasets(
        shards, merged, chunks_size=2, data_files_size_in_mb=0.001, video_files_size_in_mb=0.001
    )
    assert (merged / "data/chunk-001/file-001.parquet").is_file()
    _check_items(
        module.LeRobotDataset("blueprint/merged", root=merged, video_backend="pyav"), cases
    )
