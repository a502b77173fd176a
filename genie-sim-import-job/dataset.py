"""Checked Genie Sim episodes -> a LeRobot v3.0 dataset, with the episodes job's writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genie_sim_import_job.episode_reader import Episode, Layout
from genie_sim_import_job.videos import rgb_frames
from tools.geniesim_format import robot_for_meta_type
from tools.lerobot import FeatureSpec, LeRobotDatasetWriter, Provenance

PROVENANCE_SOURCE = "geniesim"
BACKEND = "isaacsim"  # Genie Sim records in Isaac Sim
END_POSE_NAMES = [f"{side}_{axis}" for side in ("left", "right") for axis in ("x", "y", "z")] + [
    f"{side}_q{i}" for side in ("left", "right") for i in range(4)
]
EXTRINSIC_NAMES = [f"r{i}{j}" for i in range(3) for j in range(3)] + ["tx", "ty", "tz"]


def video_key(camera: str) -> str:
    """LeRobot feature of a camera."""
    return f"observation.images.{camera}"


def extrinsic_key(camera: str) -> str:
    """LeRobot feature of a camera's pose in the robot base frame ([R | t] row-major)."""
    return f"observation.camera_extrinsics.{camera}"


def features(layout: Layout) -> dict[str, FeatureSpec]:
    """The numeric features of a layout.

    Args:
        layout: the episodes' shared layout.

    Returns:
        observation.state, action, the end-effector poses (if recorded) and each camera's
        extrinsics, float32.
    """
    out = {
        "observation.state": FeatureSpec(
            dtype="float32", shape=(len(layout.state_names),), names=list(layout.state_names)
        ),
        "action": FeatureSpec(
            dtype="float32", shape=(len(layout.action_names),), names=list(layout.action_names)
        ),
    }
    if layout.has_end_pose:
        out["observation.end_effector_pose"] = FeatureSpec(
            dtype="float32", shape=(len(END_POSE_NAMES),), names=END_POSE_NAMES
        )
    for camera in layout.cameras:
        out[extrinsic_key(camera)] = FeatureSpec(
            dtype="float32", shape=(len(EXTRINSIC_NAMES),), names=EXTRINSIC_NAMES
        )
    return out


def robot_type(layout: Layout) -> str | None:
    """LeRobot robot_type of the episodes (from meta_info.json's robot_type)."""
    if layout.robot_type is None:
        return None
    robot = robot_for_meta_type(layout.robot_type)
    return robot.lerobot_robot_type if robot is not None else layout.robot_type.lower()


def open_writer(
    root: Path, layout: Layout, codec: str, scene_sha256: str | None
) -> LeRobotDatasetWriter:
    """A writer for the imported dataset.

    Args:
        root: the dataset folder (published on finalize).
        layout: the episodes' shared layout.
        codec: "h264" or "libsvtav1".
        scene_sha256: sha256 of the scene's usd/scene.usda, if present.

    Returns:
        The writer (use as a context manager).
    """
    provenance = Provenance(source=PROVENANCE_SOURCE, backend=BACKEND, scene_sha256=scene_sha256)
    return LeRobotDatasetWriter(
        root,
        layout.fps,
        robot_type(layout),
        features(layout),
        [video_key(c) for c in layout.cameras],
        provenance,
        codec,
    )


def add_episode(writer: LeRobotDatasetWriter, episode: Episode) -> int:
    """Write one episode; returns its episode_index."""
    frames: dict[str, Any] = {"observation.state": episode.state, "action": episode.action}
    if episode.end_pose is not None:
        frames["observation.end_effector_pose"] = episode.end_pose
    for camera, matrix in episode.extrinsics.items():
        frames[extrinsic_key(camera)] = matrix
    images = {video_key(c): rgb_frames(p) for c, p in episode.videos.items()}
    extra = {"geniesim": {"episode": episode.name, **episode.metadata}}
    return writer.add_episode(episode.task, frames, images, extra)
