"""Fixtures for the LeRobot writer tests: small deterministic episodes and a written dataset."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools.lerobot import LeRobotDatasetWriter, Provenance

FPS = 30
SIZE = 64
CAMERAS = ["observation.images.top", "observation.images.wrist"]
FEATURES: dict[str, Any] = {
    "observation.state": {"dtype": "float32", "shape": [3], "names": ["x", "y", "z"]},
    "action": {"dtype": "float32", "shape": [2], "names": None},
    "observation.gripper": {"dtype": "float64", "shape": [1], "names": ["width"]},
}
PROVENANCE = Provenance(source="mujoco", backend="mujoco", seed=11, scene_sha256="a" * 64)


@dataclass(frozen=True)
class Episode:
    """One synthetic episode: numeric frames, camera frames, task and extra metadata."""

    task: str
    frames: dict[str, np.ndarray]
    images: dict[str, np.ndarray]
    extra: dict[str, Any]


def make_episode(index: int, length: int, task: str = "pick the red cube") -> Episode:
    """Deterministic episode: ramps for vectors, one flat colour per camera frame."""
    t = np.arange(length, dtype=np.float64)
    frames = {
        "observation.state": np.stack([t, 2 * t + index, np.full(length, index)], axis=1),
        "action": np.stack([np.sin(t + index), np.cos(t)], axis=1).astype(np.float32),
        "observation.gripper": (t / 10.0)[:, None],
    }
    images = {}
    for cam_number, cam in enumerate(CAMERAS):
        colours = (np.arange(length) * 8 + 40 * index + 100 * cam_number) % 256
        video = np.empty((length, SIZE, SIZE, 3), dtype=np.uint8)
        video[...] = colours[:, None, None, None].astype(np.uint8)
        images[cam] = video
    extra = {"episode_key": f"ep-{index}", "randomization": {"friction": 0.4 + index / 10}}
    return Episode(task, frames, images, extra)


EPISODES = [
    make_episode(0, 21),
    make_episode(1, 34, "place it in the bin"),
    make_episode(2, 16),
    make_episode(3, 25),
]


def write_dataset(
    root: Path, episodes: Sequence[Episode], codec: str = "h264", **kwargs: Any
) -> Path:
    """Write `episodes` with one writer and return `root`."""
    with LeRobotDatasetWriter(
        root, FPS, "franka_panda", FEATURES, CAMERAS, PROVENANCE, codec=codec, **kwargs
    ) as writer:
        for episode in episodes:
            writer.add_episode(episode.task, episode.frames, episode.images, episode.extra)
    return root


class Cases:
    """What the tests share (test modules cannot import each other in importlib mode)."""

    fps = FPS
    size = SIZE
    cameras = CAMERAS
    features = FEATURES
    provenance = PROVENANCE
    episodes = EPISODES
    make_episode = staticmethod(make_episode)
    write_dataset = staticmethod(write_dataset)


@pytest.fixture(scope="session")
def cases() -> Cases:
    """Shared constants and helpers of the LeRobot tests."""
    return Cases()


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset of EPISODES written once per session (copy it before changing it)."""
    return write_dataset(tmp_path_factory.mktemp("lerobot") / "dataset", EPISODES)


@pytest.fixture
def dataset_copy(written: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the session dataset, safe to damage."""
    copy = tmp_path / "dataset"
    shutil.copytree(written, copy)
    yield copy
