"""Check a LeRobot v3.0 dataset directory against the format; every problem is collected."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tools.lerobot.errors import InvalidDatasetError
from tools.lerobot.format import (
    DATA_CHUNK,
    DATA_DIR,
    DATA_FILE,
    EPISODE_COLUMNS,
    EPISODE_INDEX,
    EPISODE_LENGTH,
    EPISODE_TASKS,
    FROM_INDEX,
    STAT_NAMES,
    STATS_PATH,
    TIMESTAMP_TOLERANCE_S,
    TO_INDEX,
    VIDEO_FIELDS,
    LayerInfo,
    data_path,
    stats_column,
    video_column,
    video_path,
)
from tools.lerobot.reader import DatasetContents, open_dataset
from tools.lerobot.tables import column_to_numpy, data_schema
from tools.lerobot.video import probe_video

Row = dict[str, Any]


def validate_dataset(root: Path | str, *, decode_videos: bool = True) -> list[str]:
    """Every way the dataset at `root` breaks the LeRobot v3.0 format (empty when valid).

    Checks info.json, tasks, episode rows, that every referenced file exists (and no stray
    data file would be picked up by the loader), row counts and row groups, index contiguity,
    per-episode from/to indices, timestamps, decoded video frame counts and times, and stats.

    Args:
        root: the dataset directory.
        decode_videos: decode every video frame; False checks frame counts and times from
            packet timestamps only (much faster on large datasets).

    Returns:
        Human-readable problems, each naming the file or episode concerned.
    """
    root = Path(root)
    try:
        contents = open_dataset(root)
    except InvalidDatasetError as exc:
        return list(exc.problems)
    problems = _check_episodes(contents)
    if problems:  # the file checks below trust the episode table
        return problems
    problems += _check_data(contents)
    problems += _check_videos(contents, decode_videos)
    problems += _check_stats(contents)
    return problems


def require_valid(root: Path | str, *, decode_videos: bool = True) -> None:
    """Raise unless `validate_dataset(root, decode_videos=...)` is empty.

    Raises:
        InvalidDatasetError: with every problem found.
    """
    problems = validate_dataset(root, decode_videos=decode_videos)
    if problems:
        raise InvalidDatasetError(str(root), problems)


def _check_episodes(contents: DatasetContents) -> list[str]:
    info, rows = contents.info, contents.episodes
    problems: list[str] = []
    if len(contents.tasks) != info.total_tasks:
        problems.append(
            f"tasks.parquet has {len(contents.tasks)} tasks, info says {info.total_tasks}"
        )
    if [int(r[EPISODE_INDEX]) for r in rows] != list(range(info.total_episodes)):
        problems.append(f"episode_index is not 0..{info.total_episodes - 1}")
    required = [*EPISODE_COLUMNS]
    required += [video_column(k, f) for k in info.video_keys for f in VIDEO_FIELDS]
    required += [stats_column(n, s) for n in info.features for s in STAT_NAMES]
    expected_from = 0
    for row in rows:
        episode = row.get(EPISODE_INDEX)
        missing = [c for c in required if row.get(c) is None]
        if missing:
            problems.append(f"episode {episode}: missing columns {missing[:5]}")
            continue
        length = int(row[EPISODE_LENGTH])
        if int(row[FROM_INDEX]) != expected_from or int(row[TO_INDEX]) != expected_from + length:
            problems.append(f"episode {episode}: from/to index not contiguous with length {length}")
        expected_from = int(row[TO_INDEX])
        unknown = [t for t in row[EPISODE_TASKS] if t not in contents.tasks]
        if unknown or not row[EPISODE_TASKS]:
            problems.append(f"episode {episode}: tasks {unknown or '[]'} not in tasks.parquet")
    if expected_from != info.total_frames:
        problems.append(
            f"episode lengths sum to {expected_from}, total_frames is {info.total_frames}"
        )
    return problems


def _check_data(contents: DatasetContents) -> list[str]:
    info, root = contents.info, contents.root
    by_file: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for row in contents.episodes:
        by_file[(int(row[DATA_CHUNK]), int(row[DATA_FILE]))].append(row)
    problems: list[str] = []
    referenced = {root / data_path(*key) for key in by_file}
    for stray in sorted(set((root / DATA_DIR).glob("*/*.parquet")) - referenced):
        problems.append(f"{stray.relative_to(root)}: not referenced by any episode")
    expected_schema = data_schema(info.features)
    total = 0
    for key, rows in sorted(by_file.items()):
        path = root / data_path(*key)
        name = str(path.relative_to(root))
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        parquet = pq.ParquetFile(path)
        if not parquet.schema_arrow.equals(expected_schema):
            problems.append(f"{name}: columns/types differ from the features")
            continue
        if parquet.schema_arrow.metadata != expected_schema.metadata:
            problems.append(f"{name}: huggingface schema metadata missing or not the features'")
        sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
        if sizes != [int(r[EPISODE_LENGTH]) for r in rows]:
            problems.append(f"{name}: row groups {sizes[:8]} are not one per episode")
        table = parquet.read()
        total += table.num_rows
        expected = sum(int(r[EPISODE_LENGTH]) for r in rows)
        if table.num_rows != expected:
            problems.append(f"{name}: {table.num_rows} rows, its episodes have {expected}")
            continue
        problems += _check_frames(name, table, rows, contents)
        problems += _check_layer_ids(name, table, contents)
    if total != info.total_frames:
        problems.append(f"data files hold {total} rows, total_frames is {info.total_frames}")
    return problems


def _check_frames(
    name: str, table: pa.Table, rows: list[Row], contents: DatasetContents
) -> list[str]:
    """Per episode: global index, episode/frame/task indices and timestamps of its rows."""
    fps, tasks = contents.info.fps, {task: i for i, task in enumerate(contents.tasks)}
    columns = {c: table.column(c).to_numpy() for c in ("index", "episode_index", "frame_index")}
    columns["task_index"] = table.column("task_index").to_numpy()
    timestamps = table.column("timestamp").to_numpy()
    problems: list[str] = []
    offset = 0
    for row in rows:
        length, episode = int(row[EPISODE_LENGTH]), int(row[EPISODE_INDEX])
        part = slice(offset, offset + length)
        offset += length
        frame_index = np.arange(length)
        episode_tasks = {tasks.get(task, -1) for task in row[EPISODE_TASKS]}
        checks = {
            "index": np.array_equal(columns["index"][part], frame_index + int(row[FROM_INDEX])),
            "episode_index": bool((columns["episode_index"][part] == episode).all()),
            "frame_index": np.array_equal(columns["frame_index"][part], frame_index),
            "task_index": set(np.unique(columns["task_index"][part]).tolist()) <= episode_tasks,
            "timestamp": np.allclose(
                timestamps[part], frame_index / fps, rtol=0, atol=TIMESTAMP_TOLERANCE_S
            ),
        }
        bad = [column for column, ok in checks.items() if not ok]
        if bad:
            problems.append(f"{name}: episode {episode} has wrong {', '.join(bad)}")
    return problems


def _check_layer_ids(name: str, table: pa.Table, contents: DatasetContents) -> list[str]:
    """Every id of a segmentation layer is a key of the id map its info names."""
    problems: list[str] = []
    for key in contents.info.layer_keys:
        info = contents.info.features[key].info
        if not isinstance(info, LayerInfo) or info.id_map is None:
            continue
        document = contents.documents.get(Path(info.id_map).stem)
        if not info.id_map.startswith("meta/") or not isinstance(document, dict):
            problems.append(f"{key}: its id map {info.id_map} is missing or not an object")
            continue
        ids = np.unique(column_to_numpy(table, key))
        unknown = sorted(set(ids.tolist()) - {int(k) for k in document if k.isdigit()})
        if unknown:
            problems.append(f"{name}: {key} has ids {unknown[:8]} not in {info.id_map}")
    return problems


def _check_videos(contents: DatasetContents, decode: bool) -> list[str]:
    info, root = contents.info, contents.root
    problems: list[str] = []
    for key in info.video_keys:
        video_info = info.video_info(key)
        by_file: dict[tuple[int, int], list[Row]] = defaultdict(list)
        for row in contents.episodes:
            where = (
                int(row[video_column(key, "chunk_index")]),
                int(row[video_column(key, "file_index")]),
            )
            by_file[where].append(row)
        for where, rows in sorted(by_file.items()):
            path = root / video_path(key, *where)
            name = str(path.relative_to(root))
            if not path.is_file():
                problems.append(f"{name}: missing")
                continue
            try:
                probe = probe_video(path, decode=decode)
            except Exception as exc:  # any decoder failure is a finding, not a crash
                problems.append(f"{name}: cannot decode ({exc})")
                continue
            if video_info is not None and (
                probe.width,
                probe.height,
                probe.codec,
                probe.pix_fmt,
            ) != (
                video_info.width,
                video_info.height,
                video_info.codec,
                video_info.pix_fmt,
            ):
                problems.append(
                    f"{name}: stream differs from info ({probe.codec} {probe.width}x{probe.height})"
                )
            problems += _check_video_times(name, key, np.asarray(probe.frame_times), rows, info.fps)
    return problems


def _check_video_times(name: str, key: str, times: Any, rows: list[Row], fps: int) -> list[str]:
    problems: list[str] = []
    covered = 0
    for row in rows:
        episode, length = int(row[EPISODE_INDEX]), int(row[EPISODE_LENGTH])
        start = float(row[video_column(key, "from_timestamp")])
        end = float(row[video_column(key, "to_timestamp")])
        if abs(end - start - length / fps) > TIMESTAMP_TOLERANCE_S:
            problems.append(
                f"{name}: episode {episode} spans {end - start:.6f}s for {length} frames"
            )
        inside = times[
            (times >= start - TIMESTAMP_TOLERANCE_S) & (times < end - TIMESTAMP_TOLERANCE_S)
        ]
        covered += inside.size
        if inside.size != length:
            problems.append(
                f"{name}: episode {episode} has {inside.size} frames, length is {length}"
            )
        elif np.abs(inside - (start + np.arange(length) / fps)).max() > TIMESTAMP_TOLERANCE_S:
            problems.append(f"{name}: episode {episode} frame times drift beyond 1e-4 s")
    if covered != times.size:
        problems.append(f"{name}: {times.size - covered} frames belong to no episode")
    return problems


def _check_stats(contents: DatasetContents) -> list[str]:
    info, path = contents.info, contents.root / STATS_PATH
    try:
        stats = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{STATS_PATH}: unreadable ({exc})"]
    problems: list[str] = []
    for feature, spec in info.features.items():
        values = stats.get(feature)
        if not isinstance(values, dict):
            problems.append(f"{STATS_PATH}: no stats for {feature}")
            continue
        shape = (3, 1, 1) if spec.dtype == "video" else spec.shape
        for stat in STAT_NAMES:
            if stat not in values:
                problems.append(f"{STATS_PATH}: {feature} lacks {stat}")
                continue
            array = np.asarray(values[stat], dtype=np.float64)
            want = (1,) if stat == "count" else shape
            if array.shape != want or not np.isfinite(array).all():
                problems.append(
                    f"{STATS_PATH}: {feature}.{stat} has shape {array.shape}, want {want}"
                )
        if spec.dtype == "video" and "min" in values and "max" in values:
            low, high = np.asarray(values["min"]), np.asarray(values["max"])
            if low.min() < 0 or high.max() > 1:
                problems.append(f"{STATS_PATH}: {feature} image stats outside [0, 1]")
    count = stats.get("index", {}).get("count", [None])[0]
    if count != info.total_frames:
        problems.append(f"{STATS_PATH}: count {count} != total_frames {info.total_frames}")
    return problems
