"""Assembly of one dataset tree in staging: rolling files, indices, tasks, rows, final metadata."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy.typing as npt

from tools.lerobot import stats as stats_mod
from tools.lerobot import tables
from tools.lerobot.card import CARD_PATH, dataset_card
from tools.lerobot.episodes import ExtraColumns, VideoPlacement, episode_row
from tools.lerobot.errors import DatasetStateError, FeatureError
from tools.lerobot.format import (
    DATA_CHUNK,
    DATA_FILE,
    DEFAULT_FEATURES,
    DOCUMENT_NAME_PATTERN,
    DOCUMENT_PATH,
    INFO_PATH,
    LAYER_DTYPE,
    META_CHUNK,
    META_FILE,
    RESERVED_DOCUMENTS,
    STATS_PATH,
    TASKS_PATH,
    VIDEO_DTYPE,
    VIDEO_PATH,
    DatasetInfo,
    FeatureSpec,
    Provenance,
    VideoInfo,
    episodes_path,
    next_chunk_file,
    video_column,
    video_path,
)
from tools.lerobot.reader import DatasetContents
from tools.lerobot.staging import prepare, publish
from tools.lerobot.video import ConcatenatingMuxer
from tools.structured_logging import get_logger, log_fields

log = get_logger(__name__)
_MB = 1024 * 1024


def check_documents(documents: Mapping[str, Any]) -> dict[str, Any]:
    """Caller documents for meta/<name>.json, checked: lowercase names, not info/stats, JSON.

    Raises:
        FeatureError: a bad name or a value JSON cannot hold.
    """
    for name, document in documents.items():
        if not re.match(DOCUMENT_NAME_PATTERN, name) or name in RESERVED_DOCUMENTS:
            raise FeatureError(f"documents.{name}", "must be a new lowercase name (a-z, 0-9, _)")
        try:
            json.dumps(document, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise FeatureError(f"documents.{name}", f"is not plain JSON: {exc}") from exc
    return dict(documents)


@dataclass(frozen=True)
class Limits:
    """File organisation settings recorded in meta/info.json."""

    chunks_size: int
    data_files_size_in_mb: int | float
    video_files_size_in_mb: int | float

    def __post_init__(self) -> None:
        for name in ("chunks_size", "data_files_size_in_mb", "video_files_size_in_mb"):
            if not getattr(self, name) > 0:
                raise FeatureError(name, f"must be positive, not {getattr(self, name)!r}")


@dataclass
class _VideoSlot:
    """One camera's output: the open file, the next file name, and its stream settings."""

    next_file: tuple[int, int] = (0, 0)
    current: tuple[int, int] = (0, 0)
    muxer: ConcatenatingMuxer | None = None
    info: VideoInfo | None = None


@dataclass
class _Episodes:
    """Bookkeeping of the episodes written so far."""

    tasks: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    stats: list[dict[str, stats_mod.FeatureStats]] = field(default_factory=list)
    total_frames: int = 0


