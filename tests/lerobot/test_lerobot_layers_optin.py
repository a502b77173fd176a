"""Opt-in cross-check: lerobot 0.4.4 loads depth and segmentation layers exactly, and its
aggregate / split / delete tools keep them (skipped without lerobot; it pulls torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("lerobot.datasets.aggregate")

from lerobot.datasets.aggregate import aggregate_datasets
from lerobot.datasets.dataset_tools import delete_episodes, split_dataset
from lerobot.datasets.lerobot_dataset import LeRobotDataset

from tools.lerobot import LeRobotDatasetWriter, Provenance

SIZE = 64  # lerobot re-encodes videos when it deletes episodes: its AV1 encoder needs >= 64
DEPTH, SEGMENTATION = "observation.depth.scene", "observation.segmentation.scene"
CAMERA = "observation.images.scene"
SHAPE = {"shape": [SIZE * SIZE], "names": None}
LAYER = {"layer.height": SIZE, "layer.width": SIZE, "layer.zero": "none", "layer.camera": "scene"}
FEATURES: dict[str, Any] = {
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
    DEPTH: {"dtype": "uint16", **SHAPE, "info": {**LAYER, "layer.kind": "depth",
            "layer.is_depth_map": True, "layer.unit": "mm"}},
    SEGMENTATION: {"dtype": "uint16", **SHAPE, "info": {**LAYER, "layer.kind": "segmentation",
                   "layer.is_depth_map": False, "layer.id_map": "meta/segmentation.json"}},
}  # fmt: skip


def _episode(index: int, length: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(index)
    return {
        "observation.state": rng.normal(size=(length, 2)).astype(np.float32),
        DEPTH: rng.integers(0, 65535, size=(length, SIZE * SIZE), dtype=np.uint16),
        SEGMENTATION: rng.integers(0, 40, size=(length, SIZE * SIZE), dtype=np.uint16),
    }


def _write(root: Path, indices: list[int]) -> Path:
    provenance = Provenance(source="mujoco", backend="mujoco")
    documents = {"segmentation": {str(i): f"object_{i}" for i in range(40)}}
    with LeRobotDatasetWriter(
        root, 30, "franka_panda", FEATURES, [CAMERA], provenance, "h264", documents=documents
    ) as writer:
        for index in indices:
            video = np.full((6 + index, SIZE, SIZE, 3), 40 * index, dtype=np.uint8)
            writer.add_episode("hold", _episode(index, 6 + index), {CAMERA: video})
    return root


def _check(root: Path, indices: list[int]) -> None:
    dataset = LeRobotDataset("blueprint/layers", root=root, video_backend="pyav")
    start = 0
    for index in indices:
        expected = _episode(index, 6 + index)
        for frame in (0, 5 + index):
            item = dataset[start + frame]
            for name in (DEPTH, SEGMENTATION):
                assert np.array_equal(np.asarray(item[name]), expected[name][frame]), name
            assert tuple(item[CAMERA].shape) == (3, SIZE, SIZE)
        start += 6 + index


def test_lerobot_loads_layers_exactly_and_its_tools_keep_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    first, second = _write(tmp_path / "a", [0, 1]), _write(tmp_path / "b", [2])
    _check(first, [0, 1])
    merged = tmp_path / "merged"
    aggregate_datasets(["a", "b"], "blueprint/merged", roots=[first, second], aggr_root=merged)
    _check(merged, [0, 1, 2])
    dataset = LeRobotDataset("blueprint/merged", root=merged, video_backend="pyav")
    pruned = delete_episodes(dataset, [1], output_dir=tmp_path / "pruned")
    _check(pruned.root, [0, 2])
    parts = split_dataset(dataset, {"train": [0, 1], "val": [2]}, output_dir=tmp_path / "split")
    _check(parts["val"].root, [2])
