"""Read and check one recorded Genie Sim episode; every problem is collected before rejecting it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from genie_sim_import_job.videos import count_frames, video_size
from tools.errors import InputError
from tools.geniesim_format import results as fmt
from tools.geniesim_format.assets import RECORDING_FPS

FloatArray = NDArray[np.float32]
_REQUIRED = (
    f"{fmt.STATE}/{fmt.JOINT_POSITION}",
    f"{fmt.STATE}/{fmt.LEFT_EFFECTOR}",
    f"{fmt.STATE}/{fmt.RIGHT_EFFECTOR}",
    f"{fmt.ACTION}/{fmt.JOINT_POSITION}",
    f"{fmt.ACTION}/{fmt.LEFT_EFFECTOR}",
    f"{fmt.ACTION}/{fmt.RIGHT_EFFECTOR}",
)
_OPTIONAL = (
    *(
        f"{side}/{key}"
        for key in (fmt.WAIST_POSITION, fmt.HEAD_POSITION)
        for side in (fmt.STATE, fmt.ACTION)
    ),
    f"{fmt.STATE}/{fmt.END_POSITION}",
    f"{fmt.STATE}/{fmt.END_ORIENTATION}",
)


class EpisodeRejected(InputError):
    """An episode breaks the format or failed its task; `reasons` lists every problem."""

    def __init__(self, episode: str, reasons: list[str]) -> None:
        super().__init__(episode, "; ".join(reasons))
        self.episode = episode
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Layout:
    """What an episode's features look like; a dataset's episodes must all share one."""

    state_names: tuple[str, ...]
    action_names: tuple[str, ...]
    has_end_pose: bool
    cameras: tuple[str, ...]
    video_sizes: tuple[tuple[int, int], ...]
    fps: int
    robot_type: str | None


@dataclass(frozen=True)
class Episode:
    """A checked episode, ready to convert."""

    name: str
    folder: Path
    task: str
    layout: Layout
    state: FloatArray
    action: FloatArray
    end_pose: FloatArray | None
    extrinsics: dict[str, FloatArray]
    videos: dict[str, Path]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def length(self) -> int:
        """Frames."""
        return int(self.state.shape[0])


def _json(folder: Path, name: str, reasons: list[str]) -> dict[str, Any]:
    try:
        value = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reasons.append(f"{name} unreadable ({type(exc).__name__})")
        return {}
    if not isinstance(value, dict):
        reasons.append(f"{name} is not a JSON object")
        return {}
    return value


def _attr_names(group: h5py.Group) -> list[str]:
    names = group.attrs.get(fmt.NAMES_ATTR)
    if names is None:
        return []
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.asarray(names).reshape(-1)]


def _names(names: list[str] | None, count: int, prefix: str) -> list[str]:
    return names if names and len(names) == count else [f"{prefix}_{i}" for i in range(count)]


def _read_h5(path: Path, reasons: list[str]) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Stack every used dataset over the frame groups; names from frame 0's attributes."""
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        reasons.append(f"{fmt.ALIGNED_JOINTS} unreadable ({type(exc).__name__})")
        return {}, {}
    with h5:
        frames = sorted(int(k) for k in h5 if k.isdigit())
        if not frames or frames != list(range(len(frames))):
            reasons.append(f"{fmt.ALIGNED_JOINTS}: frame groups are not 0..T-1")
            return {}, {}
        first = h5["0"]
        keys = [fmt.MAIN_TIMESTAMP, *_REQUIRED, *(k for k in _OPTIONAL if k in first)]
        missing = [k for k in keys if k not in first]
        if missing:
            reasons.append(f"{fmt.ALIGNED_JOINTS}: frame 0 lacks {', '.join(missing)}")
            return {}, {}
        columns: dict[str, list[np.ndarray]] = {k: [] for k in keys}
        try:
            for i in frames:
                group = h5[str(i)]
                for key in keys:
                    columns[key].append(np.asarray(group[key][()]).reshape(-1))
            stacked = {k: np.stack(v) for k, v in columns.items()}
        except (KeyError, ValueError, OSError) as exc:
            reasons.append(f"{fmt.ALIGNED_JOINTS}: inconsistent frames ({type(exc).__name__})")
            return {}, {}
        names = {k: _attr_names(first[k.rsplit("/", 1)[0]]) for k in keys if "/" in k}
        return stacked, names


def _check_numbers(arrays: dict[str, np.ndarray], reasons: list[str]) -> None:
    for key, values in arrays.items():
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            frame = int(np.argwhere(~np.isfinite(values))[0][0])
            reasons.append(f"{key} has NaN or infinity (frame {frame})")
    stamps = arrays.get(fmt.MAIN_TIMESTAMP)
    if (
        stamps is not None
        and len(stamps) > 1
        and not np.all(np.diff(stamps[:, 0].astype(np.float64)) > 0)
    ):
        reasons.append(f"{fmt.MAIN_TIMESTAMP} is not strictly increasing")


def _extrinsics(
    folder: Path, camera: str, frames: int | None, reasons: list[str]
) -> FloatArray | None:
    """A camera's per-frame [R | t] (frames None: the frame count is unknown, not checked)."""
    name = fmt.EXTRINSIC_TEMPLATE.format(camera=fmt.sensor_camera_name(camera))
    entries = _json_list(folder / fmt.SENSOR_DIR / name, reasons, name)
    if entries is None:
        return None
    if frames is not None and len(entries) not in (1, frames):
        reasons.append(f"{name}: {len(entries)} entries for {frames} frames")
        return None
    try:
        matrices = np.stack([fmt.parse_extrinsic(e).reshape(-1) for e in entries])
    except ValueError as exc:
        reasons.append(f"{name}: {exc}")
        return None
    return np.broadcast_to(matrices, (frames or len(matrices), 12)).astype(np.float32)


