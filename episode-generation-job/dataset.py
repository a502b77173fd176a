"""The episode dataset's layout on disk: features, shard/part directories, writing and merging."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from episode_generation_job.backends.base import CONTROL_HZ
from episode_generation_job.camera_recording import CameraRecording
from episode_generation_job.episode_layout import shard_dir
from episode_generation_job.rollout import (
    ENV_STATE_NAMES,
    STATE_NAMES,
    EpisodeRecord,
    state_names,
)
from episode_generation_job.run_fingerprint import RunFingerprint
from tools.lerobot import (
    FeatureSpec,
    LeRobotDatasetWriter,
    Provenance,
    merge_datasets,
    open_dataset,
    published_datasets,
)
from tools.robots import FRANKA_PANDA, RobotDescription
from tools.scene_layout import LEROBOT_DIR, SCENE_USD_PATH

EPISODE_KEY: Final = "episode_key"  # extra episode column: the slot the episode fills
FPS: Final = CONTROL_HZ
SOURCE: Final = "blueprint-episodes"
ACTION_NAMES: Final = (*(f"joint_{i}.target" for i in range(1, 8)), "gripper_width.target")
FEATURES: Final = {
    "observation.state": FeatureSpec(dtype="float32", shape=(8,), names=list(STATE_NAMES)),
    "action": FeatureSpec(dtype="float32", shape=(8,), names=list(ACTION_NAMES)),
    "observation.environment_state": FeatureSpec(
        dtype="float32", shape=(14,), names=list(ENV_STATE_NAMES)
    ),
}  # the Panda's; `features(robot)` for any arm


def features(robot: RobotDescription) -> dict[str, FeatureSpec]:
    """The data features of episodes recorded with `robot`: its joints plus the gripper."""
    if robot == FRANKA_PANDA:
        return dict(FEATURES)
    names = state_names(len(robot.arm_lower))
    actions = [f"{n}.target" for n in names]
    return {
        "observation.state": FeatureSpec(dtype="float32", shape=(len(names),), names=list(names)),
        "action": FeatureSpec(dtype="float32", shape=(len(names),), names=actions),
        "observation.environment_state": FEATURES["observation.environment_state"],
    }


def video_key(camera: str) -> str:
    """The dataset feature of a camera."""
    return f"observation.images.{camera}"


def published_keys(shard: Path, *, finish_interrupted: bool = True) -> dict[str, Path]:
    """Episode keys already published in a shard's parts (a crash loses none of these).

    Args:
        shard: the shard folder.
        finish_interrupted: publish first the parts a killed writer left complete in staging
            (False for a shard another running worker owns).

    Returns:
        episode key -> the part holding it.
    """
    keys: dict[str, Path] = {}
    for part in published_datasets(shard, finish_interrupted=finish_interrupted):
        contents = open_dataset(part)
        for row in contents.episodes:
            keys[str(contents.extra_metadata(row)[EPISODE_KEY])] = part
    return keys


def dataset_provenance(scene_dir: Path, run: RunFingerprint, seed: int) -> Provenance:
    """What meta/info.json records: the run's full provenance record (code, libraries, input
    hashes, output settings, backend, robot asset, data source, fingerprint)."""
    return Provenance(
        source=SOURCE,
        seed=seed,
        scene_sha256=run.input_sha256[SCENE_USD_PATH],
        **run.provenance(scene_dir),
    )


def open_part(
    root: Path,
    provenance: Provenance,
    cameras: Sequence[str],
    codec: str,
    robot: RobotDescription = FRANKA_PANDA,
    recording: CameraRecording | None = None,
) -> LeRobotDatasetWriter:
    """A writer for one part dataset.

    Args:
        root: the part folder (published on finalize).
        provenance: backend, seed, scene hash.
        cameras: camera names recorded (those with RGB become videos).
        codec: "libsvtav1" or "h264".
        robot: the arm recorded (robot_type, state and action features).
        recording: the first episode's camera extras (depth, segmentation and pose columns,
            calibration and id-map documents); every episode of the part has the same.

    Returns:
        The writer (use as a context manager).
    """
    extras = recording or CameraRecording(rgb=tuple(cameras))
    return LeRobotDatasetWriter(
        root,
        FPS,
        robot.robot_type,
        {**features(robot), **extras.features},
        [video_key(c) for c in cameras if c in extras.rgb],
        provenance,
        codec,
        documents=extras.documents,
    )


def write_episode(
    writer: LeRobotDatasetWriter, record: EpisodeRecord, instruction: str, extra: dict[str, Any]
) -> int:
    """Add one successful episode to a part.

    Args:
        writer: the open part.
        record: the episode.
        instruction: the task's natural-language instruction.
        extra: metadata columns (must include the episode key).

    Returns:
        The episode index within the part.
    """
    frames = {
        "observation.state": record.state,
        "action": record.action,
        "observation.environment_state": record.environment_state,
        **record.cameras.columns,
    }
    images = {video_key(name): frames_ for name, frames_ in record.images.items()}
    return writer.add_episode(instruction, frames, images, extra)


def merge_shards(
    scene_dir: Path, run: Path, count: int, provenance: Provenance
) -> tuple[Path, int]:
    """Merge every published part of every shard of a run into `episodes/lerobot/` (replacing it).

    Episodes are merged in slot order (their episode keys), so the dataset is the same
    whatever the number of shards, however they split the slots and whoever merges. The
    parts share the run's fingerprint (inputs and output settings); the dataset records the
    merging process's provenance (parts written before a kill may name another code state).

    Args:
        scene_dir: the scene folder.
        run: the run's folder (`episode_layout.run_dir`).
        count: the number of shards.
        provenance: recorded in meta/info.json.

    Returns:
        (dataset root, number of episodes).

    Raises:
        FeatureError: no part was published (no successful episode at all).
    """
    parts = [
        part for index in range(count) for part in published_datasets(shard_dir(run, index, count))
    ]
    out = scene_dir / LEROBOT_DIR
    if out.exists():
        shutil.rmtree(out)
    info = merge_datasets(parts, out, order_by=EPISODE_KEY, provenance=provenance)
    return out, info.total_episodes
