"""Removal of the shard parts, claims and checkpoints of runs with another fingerprint.

Called only after the new dataset is published: until then a killed rerun must still be
able to fall back on nothing worse than starting over, and the previous dataset stays whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from episode_generation_job.episode_layout import RUN_PREFIX, SHARDS_DIR
from tools.scene_layout import CHECKPOINTS_DIR
from tools.storage import LocalStorage, Storage
from tools.structured_logging import get_logger, log_fields

log = get_logger("episodes.stale_runs")
# Checkpoint names of shard trackers: this layout's, and the one before runs had fingerprints.
_TRACKER_PREFIXES = (f"episodes.{RUN_PREFIX}", "episodes.shard-")


def _stale_local_entries(scene_dir: Path, run: Path) -> list[Path]:
    root = scene_dir / SHARDS_DIR
    if not root.is_dir():
        return []
    return sorted(entry for entry in root.iterdir() if entry.name != run.name)


def remove_stale_runs(scene_dir: Path, storage: Storage, run: Path) -> int:
    """Delete everything under `episodes/shards/` but `run`, and other runs' checkpoints.

    Args:
        scene_dir: the local scene folder (the storage root, or a staging copy on Cloud Run).
        storage: the scene's storage (the bucket on Cloud Run).
        run: the folder of the run whose dataset was just published.

    Returns:
        How many folders, files or objects were removed.
    """
    removed = 0
    for entry in _stale_local_entries(scene_dir, run):
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if not isinstance(storage, LocalStorage):
        keep = f"{SHARDS_DIR}/{run.name}/"
        for key in storage.list(f"{SHARDS_DIR}/"):
            if not key.startswith(keep):
                storage.delete(key)
                removed += 1
    own = f"episodes.{run.name}."
    for key in storage.list(f"{CHECKPOINTS_DIR}/"):
        name = key.rsplit("/", 1)[-1]
        if name.startswith(_TRACKER_PREFIXES) and not name.startswith(own):
            storage.delete(key)
            removed += 1
    if removed:
        log.info("stale runs removed", extra=log_fields(removed=removed, kept=run.name))
    return removed
