"""Where the episode job writes: shards, parts, episode keys and reports (no heavy imports:
the job's parent process uses them before it loads any engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

EPISODES_DIR: Final = "episodes"
SHARDS_DIR: Final = "episodes/shards"
SHARD_SUMMARY: Final = "summary.json"
CLAIMS_DIR: Final = "episodes/shards/.claims"  # slots taken by local workers (see slot_claims)
SUMMARY_PATH: Final = "reports/episodes_summary.json"
PREVIEW_PATH: Final = "reports/episodes_preview.mp4"


def episode_key(slot: int) -> str:
    """The identity of the episode filling slot `slot` (stable across shards and restarts)."""
    return f"ep-{slot:06d}"


def shard_name(index: int, count: int) -> str:
    """Folder name of one shard."""
    return f"shard-{index:04d}-of-{count:04d}"


def shard_dir(scene_dir: Path, index: int, count: int) -> Path:
    """Where a shard publishes its part datasets."""
    return scene_dir / SHARDS_DIR / shard_name(index, count)


def part_dir(shard: Path, number: int) -> Path:
    """The `number`-th part dataset of a shard."""
    return shard / f"part-{number:06d}"
