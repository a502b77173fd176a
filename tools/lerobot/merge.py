"""Merge published datasets (shards or parts) into one with contiguous, re-based indices.

Episodes are taken in the order of `roots`, then of each dataset's episode_index; tasks keep
their order of first appearance. Frame data is rewritten with new episode/frame/task indices
(numeric statistics recomputed, so the result equals one writer fed the same episodes).
Videos are not re-encoded: each source mp4 is appended whole to the output camera file by
packet copy with a pts shift, and every episode's from/to timestamps are re-based on where its
frames landed. Re-muxing copies compressed packets (disk-bound, no quality loss); re-encoding
would decode and encode every frame again (see bench/bench_lerobot_writer.py for both rates).
Per-camera statistics are kept from the sources; dataset statistics are re-aggregated.

With `order_by`, episodes are instead taken in the order of one of their metadata columns
(the episode job's `episode_key`), whichever source holds them, and each episode's frames are
cut from its source file (every episode is encoded on its own, starting with a keyframe, so
its packets stand alone). The result then depends only on the set of episodes, not on how
they were spread over the sources: shards that took slots as they came merge to the same
bytes as one process that ran them all.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from tools.lerobot.builder import DatasetBuilder, Limits
from tools.lerobot.episodes import VideoPlacement
from tools.lerobot.errors import FeatureError
from tools.lerobot.format import (
    DEFAULT_CHUNKS_SIZE,
    DEFAULT_DATA_FILES_SIZE_IN_MB,
    DEFAULT_FEATURES,
    DEFAULT_VIDEO_FILES_SIZE_IN_MB,
    EPISODE_INDEX,
    EPISODE_LENGTH,
    DatasetInfo,
    Provenance,
    video_column,
    video_path,
)
from tools.lerobot.reader import DatasetContents, EpisodeTables, open_dataset
from tools.lerobot.tables import column_to_numpy
from tools.tracing import span


def merge_datasets(
    roots: Sequence[Path],
    out_root: Path,
    *,
    provenance: Provenance | None = None,
    chunks_size: int = DEFAULT_CHUNKS_SIZE,
    data_files_size_in_mb: int | float = DEFAULT_DATA_FILES_SIZE_IN_MB,
    video_files_size_in_mb: int | float = DEFAULT_VIDEO_FILES_SIZE_IN_MB,
    order_by: str | None = None,
) -> DatasetInfo:
    """Assemble the datasets at `roots` into a new dataset at `out_root`.

    Args:
        roots: published datasets with the same fps, robot type, features and video settings.
        out_root: where the merged dataset is published (must not be a dataset yet).
        provenance: recorded provenance; by default the sources' (which must then agree).
        chunks_size: files per chunk directory of the output.
        data_files_size_in_mb: output data files roll over past this size.
        video_files_size_in_mb: output camera files roll over past this size (at source-file
            granularity: a source file is never split, unless `order_by` is given).
        order_by: a metadata column every episode has, with distinct values: episodes are
            merged in its ascending order instead of source order.

    Returns:
        The merged dataset's meta/info.json.

    Raises:
        FeatureError: no roots, sources that disagree on settings or provenance, or an
            `order_by` column missing from an episode or holding a value twice.
        InvalidDatasetError: a source is not a published dataset.
        DatasetStateError: `out_root` already holds a dataset.
    """
    if not roots:
        raise FeatureError("roots", "nothing to merge")
    sources = [open_dataset(Path(root)) for root in roots]
    first = sources[0].info
    _check_same_layout(sources)
    if provenance is None:
        if any(src.info.provenance != first.provenance for src in sources):
            raise FeatureError("provenance", "sources differ; pass the merged provenance")
        provenance = first.provenance
    builder = DatasetBuilder(
        Path(out_root),
        fps=first.fps,
        robot_type=first.robot_type,
        features={n: s for n, s in first.data_features.items() if n not in DEFAULT_FEATURES},
        video_keys=first.video_keys,
        provenance=provenance,
        limits=Limits(chunks_size, data_files_size_in_mb, video_files_size_in_mb),
        documents=sources[0].documents,
    )
    with span("lerobot.merge", sources=len(sources), out_root=str(out_root)):
        try:
            if order_by is None:
                for source in sources:
                    _copy_dataset(source, builder)
            else:
                _copy_in_order(sources, builder, order_by)
            return builder.finalize()
        except BaseException:
            builder.abort()
            raise


def _copy_dataset(source: DatasetContents, builder: DatasetBuilder) -> None:
    """Append every episode of `source` to `builder`: videos file by file, then frames."""
    info = source.info
    starts: dict[tuple[str, int], VideoPlacement] = {}
    for key in info.video_keys:
        video_info = info.video_info(key)
        files: dict[tuple[int, int], int] = {}
        for row in source.episodes:
            where = (row[video_column(key, "chunk_index")], row[video_column(key, "file_index")])
            files[where] = files.get(where, 0) + int(row[EPISODE_LENGTH])
        placed = {
            where: builder.place_video(key, source.root / video_path(key, *where), n, video_info)
            for where, n in files.items()
        }
        for row in source.episodes:
            where = (row[video_column(key, "chunk_index")], row[video_column(key, "file_index")])
            offset = round(float(row[video_column(key, "from_timestamp")]) * info.fps)
            base = placed[where]
            starts[(key, int(row[EPISODE_INDEX]))] = VideoPlacement(
                base.chunk_index, base.file_index, base.start_frame + offset
            )
    for row, table in source.iter_episode_tables():
        episode = int(row[EPISODE_INDEX])
        placements = {key: starts[(key, episode)] for key in info.video_keys}
        _write_episode(source, builder, row, table, placements)


def _copy_in_order(
    sources: Sequence[DatasetContents], builder: DatasetBuilder, column: str
) -> None:
    """Append every episode of every source in ascending `column` order, cutting each one's
    frames out of its source video files."""
    entries: list[tuple[Any, DatasetContents, dict[str, Any]]] = []
    for source in sources:
        for row in source.episodes:
            value = source.extra_metadata(row).get(column)
            if value is None:
                raise FeatureError(f"{source.root} episode {row[EPISODE_INDEX]}", f"no {column}")
            entries.append((value, source, row))
    entries.sort(key=lambda entry: entry[0])
    for before, after in itertools.pairwise(entries):
        if before[0] == after[0]:
            raise FeatureError(column, f"{after[0]!r} is in {before[1].root} and {after[1].root}")
    tables = EpisodeTables()
    for _, source, row in entries:
        info, length = source.info, int(row[EPISODE_LENGTH])
        placements = {}
        for key in info.video_keys:
            video_info = info.video_info(key)
            where = (row[video_column(key, "chunk_index")], row[video_column(key, "file_index")])
            first = round(float(row[video_column(key, "from_timestamp")]) * info.fps)
            path = source.root / video_path(key, *where)
            placements[key] = builder.place_video(key, path, length, video_info, first)
        _write_episode(source, builder, row, tables.frames(source, row), placements)


def _write_episode(
    source: DatasetContents,
    builder: DatasetBuilder,
    row: dict[str, Any],
    table: pa.Table,
    videos: dict[str, VideoPlacement],
) -> None:
    """Write one source episode's frames and metadata with its new video placements."""
    tasks = list(row["tasks"])
    if len(tasks) != 1:
        raise FeatureError(f"{source.root} episode {row[EPISODE_INDEX]}", "needs one task")
    features = [n for n in source.info.data_features if n not in DEFAULT_FEATURES]
    stats = source.episode_stats(row)
    builder.write_episode(
        int(row[EPISODE_LENGTH]),
        {name: column_to_numpy(table, name) for name in features},
        tasks[0],
        videos,
        {key: stats[key] for key in source.info.video_keys},
        source.extra_metadata(row),
    )


def _check_same_layout(sources: Sequence[DatasetContents]) -> None:
    first = sources[0].info
    for source in sources[1:]:
        info = source.info
        for name, ours, theirs in (
            ("fps", first.fps, info.fps),
            ("robot_type", first.robot_type, info.robot_type),
            ("features", first.features, info.features),
            ("documents", sources[0].documents, source.documents),
        ):
            if ours != theirs:
                raise FeatureError(f"{source.root}: {name}", f"{theirs!r} != {ours!r}")