class DatasetBuilder:
    """Owns a staging tree, its open data/video files and the episode bookkeeping.

    Shared by the writer (episodes from arrays) and the merger (episodes from other datasets),
    so both produce the same tables for the same episodes.
    Lifecycle: `place_video`/`write_episode` per episode, then `finalize()` (close files,
    write tasks, episodes, stats, info.json last, publish) or `abort()` (delete staging).
    Any failure while committing an episode marks the builder broken: it can only abort.
    """

    def __init__(
        self,
        root: Path,
        *,
        fps: int,
        robot_type: str | None,
        features: Mapping[str, FeatureSpec],
        video_keys: Sequence[str],
        provenance: Provenance,
        limits: Limits,
        base: DatasetContents | None = None,
        documents: Mapping[str, Any] | None = None,
    ) -> None:
        self.root = root
        self._documents = check_documents(documents or {})
        self.fps = fps
        self._robot_type = robot_type
        self._features = {n: s for n, s in features.items() if n not in DEFAULT_FEATURES}
        self._schema = tables.data_schema({**self._features, **DEFAULT_FEATURES})
        self._layers = {n for n, s in self._features.items() if s.dtype == LAYER_DTYPE}
        self._provenance = provenance
        self._limits = limits
        self._episodes = _Episodes()
        self._extra = ExtraColumns()
        self._video = {key: _VideoSlot() for key in video_keys}
        self._broken = False
        self._info: DatasetInfo | None = None
        self.staging = prepare(root, keep_existing=base is not None)
        first_data = self._resume(base) if base is not None else (0, 0)
        self._data = tables.DataFileWriter(
            self.staging, self._schema, limits.data_files_size_in_mb, limits.chunks_size, first_data
        )
        self.tmp_dir = self.staging / "tmp"
        self.tmp_dir.mkdir()

    @property
    def num_episodes(self) -> int:
        """Episodes in the dataset so far (including those of an appended-to dataset)."""
        return len(self._episodes.rows)

    def ensure_open(self) -> None:
        """Raise unless episodes can still be added.

        Raises:
            DatasetStateError: after finalize/abort, or once a commit has failed.
        """
        if self._broken or self._info is not None or not self.staging.exists():
            raise DatasetStateError(f"{self.root}: the dataset is finalized, aborted or broken")

    def video_info(self, key: str) -> VideoInfo | None:
        """The stream settings of a camera, once its first episode is placed."""
        return self._video[key].info

    def check_extra(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        """Caller metadata as checked row columns (see `ExtraColumns.check`)."""
        return self._extra.check(extra)

    def place_video(
        self,
        key: str,
        source: Path,
        frames: int,
        info: VideoInfo,
        first_frame: int | None = None,
    ) -> VideoPlacement:
        """Append an mp4 of `frames` frames to the camera's current file (rolling at the limit);
        with `first_frame`, only that episode's frames of a concatenated dataset file.

        Raises:
            FeatureError: if the stream settings differ from the camera's earlier ones.
        """
        slot = self._video[key]
        if slot.info is not None and slot.info != info:
            raise FeatureError(key, f"video settings {info} differ from earlier {slot.info}")
        with self._guard():
            slot.info = info
            limit = self._limits.video_files_size_in_mb * _MB
            if slot.muxer is not None and slot.muxer.nbytes >= limit:
                slot.muxer.close()
                slot.muxer = None
            if slot.muxer is None:
                slot.current = slot.next_file
                slot.next_file = next_chunk_file(*slot.current, self._limits.chunks_size)
                path = self.staging / video_path(key, *slot.current)
                path.parent.mkdir(parents=True, exist_ok=True)
                slot.muxer = ConcatenatingMuxer(path, self.fps)
            start = slot.muxer.append(source, frames, first_frame)
            return VideoPlacement(slot.current[0], slot.current[1], start)

    def write_episode(
        self,
        length: int,
        columns: Mapping[str, npt.NDArray[Any]],
        task: str,
        videos: Mapping[str, VideoPlacement],
        video_stats: Mapping[str, stats_mod.FeatureStats],
        extra: Mapping[str, Any] | None = None,
    ) -> int:
        """Write one episode's frames and record its row; return its episode_index.

        Args:
            length: the episode's frame count T (>= 1).
            columns: (T, ...) arrays for every declared numeric feature.
            task: the episode's task string.
            videos: where each camera's frames were placed (see `place_video`).
            video_stats: per-camera statistics of the episode.
            extra: caller metadata columns for the episode row.
        """
        flat = self.check_extra(extra)
        with self._guard():
            done = self._episodes
            episode_index, start = len(done.rows), done.total_frames
            task_index = done.tasks.setdefault(task, len(done.tasks))
            full = {
                **columns,
                **tables.index_columns(length, self.fps, episode_index, start, task_index),
            }
            stats = {
                column.name: (
                    stats_mod.layer_stats(full[column.name])
                    if column.name in self._layers
                    else stats_mod.vector_stats(
                        full[column.name], integer=tables.is_integer(column.type)
                    )
                )
                for column in self._schema
            }
            stats.update({key: video_stats[key] for key in self._video})
            data_file = self._data.write(tables.episode_table(self._schema, full))
            row = episode_row(
                episode_index=episode_index,
                task=task,
                length=length,
                data_file=data_file,
                from_index=start,
                videos=videos,
                fps=self.fps,
            )
            row.update(flat)
            row.update(stats_mod.to_columns(stats))
            self._extra.record(flat.items())
            done.rows.append(row)
            done.stats.append(stats)
            done.total_frames += length
            return episode_index

    def finalize(self) -> DatasetInfo:
        """Close files, write tasks, episodes, stats and info.json (last), then publish.

        Returns:
            The published meta/info.json (the same object on a second call).

        Raises:
            DatasetStateError: if an earlier commit failed or no episode was written.
        """
        if self._info is not None:
            return self._info
        if self._broken:
            raise DatasetStateError(f"{self.root}: an episode failed to commit; abort instead")
        if not self._episodes.rows:
            raise DatasetStateError(f"{self.root}: no episodes were written")
        self._close_files()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        done = self._episodes
        tables.write_tasks(self.staging / TASKS_PATH, list(done.tasks))
        for row in done.rows:  # one metadata file: rows of a dataset it was opened from move
            row[META_CHUNK], row[META_FILE] = 0, 0
        tables.write_episodes(self.staging / episodes_path(0, 0), done.rows)
        info = self._build_info()
        totals = stats_mod.aggregate_features(done.stats)
        tables.write_text_atomic(self.staging / STATS_PATH, stats_mod.json_text(totals))
        for name, document in self._documents.items():
            tables.write_json_atomic(self.staging / DOCUMENT_PATH.format(name=name), document)
        card = dataset_card(info.to_json(), self._extra.kinds, list(self._documents))
        (self.staging / CARD_PATH).write_text(card, encoding="utf-8")
        tables.write_json_atomic(self.staging / INFO_PATH, info.to_json())
        publish(self.staging, self.root)
        self._info = info
        log.info(
            "lerobot dataset published",
            extra=log_fields(root=str(self.root), episodes=info.total_episodes),
        )
        return info

    def abort(self) -> None:
        """Close everything and delete the staging tree; the published root is untouched."""
        with contextlib.suppress(Exception):
            self._close_files()
        if self._info is None:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _build_info(self) -> DatasetInfo:
        features: dict[str, FeatureSpec] = dict(self._features)
        for key, slot in self._video.items():
            if slot.info is None:
                raise DatasetStateError(f"video {key!r} has no frames")
            shape = (slot.info.height, slot.info.width, 3)
            names = ["height", "width", "channels"]
            features[key] = FeatureSpec(dtype=VIDEO_DTYPE, shape=shape, names=names, info=slot.info)
        features.update(DEFAULT_FEATURES)
        done = self._episodes
        return DatasetInfo(
            robot_type=self._robot_type,
            total_episodes=len(done.rows),
            total_frames=done.total_frames,
            total_tasks=len(done.tasks),
            chunks_size=self._limits.chunks_size,
            data_files_size_in_mb=self._limits.data_files_size_in_mb,
            video_files_size_in_mb=self._limits.video_files_size_in_mb,
            fps=self.fps,
            splits={"train": f"0:{len(done.rows)}"},
            video_path=VIDEO_PATH if self._video else None,
            features=features,
            provenance=self._provenance,
        )

    def _resume(self, base: DatasetContents) -> tuple[int, int]:
        """Adopt a published dataset's episodes; return the first new data file."""
        done = self._episodes
        done.tasks = {task: i for i, task in enumerate(base.tasks)}
        done.rows = [dict(row) for row in base.episodes]
        done.stats = [base.episode_stats(row) for row in base.episodes]
        done.total_frames = base.info.total_frames
        for row in base.episodes:
            self._extra.record(base.extra_metadata(row).items())
        for key, slot in self._video.items():
            slot.info = base.info.video_info(key)
            columns = (video_column(key, "chunk_index"), video_column(key, "file_index"))
            last = max((row[columns[0]], row[columns[1]]) for row in base.episodes)
            slot.next_file = next_chunk_file(*last, self._limits.chunks_size)
        last_data = max((row[DATA_CHUNK], row[DATA_FILE]) for row in base.episodes)
        return next_chunk_file(*last_data, self._limits.chunks_size)

    def _close_files(self) -> None:
        self._data.close()
        for slot in self._video.values():
            if slot.muxer is not None:
                slot.muxer.close()
                slot.muxer = None

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        self.ensure_open()
        try:
            yield
        except BaseException:
            self._broken = True
            raise
