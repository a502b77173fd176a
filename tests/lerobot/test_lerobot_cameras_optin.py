"""Opt-in cross-check: a dataset with two MuJoCo cameras carrying RGB, depth and segmentation
goes through lerobot 0.4.4's own tools next to a lerobot-written dataset of the same features:
aggregated in both orders, split and pruned, every result loads with `LeRobotDataset`, its depth
is the renderer's within 1 mm and its ids are the ones we wrote (skipped without lerobot).

Run it where lerobot is installed (episode-generation-job/README.md, "lerobot cross-checks").
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

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.camera_recording import CameraRecorder
from episode_generation_job.cameras import CameraSpec
from episode_generation_job.dataset import open_part, write_episode
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from episode_generation_job.testing import write_tabletop_usd
from tools.lerobot import Provenance, validate_dataset
from tools.lerobot.format import DEFAULT_FEATURES
from tools.lerobot.tables import column_to_numpy
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim import OffscreenRenderer

ALL = ("rgb", "depth", "segmentation")
SIZE = 64  # lerobot re-encodes videos when it deletes episodes: its AV1 encoder needs >= 64
SPECS = (
    CameraSpec(name="scene", mount="scene", width=SIZE, height=SIZE, modalities=ALL),
    CameraSpec(name="wrist", mount="wrist", width=SIZE, height=SIZE, modalities=ALL),
)
LENGTHS = (4, 5, 6)  # episodes 0 and 1 written by us, episode 2 by lerobot
PROVENANCE = Provenance(source="blueprint-episodes", backend="mujoco", seed=111)


def _record(scene_dir: Path, index: int) -> tuple[EpisodeRecord, list[dict[str, Any]]]:
    """One episode of the arm drifting from its home pose, with the renderer's own depth at
    every frame (the truth the dataset must keep within 1 mm)."""
    backend = open_backend(
        "mujoco", scene_dir / SCENE_USD_PATH, load_manifest(scene_dir), CameraConfig(specs=SPECS)
    )
    recorder = CameraRecorder(backend)
    renderers = {s.name: OffscreenRenderer(backend.model, SIZE, SIZE) for s in SPECS}
    truth: list[dict[str, Any]] = []
    try:
        target = backend.arm_qpos() + 0.15 * (index + 1)
        for _ in range(LENGTHS[index]):
            recorder.capture()
            truth.append({})
            for spec in SPECS:
                camera = backend._camera_ids[spec.name]
                layers = renderers[spec.name].render_layers(backend.data, camera, depth=True)
                truth[-1][spec.name] = layers.depth_m
            for _ in range(5):
                backend.step(target.tolist(), backend.gripper_width())
    finally:
        for renderer in renderers.values():
            renderer.close()
        backend.close()
    state = np.full((LENGTHS[index], 8), index, np.float32)
    env = np.zeros((LENGTHS[index], 14), np.float32)
    record = EpisodeRecord(
        state, state, env, recorder.images(), Verdict(True, None), cameras=recorder.recording()
    )
    return record, truth


def _write_ours(root: Path, records: list[EpisodeRecord], first: int) -> Path:
    with open_part(
        root, PROVENANCE, [s.name for s in SPECS], "h264", recording=records[0].cameras
    ) as writer:
        for offset, record in enumerate(records):
            write_episode(writer, record, "hold still", {"episode_key": f"slot-{first + offset}"})
    return root


def _write_with_lerobot(root: Path, ours: Path, record: EpisodeRecord) -> Path:
    """`record` written by lerobot itself, with the features of our dataset; its numeric and
    layer columns come from our own writing of the same episode."""
    source = _write_ours(root.parent / "source", [record], 2)
    table = pq.read_table(source / "data/chunk-000/file-000.parquet")
    features = json.loads((ours / "meta/info.json").read_text())["features"]
    recorded = {  # lerobot compares shapes as tuples while recording
        name: {**spec, "shape": tuple(spec["shape"])}
        for name, spec in features.items()
        if name not in DEFAULT_FEATURES
    }
    numeric = [name for name in recorded if recorded[name]["dtype"] != "video"]
    columns = {name: column_to_numpy(table, name) for name in numeric}
    dataset = LeRobotDataset.create(
        "lerobot/theirs", 30, recorded, root=root, robot_type="franka_panda", vcodec="h264"
    )
    for t in range(len(record.state)):
        frame: dict[str, Any] = {name: values[t] for name, values in columns.items()}
        frame.update({f"observation.images.{c}": v[t] for c, v in record.images.items()})
        dataset.add_frame({**frame, "task": "hold still"})
    dataset.save_episode()
    dataset.finalize()
    return root


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("cameras")
    scene_dir = write_tabletop_usd(base / "tabletop")
    episodes = [_record(scene_dir, index) for index in range(len(LENGTHS))]
    records = [record for record, _ in episodes]
    ours = _write_ours(base / "ours", records[:2], 0)
    assert validate_dataset(ours) == []
    theirs = _write_with_lerobot(base / "theirs", ours, records[2])
    return {"ours": ours, "theirs": theirs, "episodes": episodes}


def _check(root: Path, episodes: list[tuple[EpisodeRecord, list[dict[str, Any]]]]) -> None:
    """`LeRobotDataset` loads `root`; per episode, its first and last frames carry the state,
    an image of the right shape, the renderer's depth within 1 mm and our segmentation ids."""
    dataset = LeRobotDataset("blueprint/check", root=root, video_backend="pyav")
    assert dataset.num_episodes == len(episodes)
    start = 0
    for record, truth in episodes:
        length = len(record.state)
        for frame in (0, length - 1):
            item = dataset[start + frame]
            state = np.asarray(item["observation.state"])
            np.testing.assert_array_equal(state, record.state[frame])
            for spec in SPECS:
                image = np.asarray(item[f"observation.images.{spec.name}"])
                expected_rgb = record.images[spec.name][frame].mean() / 255
                assert image.shape == (3, SIZE, SIZE)
                assert abs(float(image.mean()) - expected_rgb) < 0.03
                depth = np.asarray(item[f"observation.depth.{spec.name}"]).reshape(SIZE, SIZE)
                rendered = truth[frame][spec.name]
                hit = np.isfinite(rendered)
                assert hit.mean() > 0.2
                assert np.abs(depth[hit] / 1000.0 - rendered[hit]).max() <= 0.001
                ids = np.asarray(item[f"observation.segmentation.{spec.name}"])
                key = f"observation.segmentation.{spec.name}"
                assert np.array_equal(ids, record.cameras.columns[key][frame])
        start += length


@pytest.mark.parametrize("ours_first", [True, False])
def test_lerobot_tools_keep_two_rgbd_segmentation_cameras(
    recorded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ours_first: bool
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _check(recorded["ours"], recorded["episodes"][:2])
    _check(recorded["theirs"], recorded["episodes"][2:])
    roots = [recorded["ours"], recorded["theirs"]]
    episodes = list(recorded["episodes"])
    if not ours_first:
        roots, episodes = roots[::-1], [episodes[2], *episodes[:2]]
    merged = tmp_path / "merged"
    aggregate_datasets(["a", "b"], "blueprint/merged", roots=roots, aggr_root=merged)
    _check(merged, episodes)
    dataset = LeRobotDataset("blueprint/merged", root=merged, video_backend="pyav")
    parts = split_dataset(dataset, {"train": [0, 1], "val": [2]}, output_dir=tmp_path / "split")
    _check(parts["train"].root, episodes[:2])
    _check(parts["val"].root, episodes[2:])
    pruned = delete_episodes(dataset, [1], output_dir=tmp_path / "pruned")
    _check(pruned.root, [episodes[0], episodes[2]])
