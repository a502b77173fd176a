"""Genie Sim's recorded episodes (`recording_data/<task>_<i>/`): file names, HDF5 keys, sensors."""

# Matched to the data-collection writer of AgibotTech/genie_sim v3.2.0 (commit 0e659ad):
# `server/recording/sim_data_converter.py` (aligned_joints.h5, meta_info.json, data_info.json,
# parameters/sensor/) and `server/recording/extract_ros_bag.py` (observations/videos/).


from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from tools.scene_layout import GENIESIM_RESULTS_PATH

DEFAULT_RESULTS_PATH: Final = GENIESIM_RESULTS_PATH  # scene-relative, see the import job
RECORDING_DIR: Final = "recording_data"
# Genie Sim names episode folders `[<task>_<i>]`, with a suffix after the bracket when a
# name repeats; the bare `<task>_<i>` form is accepted too.
EPISODE_DIR_PATTERN: Final = re.compile(
    r"^(?P<open>\[)?(?P<task>[A-Za-z0-9_.-]+?)_(?P<index>\d+)(?(open)\])"
    r"(?P<suffix>[A-Za-z0-9_.()-]*)$"
)


def episode_dir_name(task: str, index: int) -> str:
    """The folder Genie Sim's recorder names an episode: `[<task>_<index>]`."""
    return f"[{task}_{index}]"


ALIGNED_JOINTS: Final = "aligned_joints.h5"
META_INFO: Final = "meta_info.json"
DATA_INFO: Final = "data_info.json"
TASK_RESULT: Final = "task_result.json"
REQUIRED_FILES: Final = (ALIGNED_JOINTS, META_INFO, DATA_INFO, TASK_RESULT)
SENSOR_DIR: Final = "parameters/sensor"
VIDEOS_DIR: Final = "observations/videos"
COLOR_VIDEO_SUFFIX: Final = "_color.mp4"  # depth videos (`*_depth.mp4`, PNG codec) are not read

# aligned_joints.h5: one group per frame, named "0", "1", ...
MAIN_TIMESTAMP: Final = "main_timestamp"  # uint64 nanoseconds
STATE: Final = "state"
ACTION: Final = "action"
JOINT_POSITION: Final = "joint/position"  # the arms' joints (left 7, right 7 on G1/G2)
LEFT_EFFECTOR: Final = "left_effector/position"  # state: opening 0..120, action: 0..1
RIGHT_EFFECTOR: Final = "right_effector/position"
WAIST_POSITION: Final = "waist/position"
HEAD_POSITION: Final = "head/position"
END_POSITION: Final = "end/position"  # (2, 3): left and right end effector, robot frame
END_ORIENTATION: Final = "end/orientation"  # (2, 4) quaternions
# The writer records the gripper state as an opening of 0..120 and the action as 0..1 under
# the same names; the imported feature names carry the range.
EFFECTOR_RANGE: Final = {STATE: "0..120", ACTION: "0..1"}
NAMES_ATTR: Final = "name"  # joint names stored on the joint/waist/head groups

# task_result.json
TASK_STATUS: Final = "task_status"
TASK_FPS: Final = "fps"

# parameters/sensor/: the writer names camera files after the camera kind.
EXTRINSIC_TEMPLATE: Final = "extrinsic_end_T_{camera}_aligned.json"
INTRINSIC_TEMPLATE: Final = "intrinsic_{camera}.json"
_SENSOR_NAMES: Final = (
    ("head_stereo_right", "head_right_stereo"),
    ("head_stereo_left", "head_left_stereo"),
    ("hand_left", "hand_left_rgbd"),
    ("hand_right", "hand_right_rgbd"),
    ("head", "head_front_rgbd"),
)


def sensor_camera_name(video_camera: str) -> str:
    """The parameters/sensor/ name of a camera recorded as `<video_camera>_color.mp4`.

    Args:
        video_camera: e.g. "head", "hand_left".

    Returns:
        e.g. "head_front_rgbd", "hand_left_rgbd" (the name itself if no rule applies).
    """
    lowered = video_camera.lower()
    for key, name in _SENSOR_NAMES:
        if key in lowered:
            return name
    return video_camera


def parse_extrinsic(entry: Any) -> npt.NDArray[np.float64]:
    """One extrinsic entry as a 3x4 [R | t] matrix (camera pose in the robot base frame).

    Accepts the writer's `{"extrinsic": {"rotation_matrix", "translation_vector"}}` and the
    `{"rotation", "translation"}` form Genie Sim's LeRobot converter reads (bare or nested).

    Args:
        entry: one decoded JSON element of an extrinsic file.

    Returns:
        A finite (3, 4) float64 array.

    Raises:
        ValueError: missing keys, wrong shapes, a non-rotation, or non-finite numbers.
    """
    body: Any = entry.get("extrinsic", entry) if isinstance(entry, Mapping) else None
    if not isinstance(body, Mapping):
        raise ValueError("extrinsic entry is not an object")
    rotation = body.get("rotation_matrix", body.get("rotation"))
    translation = body.get("translation_vector", body.get("translation"))
    if rotation is None or translation is None:
        raise ValueError("extrinsic needs rotation_matrix/translation_vector")
    try:
        r = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
        t = np.asarray(translation, dtype=np.float64).reshape(3)
    except (TypeError, ValueError):
        raise ValueError("extrinsic rotation is not 3x3 or translation not 3 numbers") from None
    if not (np.isfinite(r).all() and np.isfinite(t).all()):
        raise ValueError("extrinsic contains NaN or infinity")
    if not np.allclose(r @ r.T, np.eye(3), atol=1e-3) or np.linalg.det(r) < 0:
        raise ValueError("extrinsic rotation is not a rotation matrix")
    return np.concatenate([r, t[:, None]], axis=1)
