"""Quarantine of rejected episodes: `geniesim/import/quarantine/<episode>/` with reason.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

QUARANTINE_DIR = "quarantine"
REASON_FILE = "reason.json"
EPISODE_FILES_DIR = "episode"  # the episode's own files, as they were in the archive


def quarantine(
    folder: Path | None, name: str, reasons: list[str], dest: Path, archive: str
) -> Path:
    """Move a rejected episode under `dest/<name>/episode/` and write `dest/<name>/reason.json`.

    Args:
        folder: the unpacked episode folder (None when there is nothing to keep).
        name: the episode's folder name (one path component, checked on extraction).
        reasons: every problem found.
        dest: the quarantine folder.
        archive: sha256 of the archive the episode came from.

    Returns:
        The episode's quarantine folder.
    """
    target = dest / name
    target.mkdir(parents=True, exist_ok=True)
    if folder is not None and folder.is_dir():
        shutil.move(str(folder), str(target / EPISODE_FILES_DIR))
    document = {"episode": name, "reasons": reasons, "archive_sha256": archive}
    (target / REASON_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return target
