"""Read a published LeRobot v3.0 dataset: metadata, episode rows and per-episode frame tables."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from tools.lerobot import stats as stats_mod
from tools.lerobot.errors import InvalidDatasetError
from tools.lerobot.format import (
    DATA_CHUNK,
    DATA_FILE,
    EPISODE_COLUMNS,
    FROM_INDEX,
    INFO_PATH,
    RESERVED_DOCUMENTS,
    RESERVED_PREFIXES,
    TASKS_PATH,
    TO_INDEX,
    DatasetInfo,
    data_path,
)
from tools.lerobot.staging import finish_publish, is_complete
from tools.lerobot.tables import read_episodes, read_tasks


@dataclass(frozen=True)
class DatasetContents:
    """A published dataset's metadata: info, tasks (in task_index order) and episode rows."""

    root: Path
    info: DatasetInfo
    tasks: list[str]
    episodes: list[dict[str, Any]]
    documents: dict[str, Any] = field(default_factory=dict)  # meta/<name>.json by name

    def episode_stats(self, row: dict[str, Any]) -> dict[str, stats_mod.FeatureStats]:
        """The per-episode statistics stored in an episode row, for every feature."""
        return stats_mod.from_columns(row, self.info.features)

    def extra_metadata(self, row: dict[str, Any]) -> dict[str, Any]:
        """The caller-supplied columns of an episode row (not part of the format)."""
        return {
            key: value
            for key, value in row.items()
            if key not in EPISODE_COLUMNS and not key.startswith(RESERVED_PREFIXES)
        }

    def iter_episode_tables(self) -> Iterator[tuple[dict[str, Any], pa.Table]]:
        """Yield (episode row, its frames) in episode order, reading each data file once."""
        tables = EpisodeTables(keep=1)
        for row in self.episodes:
            yield row, tables.frames(self, row)


class EpisodeTables:
    """Reads episodes' frames from data files, keeping the most recently used files (a merge
    in another order than the sources' returns to a file once per episode it holds)."""

    def __init__(self, keep: int = 32) -> None:
        self._keep = keep
        self._files: OrderedDict[Path, tuple[pa.Table, int]] = OrderedDict()

    def frames(self, source: DatasetContents, row: dict[str, Any]) -> pa.Table:
        """The frames of episode `row` of `source`."""
        path = source.root / data_path(int(row[DATA_CHUNK]), int(row[DATA_FILE]))
        if path in self._files:
            self._files.move_to_end(path)
        else:
            table = pq.read_table(path)
            first = int(table.column("index")[0].as_py()) if table.num_rows else 0
            self._files[path] = (table, first)
            if len(self._files) > self._keep:
                self._files.popitem(last=False)
        table, first = self._files[path]
        start, stop = int(row[FROM_INDEX]), int(row[TO_INDEX])
        return table.slice(start - first, stop - start)


def open_dataset(root: Path) -> DatasetContents:
    """Load the metadata of the published dataset at `root`.

    Raises:
        InvalidDatasetError: if `root` is not a complete dataset or its metadata is unreadable.
    """
    if not is_complete(root):
        raise InvalidDatasetError(str(root), [f"missing {INFO_PATH} (not a published dataset)"])
    try:
        info = DatasetInfo.model_validate(json.loads((root / INFO_PATH).read_text("utf-8")))
        task_map = read_tasks(root / TASKS_PATH)
        episodes = read_episodes(root)
        documents = {
            path.stem: json.loads(path.read_text("utf-8"))
            for path in sorted((root / "meta").glob("*.json"))
            if path.stem not in RESERVED_DOCUMENTS
        }
    except (OSError, ValueError, ValidationError, pa.ArrowException) as exc:
        raise InvalidDatasetError(str(root), [f"unreadable metadata: {exc}"]) from exc
    tasks = sorted(task_map, key=lambda task: task_map[task])
    return DatasetContents(root, info, tasks, episodes, documents)


def published_datasets(parent: Path, *, finish_interrupted: bool = True) -> list[Path]:
    """Complete dataset directories directly under `parent`, sorted by name (for merging).

    Publishes first any complete staging tree whose final rename a killed writer never did,
    so a dataset whose info.json was written is never regenerated. Pass
    `finish_interrupted=False` to only look at a folder another live process writes to (its
    writer renames its own staging trees).
    """
    if not parent.is_dir():
        return []
    for staging in parent.glob(".*.staging") if finish_interrupted else ():
        finish_publish(parent / staging.name[1 : -len(".staging")])
    return sorted(p for p in parent.iterdir() if not p.name.startswith(".") and is_complete(p))
