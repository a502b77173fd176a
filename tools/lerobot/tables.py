"""Parquet and JSON files of the format: rolling frame-data files, tasks, episode rows, metadata."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from tools.lerobot.format import (
    EPISODE_INDEX,
    EPISODES_DIR,
    META_CHUNK,
    META_FILE,
    TASK_INDEX_COLUMN,
    TASKS_INDEX_FIELD,
    FeatureSpec,
    data_path,
    next_chunk_file,
)

_ARROW_TYPES = {
    "float32": pa.float32(),
    "float64": pa.float64(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "uint16": pa.uint16(),
}
_MB = 1024 * 1024
HF_METADATA_KEY = "huggingface"


def arrow_type(spec: FeatureSpec) -> pa.DataType:
    """Column type lerobot's loader expects: a scalar for shape (1,), else a fixed-size list."""
    value_type = _ARROW_TYPES[spec.dtype]
    return value_type if spec.shape == (1,) else pa.list_(value_type, spec.shape[0])


def is_integer(column_type: pa.DataType) -> bool:
    """Whether a data column (a scalar or a fixed-size list) holds integers."""
    if pa.types.is_fixed_size_list(column_type) or pa.types.is_list(column_type):
        column_type = column_type.value_type
    return bool(pa.types.is_integer(column_type))


def data_schema(features: Mapping[str, FeatureSpec]) -> pa.Schema:
    """Schema of the data files: one column per non-video feature, in feature order.

    It carries the `huggingface` metadata lerobot's own files carry (the `datasets` library's
    Features), so `datasets` and the Hub's viewer read the types instead of guessing them.
    """
    numeric = {name: spec for name, spec in features.items() if spec.dtype != "video"}
    hf_features = {name: hf_feature(spec) for name, spec in numeric.items()}
    return pa.schema(
        [(name, arrow_type(spec)) for name, spec in numeric.items()],
        metadata={HF_METADATA_KEY: json.dumps({"info": {"features": hf_features}})},
    )


def hf_feature(spec: FeatureSpec) -> dict[str, Any]:
    """A numeric feature as `datasets.Features.to_dict()` (datasets 4) writes it."""
    value = {"dtype": spec.dtype, "_type": "Value"}
    if spec.shape == (1,):
        return value
    return {"feature": value, "length": spec.shape[0], "_type": "List"}


def index_columns(
    length: int, fps: int, episode_index: int, first_index: int, task_index: int
) -> dict[str, npt.NDArray[Any]]:
    """The columns computed for every frame: timestamp (float32 frame_index / fps) and indices."""
    frame_index = np.arange(length, dtype=np.int64)
    return {
        "timestamp": (frame_index / fps).astype(np.float32),
        "frame_index": frame_index,
        "episode_index": np.full(length, episode_index, dtype=np.int64),
        "index": frame_index + first_index,
        "task_index": np.full(length, task_index, dtype=np.int64),
    }