def _json_list(path: Path, reasons: list[str], name: str) -> list[Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reasons.append(f"{name} missing or unreadable ({type(exc).__name__})")
        return None
    entries = value if isinstance(value, list) else [value]
    return entries or None


def read_episode(folder: Path) -> Episode:
    """Read one `recording_data/<task>_<i>/` folder and check it.

    Checks: required files, JSON documents, the task's status, every number finite,
    strictly increasing timestamps, one video per camera with one frame per h5 frame, and a
    valid extrinsic (per frame or one) for each camera.

    Args:
        folder: the episode folder.

    Returns:
        The episode.

    Raises:
        EpisodeRejected: with every problem found.
    """
    reasons = [f"{n} missing" for n in fmt.REQUIRED_FILES if not (folder / n).is_file()]
    videos = {
        p.name[: -len(fmt.COLOR_VIDEO_SUFFIX)]: p
        for p in sorted((folder / fmt.VIDEOS_DIR).glob(f"*{fmt.COLOR_VIDEO_SUFFIX}"))
    }
    if not videos:
        reasons.append(f"no {fmt.VIDEOS_DIR}/*{fmt.COLOR_VIDEO_SUFFIX}")
    if reasons:
        raise EpisodeRejected(folder.name, reasons)
    meta = _json(folder, fmt.META_INFO, reasons)
    info = _json(folder, fmt.DATA_INFO, reasons)
    result = _json(folder, fmt.TASK_RESULT, reasons)
    if result and result.get(fmt.TASK_STATUS) is not True:
        reasons.append(f"task failed ({fmt.TASK_STATUS}={result.get(fmt.TASK_STATUS)!r})")
    fps = result.get(fmt.TASK_FPS) or RECORDING_FPS
    if not isinstance(fps, int) or fps <= 0:
        reasons.append(f"{fmt.TASK_RESULT}: fps {fps!r} is not a positive integer")
    arrays, groups = _read_h5(folder / fmt.ALIGNED_JOINTS, reasons)
    frames = len(arrays[fmt.MAIN_TIMESTAMP]) if arrays else 0
    _check_numbers(arrays, reasons)
    extrinsics: dict[str, FloatArray] = {}
    sizes: list[tuple[int, int]] = []
    for camera, path in videos.items():
        try:
            count = count_frames(path)
            sizes.append(video_size(path))
        except ValueError as exc:
            reasons.append(f"{path.name}: {exc}")
            continue
        if arrays and count != frames:
            reasons.append(f"{path.name}: {count} frames, {fmt.ALIGNED_JOINTS} has {frames}")
        matrix = _extrinsics(folder, camera, frames if arrays else None, reasons)
        if matrix is not None:
            extrinsics[camera] = matrix
    if reasons:
        raise EpisodeRejected(folder.name, reasons)
    return _assemble(folder, arrays, groups, meta, info, videos, extrinsics, fps, sizes)


def _assemble(
    folder: Path,
    arrays: dict[str, np.ndarray],
    groups: dict[str, list[str]],
    meta: dict[str, Any],
    info: dict[str, Any],
    videos: dict[str, Path],
    extrinsics: dict[str, FloatArray],
    fps: int,
    sizes: list[tuple[int, int]],
) -> Episode:
    def parts(side: str) -> tuple[np.ndarray, list[str]]:
        blocks, names = [], []
        for key, label in (
            (fmt.JOINT_POSITION, "joint"),
            (fmt.LEFT_EFFECTOR, "left_effector"),
            (fmt.RIGHT_EFFECTOR, "right_effector"),
            (fmt.WAIST_POSITION, "waist"),
            (fmt.HEAD_POSITION, "head"),
        ):
            full = f"{side}/{key}"
            if full not in arrays:
                continue
            block = arrays[full].astype(np.float32)
            blocks.append(block)
            if key in (fmt.LEFT_EFFECTOR, fmt.RIGHT_EFFECTOR):
                # Same names, different units in state and action: the name carries the unit.
                label = f"{label}[{fmt.EFFECTOR_RANGE[side]}]"
                names += (
                    [label]
                    if block.shape[1] == 1
                    else [f"{label}_{i}" for i in range(block.shape[1])]
                )
            else:
                names += _names(groups.get(full), block.shape[1], label)
        return np.concatenate(blocks, axis=1), names

    state, state_names = parts(fmt.STATE)
    action, action_names = parts(fmt.ACTION)
    end_keys = (f"{fmt.STATE}/{fmt.END_POSITION}", f"{fmt.STATE}/{fmt.END_ORIENTATION}")
    end_pose = None
    if all(k in arrays for k in end_keys):
        end_pose = np.concatenate([arrays[k] for k in end_keys], axis=1).astype(np.float32)
    robot_type = meta.get("robot_type")
    layout = Layout(
        tuple(state_names),
        tuple(action_names),
        end_pose is not None,
        tuple(videos),
        tuple(sizes),
        fps,
        robot_type if isinstance(robot_type, str) else None,
    )
    task = str(info.get("english_task_name") or info.get("task_name") or folder.name)
    metadata = {k: str(meta.get(k, "")) for k in ("job_id", "episode_id", "task_id")}
    return Episode(
        folder.name, folder, task, layout, state, action, end_pose, extrinsics, videos, metadata
    )
