"""What Genie Sim's episode writer puts in every episode folder, and a check against it."""

# Read from Genie Sim v3.2.0's `server/recording/sim_data_converter.py` (SimDataConverter):
# `convert_h5` (process_action_data, process_state_data, process_timestamp_data),
# `convert_meta_info`, `genrate_data_info` and `convert_parameters`. Its joint groups follow
# `config/robot_cfg/robot_joint_names.json` (G2: 5 waist and 3 head joints; G1: 2 and 2).


from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import h5py

from tools.geniesim_format import results as fmt

_STATE_END: Final = (
    "orientation", "position", "arm_orientation", "arm_position", "pose", "errmsg", "errcode",
    "mode", "velocity", "wrench",
)  # fmt: skip
_JOINT_FIELDS: Final = ("effort", "mode", "position", "velocity")
# The six camera stamps the writer records whatever the robot's cameras.
CAMERA_STAMPS: Final = (
    "hand_left_color", "hand_right_color", "head_color", "head_depth", "head_stereo_left",
    "head_stereo_right",
)  # fmt: skip
FRAME_DATASETS: Final = (
    fmt.MAIN_TIMESTAMP,
    *(f"action/{k}" for k in ("end/orientation", "end/position", "head/position")),
    *(f"action/{k}" for k in ("joint/position", "left_effector/position")),
    *(f"action/{k}" for k in ("right_effector/position", "robot/velocity", "waist/position")),
    *(f"state/end/{k}" for k in _STATE_END),
    *(f"state/{g}/{k}" for g in ("head", "joint", "waist") for k in _JOINT_FIELDS),
    "state/left_effector/position",
    "state/right_effector/position",
    "state/robot/orientation",
    "state/robot/position",
    *(f"timestamp/camera/{c}" for c in CAMERA_STAMPS),
)
NAMED_GROUPS: Final = tuple(
    f"{s}/{g}" for s in ("action", "state") for g in ("head", "joint", "waist")
)
META_INFO_KEYS: Final = (
    "AID", "author", "clip_end_time", "clip_start_time", "create_time", "duration", "ee_list",
    "episode_id", "episode_token", "file_size", "fps_validate", "integrity", "job_id",
    "mocap_mapping_status", "robot_type", "sw_version", "task_id", "task_mode", "text", "version",
)  # fmt: skip
DATA_INFO_KEYS: Final = (
    "episode_id", "task_id", "task_name", "english_task_name", "data_type", "job_id",
    "init_scene_text", "raw_data_path", "aligned_data_path", "visualizing_data_path", "sn_code",
    "label_info",
)  # fmt: skip
LABEL_INFO_KEYS: Final = (
    "error_label",
    "action_config",
    "key_frame",
    "cloud_post_processing_result",
)
INTRINSIC_KEYS: Final = ("Fx", "Fy", "Cx", "Cy", "k1", "k2", "p1", "p2", "k3", "SN")
# An RGB-D camera's intrinsics are written twice: `intrinsic_<name>_rgb.json`, `..._depth.json`.
RGBD_SUFFIX: Final = "rgbd"


def _h5_problems(path: Path) -> list[str]:
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        return [f"{fmt.ALIGNED_JOINTS}: unreadable ({type(exc).__name__})"]
    with h5:
        if "0" not in h5:
            return [f"{fmt.ALIGNED_JOINTS}: no frame group '0'"]
        frame = h5["0"]
        problems = [
            f"{fmt.ALIGNED_JOINTS}: frame 0 lacks {k}" for k in FRAME_DATASETS if k not in frame
        ]
        problems += [
            f"{fmt.ALIGNED_JOINTS}: frame 0 {g} has no '{fmt.NAMES_ATTR}' attribute"
            for g in NAMED_GROUPS
            if g in frame and fmt.NAMES_ATTR not in frame[g].attrs
        ]
    return problems


def _keys_problems(path: Path, keys: tuple[str, ...], where: str = "") -> list[str]:
    try:
        document: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return [f"{path.name}: missing or not JSON"]
    if where:
        document = document.get(where, {}) if isinstance(document, dict) else {}
    if not isinstance(document, dict):
        return [f"{path.name}: not an object"]
    prefix = f"{path.name}: {where + '.' if where else ''}"
    return [f"{prefix}{k} missing" for k in keys if k not in document]


def _sensor_problems(folder: Path, cameras: list[str]) -> list[str]:
    problems = []
    for camera in cameras:
        name = fmt.sensor_camera_name(camera)
        kinds = ("rgb", "depth") if RGBD_SUFFIX in name else ("",)
        for kind in kinds:
            sensor = name.replace(RGBD_SUFFIX, kind) if kind else name
            path = folder / fmt.SENSOR_DIR / fmt.INTRINSIC_TEMPLATE.format(camera=sensor)
            problems += _keys_problems(path, INTRINSIC_KEYS)
        extrinsic = folder / fmt.SENSOR_DIR / fmt.EXTRINSIC_TEMPLATE.format(camera=name)
        if not extrinsic.is_file():
            problems.append(f"{extrinsic.name}: missing")
    return problems


def writer_schema_problems(folder: Path, cameras: list[str] | None = None) -> list[str]:
    """Everything Genie Sim's writer would have put in this episode folder and is not there.

    Args:
        folder: one `recording_data/[<episode>]/` folder.
        cameras: the cameras whose sensor files to check (default: those with a
            `<camera>_color.mp4` video).

    Returns:
        One line per missing dataset, attribute, key or file (empty: the folder has the
        writer's full schema).
    """
    if cameras is None:
        cameras = sorted(
            p.name[: -len(fmt.COLOR_VIDEO_SUFFIX)]
            for p in (folder / fmt.VIDEOS_DIR).glob(f"*{fmt.COLOR_VIDEO_SUFFIX}")
        )
    return [
        *_h5_problems(folder / fmt.ALIGNED_JOINTS),
        *_keys_problems(folder / fmt.META_INFO, META_INFO_KEYS),
        *_keys_problems(folder / fmt.DATA_INFO, DATA_INFO_KEYS),
        *_keys_problems(folder / fmt.DATA_INFO, LABEL_INFO_KEYS, "label_info"),
        *_sensor_problems(folder, cameras),
    ]
