"""Where the episode job writes: shards, parts, episode keys and reports (no heavy imports:
the job's parent process uses them before it loads any engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from tools import scene_layout

EPISODES_DIR: Final = scene_layout.EPISODES_DIR
SHARDS_DIR: Final = scene_layout.EPISODE_SHARDS_DIR
SHARD_SUMMARY: Final = "summary.json"
CLAIMS_NAME: Final = ".claims"  # slots taken by local workers of a run (see slot_claims)
RUN_PREFIX: Final = "run-"
SUMMARY_PATH: Final = scene_layout.EPISODES_SUMMARY_PATH
PREVIEW_PATH: Final = scene_layout.EPISODES_PREVIEW_PATH


def episode_key(slot: int) -> str:
    """The identity of the episode filling slot `slot` (stable across shards and restarts)."""
    return f"ep-{slot:06d}"


def shard_name(index: int, count: int) -> str:
    """Folder name of one shard."""
    return f"shard-{index:04d}-of-{count:04d}"


def run_dir(scene_dir: Path, fingerprint: str) -> Path:
    """The folder of one run's shards and claims, named after its fingerprint (see
    `run_fingerprint`): a rerun with other inputs or settings never sees its parts."""
    return scene_dir / SHARDS_DIR / f"{RUN_PREFIX}{fingerprint[:16]}"


def claims_dir(run: Path) -> Path:
    """Where the local workers of a run claim slots."""
    return run / CLAIMS_NAME


def shard_dir(run: Path, index: int, count: int) -> Path:
    """Where a shard of a run (`run_dir`) publishes its part datasets."""
    return run / shard_name(index, count)


def tracker_name(run: Path, index: int, count: int) -> str:
    """The checkpoint name of a shard's PartialFailureTracker (its run's fingerprint in it)."""
    return f"episodes.{run.name}.{shard_name(index, count)}"


def part_dir(shard: Path, number: int) -> Path:
    """The `number`-th part dataset of a shard."""
    return shard / f"part-{number:06d}"
