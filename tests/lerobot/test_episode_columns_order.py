"""The episodes table's column order depends on the rows' values, not on which shard wrote
which row (Cloud Run's two shards and a local run must publish the same bytes)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from tools.lerobot.format import META_CHUNK, META_FILE
from tools.lerobot.tables import write_episodes


def _row(index: int, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {"episode_index": index, "length": 10, "checks/released": True}
    row.update(extra)
    row[META_CHUNK], row[META_FILE] = 0, 0
    return row


def test_columns_some_rows_lack_come_in_one_order_whatever_the_rows_order(
    tmp_path: Path,
) -> None:
    """A stack episode's own checks, first seen in another row (or another shard's table,
    whose rows already carry the placement columns), land in the same place."""
    place_on = _row(0, **{"checks/tilt_deg": 1.0})
    stack = _row(1, **{"checks/tilt_deg": 2.0, "checks/lower_shift_m": 0.01})
    drawer = _row(2, **{"checks/tilt_deg": 3.0, "tray": "drawer_0"})
    orders = []
    for k, rows in enumerate(([place_on, stack, drawer], [stack, drawer, place_on])):
        write_episodes(tmp_path / f"{k}.parquet", rows)
        orders.append(pq.read_table(tmp_path / f"{k}.parquet").column_names)
    assert orders[0] == orders[1]
    assert orders[0] == [
        "episode_index", "length", "checks/released", "checks/tilt_deg",
        "checks/lower_shift_m", "tray", META_CHUNK, META_FILE,
    ]  # fmt: skip
