"""Per-pixel layers (depth mm, segmentation ids) as lossless uint16 data columns, with their
id map as a meta document: written, read back exactly, validated and kept by a merge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from tools.lerobot import (
    FeatureError,
    LeRobotDatasetWriter,
    Provenance,
    merge_datasets,
    open_dataset,
    validate_dataset,
)
from tools.lerobot.tables import column_to_numpy

PROVENANCE = Provenance(source="mujoco", backend="mujoco", seed=3, scene_sha256="b" * 64)
H, W = 6, 8
DEPTH = "observation.depth.scene"
SEGMENTATION = "observation.segmentation.scene"
ID_MAP = {"0": "nothing", "1": "robot", "2": "mug_0"}
FEATURES: dict[str, Any] = {
    "observation.state": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
    DEPTH: {
        "dtype": "uint16",
        "shape": [H * W],
        "names": None,
        "info": {
            "layer.height": H,
            "layer.width": W,
            "layer.kind": "depth",
            "layer.is_depth_map": True,
            "layer.unit": "mm",
            "layer.zero": "no surface within range",
            "layer.camera": "scene",
        },
    },
    SEGMENTATION: {
        "dtype": "uint16",
        "shape": [H * W],
        "names": None,
        "info": {
            "layer.height": H,
            "layer.width": W,
            "layer.kind": "segmentation",
            "layer.is_depth_map": False,
            "layer.zero": "no surface",
            "layer.id_map": "meta/segmentation.json",
            "layer.camera": "scene",
        },
    },
}


def _frames(index: int, length: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(index)
    return {
        "observation.state": rng.normal(size=(length, 2)).astype(np.float32),
        DEPTH: rng.integers(0, 65535, size=(length, H * W), dtype=np.uint16),
        SEGMENTATION: rng.integers(0, 3, size=(length, H * W), dtype=np.uint16),
    }


def _write(root: Path, episodes: list[int], documents: Any = None) -> Path:
    with LeRobotDatasetWriter(
        root,
        30,
        "franka_panda",
        FEATURES,
        [],
        PROVENANCE,
        documents={"segmentation": ID_MAP} if documents is None else documents,
    ) as writer:
        for index in episodes:
            writer.add_episode("pick", _frames(index, 5 + index), {}, {"episode_key": index})
    return root


def test_layers_round_trip_exactly_and_validate(tmp_path):
    """uint16 values come back bit for bit, typed for datasets; the id map is written."""
    root = _write(tmp_path / "ds", [0, 1])
    assert validate_dataset(root) == []
    contents = open_dataset(root)
    assert contents.documents == {"segmentation": ID_MAP}
    assert contents.info.layer_keys == [DEPTH, SEGMENTATION]
    table = pq.read_table(root / "data/chunk-000/file-000.parquet")
    for name in (DEPTH, SEGMENTATION):
        expected = np.concatenate([_frames(0, 5)[name], _frames(1, 6)[name]])
        assert np.array_equal(column_to_numpy(table, name), expected)
    hf = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf[DEPTH] == {"feature": {"dtype": "uint16", "_type": "Value"}, "length": H * W,
                         "_type": "List"}  # fmt: skip
    codecs = pq.ParquetFile(root / "data/chunk-000/file-000.parquet").metadata.row_group(0)
    assert {codecs.column(i).compression for i in range(codecs.num_columns)} == {"SNAPPY", "ZSTD"}
    stats = json.loads((root / "meta/stats.json").read_text())
    assert stats[SEGMENTATION]["max"] == [2] * (H * W)  # lerobot's shape: one per pixel


def test_merge_keeps_layers_and_documents(tmp_path):
    parts = [_write(tmp_path / "p0", [0]), _write(tmp_path / "p1", [1])]
    merged = tmp_path / "merged"
    merge_datasets(parts, merged)
    assert validate_dataset(merged) == []
    assert open_dataset(merged).documents == {"segmentation": ID_MAP}
    table = pq.read_table(merged / "data/chunk-000/file-000.parquet")
    assert np.array_equal(column_to_numpy(table, DEPTH)[5:], _frames(1, 6)[DEPTH])


def test_merge_refuses_parts_with_other_id_maps(tmp_path):
    first = _write(tmp_path / "p0", [0])
    other = _write(tmp_path / "p1", [1], {"segmentation": {**ID_MAP, "3": "bowl"}})
    with pytest.raises(FeatureError, match="documents"):
        merge_datasets([first, other], tmp_path / "merged")


def test_validator_names_ids_missing_from_the_map(tmp_path):
    root = _write(tmp_path / "ds", [0])
    (root / "meta/segmentation.json").write_text(json.dumps({"0": "nothing", "1": "robot"}))
    problems = validate_dataset(root)
    assert any("observation.segmentation.scene has ids [2]" in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shape": [H]}, r"shape \(height \* width,\)"),
        ({"info": {**FEATURES[DEPTH]["info"], "layer.unit": None}}, "depth map in mm"),
        ({"info": {**FEATURES[DEPTH]["info"], "layer.id_map": "meta/x.json"}}, "id map"),
    ],
)
def test_bad_layer_declarations_name_the_feature(tmp_path, change, message):
    features = {**FEATURES, DEPTH: {**FEATURES[DEPTH], **change}}
    with pytest.raises(FeatureError, match=message) as caught:
        LeRobotDatasetWriter(tmp_path / "ds", 30, None, features, [], PROVENANCE)
    assert f"features.{DEPTH}" in str(caught.value)


def test_bad_document_names_are_refused(tmp_path):
    with pytest.raises(FeatureError, match=r"documents\.info"):
        _write(tmp_path / "ds", [0], {"info": {}})


def test_card_documents_the_layers(tmp_path):
    card = (_write(tmp_path / "ds", [0]) / "README.md").read_text()
    assert f"- `{DEPTH}`: depth of camera `scene` ({H} x {W}, mm)" in card
    assert "`meta/segmentation.json`" in card and "millimetres" in card


def test_validator_names_a_missing_id_map(tmp_path):
    root = _write(tmp_path / "ds", [0])
    (root / "meta/segmentation.json").unlink()
    problems = validate_dataset(root)
    assert any("id map meta/segmentation.json is missing" in p for p in problems), problems