def episode_table(schema: pa.Schema, columns: Mapping[str, npt.NDArray[Any]]) -> pa.Table:
    """One episode's frames as a table of `schema` (columns given as (T,) or (T, n) arrays)."""
    arrays = []
    for field in schema:
        values = np.asarray(columns[field.name])
        if pa.types.is_fixed_size_list(field.type):
            flat = pa.array(values.reshape(-1), type=field.type.value_type)
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, type=field.type))
        else:
            arrays.append(pa.array(values.reshape(-1), type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def column_to_numpy(table: pa.Table, name: str) -> npt.NDArray[Any]:
    """A scalar column as (T,), a fixed-size-list column as (T, n)."""
    column = table.column(name).combine_chunks()
    if pa.types.is_fixed_size_list(column.type):
        width = column.type.list_size
        return np.asarray(column.flatten().to_numpy(zero_copy_only=False)).reshape(-1, width)
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _compression(schema: pa.Schema) -> dict[str, str]:
    """Per parquet leaf column: snappy (lerobot's choice), but zstd for per-pixel layers (uint16
    lists), where it writes about two thirds of snappy's bytes at a similar speed."""
    codecs: dict[str, str] = {}
    for field in schema:
        layer = pa.types.is_fixed_size_list(field.type) and field.type.value_type == pa.uint16()
        leaf = (
            f"{field.name}.list.element" if pa.types.is_fixed_size_list(field.type) else field.name
        )
        codecs[leaf] = "zstd" if layer else "snappy"
    return codecs


class DataFileWriter:
    """Owns the open data parquet file: one row group per episode, a new file past the limit."""

    def __init__(
        self,
        root: Path,
        schema: pa.Schema,
        size_limit_mb: float,
        chunks_size: int,
        first: tuple[int, int],
    ) -> None:
        self._root = root
        self._schema = schema
        self._limit_bytes = size_limit_mb * _MB
        self._chunks_size = chunks_size
        self._next = first
        self._current: tuple[int, int] | None = None
        self._sink: Any = None
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> tuple[int, int]:
        """Append one episode as one row group; return its (chunk_index, file_index)."""
        if self._writer is not None and self._sink.tell() >= self._limit_bytes:
            self.close()
        if self._writer is None:
            chunk, file = self._next
            path = self._root / data_path(chunk, file)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._sink = pa.OSFile(str(path), "wb")
            codecs = _compression(self._schema)
            self._writer = pq.ParquetWriter(
                self._sink,
                self._schema,
                compression=codecs,
                # a layer's thousands of distinct values only cost a dictionary attempt, and
                # its min/max per page nothing a reader filters on
                use_dictionary=[leaf for leaf, codec in codecs.items() if codec != "zstd"],
                write_statistics=[leaf for leaf, codec in codecs.items() if codec != "zstd"],
                data_page_version="1.0",  # v2 pages cost ~25 % more CPU on layer lists
            )
            self._current = (chunk, file)
            self._next = next_chunk_file(chunk, file, self._chunks_size)
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        assert self._current is not None
        return self._current

    def close(self) -> None:
        """Write the footer and close the current file (safe to call twice)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def write_tasks(path: Path, tasks: Sequence[str]) -> None:
    """meta/tasks.parquet exactly as pandas writes `DataFrame({"task_index": ...}, index=tasks)`."""
    pandas_meta = {
        "index_columns": [TASKS_INDEX_FIELD],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [
            _pandas_column(TASK_INDEX_COLUMN, TASK_INDEX_COLUMN, "int64", "int64"),
            _pandas_column(None, TASKS_INDEX_FIELD, "unicode", "object"),
        ],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
    }
    table = pa.table(
        {
            TASK_INDEX_COLUMN: pa.array(range(len(tasks)), type=pa.int64()),
            TASKS_INDEX_FIELD: pa.array(list(tasks), type=pa.string()),
        }
    ).replace_schema_metadata({"pandas": json.dumps(pandas_meta)})
    _write_table_atomic(path, table)


def _pandas_column(name: str | None, field: str, pandas_type: str, numpy_type: str) -> Any:
    return {
        "name": name,
        "field_name": field,
        "pandas_type": pandas_type,
        "numpy_type": numpy_type,
        "metadata": None,
    }


def read_tasks(path: Path) -> dict[str, int]:
    """Task string -> task_index from meta/tasks.parquet (the pandas index names the task).

    Raises:
        ValueError: if the file has no pandas string index column.
    """
    table = pq.read_table(path)
    meta = table.schema.pandas_metadata or {}
    index_columns = meta.get("index_columns") or []
    if len(index_columns) != 1 or not isinstance(index_columns[0], str):
        raise ValueError(f"{path}: not indexed by a task string column (pandas metadata)")
    tasks = table.column(index_columns[0]).to_pylist()
    indices = table.column(TASK_INDEX_COLUMN).to_pylist()
    if sorted(indices) != list(range(len(indices))) or len(set(tasks)) != len(tasks):
        raise ValueError(f"{path}: task_index is not 0..{len(indices) - 1} over unique tasks")
    return {str(task): int(i) for task, i in zip(tasks, indices, strict=True)}


def write_episodes(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """One row per episode, missing values as nulls, in an order that depends on the rows'
    values only (not on which shard wrote which row): columns every row fills, in their
    first-seen order; then the others by name; then the meta/episodes placement."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    filled = [n for n in names if all(row.get(n) is not None for row in rows)]
    placement = [n for n in (META_CHUNK, META_FILE) if n in names]
    sparse = sorted(set(names) - set(filled) - set(placement))
    order = [n for n in filled if n not in placement] + sparse + placement
    table = pa.table({name: pa.array([row.get(name) for row in rows]) for name in order})
    _write_table_atomic(path, table)


def read_episodes(root: Path) -> list[dict[str, Any]]:
    """Every episode row of a dataset (all meta/episodes files), sorted by episode_index."""
    rows: list[dict[str, Any]] = []
    for path in sorted((root / EPISODES_DIR).glob("chunk-*/file-*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return sorted(rows, key=lambda row: int(row[EPISODE_INDEX]))


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON through a temporary file and a rename (never a half-written file)."""
    write_text_atomic(path, json.dumps(document, indent=4, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_table_atomic(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, str(tmp), compression="snappy")
    os.replace(tmp, path)
