"""Rows of meta/episodes: the format's columns for one episode plus checked caller metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.lerobot.errors import FeatureError
from tools.lerobot.format import (
    DATA_CHUNK,
    DATA_FILE,
    EPISODE_COLUMNS,
    EPISODE_INDEX,
    EPISODE_LENGTH,
    EPISODE_TASKS,
    FROM_INDEX,
    RESERVED_PREFIXES,
    TO_INDEX,
    video_column,
)


@dataclass(frozen=True)
class VideoPlacement:
    """Where a block of frames landed: a camera file and the frame index it starts at."""

    chunk_index: int
    file_index: int
    start_frame: int


def episode_row(
    *,
    episode_index: int,
    task: str,
    length: int,
    data_file: tuple[int, int],
    from_index: int,
    videos: Mapping[str, VideoPlacement],
    fps: int,
) -> dict[str, Any]:
    """The format's columns of one episode row (stats and meta/episodes columns not included).

    Args:
        episode_index: the episode's index in the dataset.
        task: its task string.
        length: its frame count.
        data_file: (chunk_index, file_index) of the data file holding its frames.
        from_index: global index of its first frame.
        videos: per camera, where its frames start in which file.
        fps: frames per second (video timestamps are frame counts / fps).
    """
    row: dict[str, Any] = {
        EPISODE_INDEX: episode_index,
        EPISODE_TASKS: [task],
        EPISODE_LENGTH: length,
        DATA_CHUNK: data_file[0],
        DATA_FILE: data_file[1],
        FROM_INDEX: from_index,
        TO_INDEX: from_index + length,
    }
    for key, placement in videos.items():
        row[video_column(key, "chunk_index")] = placement.chunk_index
        row[video_column(key, "file_index")] = placement.file_index
        row[video_column(key, "from_timestamp")] = placement.start_frame / fps
        row[video_column(key, "to_timestamp")] = (placement.start_frame + length) / fps
    return row


class ExtraColumns:
    """Owns the value kind of every caller metadata column, so a column never changes type."""

    def __init__(self) -> None:
        self._kinds: dict[str, str] = {}

    def check(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        """Flatten metadata to columns (`a/b` for nested dicts) and check names and kinds.

        Raises:
            FeatureError: a format column name, an unsupported value, or a kind change.
        """
        flat = _flatten(dict(extra or {}))
        for key, value in flat.items():
            if key in EPISODE_COLUMNS or key.startswith(RESERVED_PREFIXES) or not key:
                raise FeatureError(f"extra_episode_metadata.{key}", "collides with a format column")
            kind, seen = _kind(key, value), self._kinds.get(key)
            if kind != "null" and seen not in (None, kind):
                raise FeatureError(f"extra_episode_metadata.{key}", f"was {seen}, now {kind}")
        return flat

    @property
    def kinds(self) -> dict[str, str]:
        """Column name -> value kind of every column written so far."""
        return dict(self._kinds)

    def record(self, columns: Iterable[tuple[str, Any]]) -> None:
        """Remember the kinds of columns that were written."""
        for key, value in columns:
            if value is not None:
                self._kinds.setdefault(key, _kind(key, value))


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(dict(value), f"{name}/"))
        else:
            flat[name] = value.tolist() if isinstance(value, np.ndarray | np.generic) else value
    return flat


def _kind(key: str, value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple) and value:
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return "number-list"
        if all(isinstance(v, str) for v in value):
            return "str-list"
    raise FeatureError(f"extra_episode_metadata.{key}", f"unsupported value {value!r}")
