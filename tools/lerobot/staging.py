"""Staging and publishing of a dataset directory: a crash never leaves a tree that looks complete.

A dataset is assembled in a sibling directory `.<name>.staging` and published by renaming it
to `<name>` after meta/info.json (written last) exists. Replacing an existing dataset (append)
renames the old tree to `.<name>.retired` first and deletes it after the swap. `recover()`
finishes or undoes whatever a killed process left: a complete staging tree whose publish was
interrupted is published; incomplete staging and retired trees are deleted. One writer per
root at a time; concurrent writers must use different roots (e.g. one per shard).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from tools.lerobot.errors import DatasetStateError
from tools.lerobot.format import DATA_DIR, INFO_PATH, VIDEOS_DIR


def staging_dir(root: Path) -> Path:
    """Where the dataset for `root` is assembled."""
    return root.with_name(f".{root.name}.staging")


def retired_dir(root: Path) -> Path:
    """Where a replaced dataset waits for deletion during a publish."""
    return root.with_name(f".{root.name}.retired")


def is_complete(root: Path) -> bool:
    """Whether `root` holds a published dataset (meta/info.json is written last)."""
    return (root / INFO_PATH).is_file()


def finish_publish(root: Path) -> None:
    """Publish a complete staging tree of `root` whose rename a killed process never did."""
    staging = staging_dir(root)
    if not root.exists() and is_complete(staging):
        with contextlib.suppress(FileNotFoundError):  # someone else just published it
            staging.rename(root)


def recover(root: Path) -> None:
    """Finish an interrupted publish of `root`, then delete leftover staging/retired trees."""
    finish_publish(root)
    for leftover in (staging_dir(root), retired_dir(root)):
        if leftover.exists():
            shutil.rmtree(leftover)


def prepare(root: Path, *, keep_existing: bool) -> Path:
    """Create a fresh staging tree for `root` and return it.

    Args:
        root: the dataset directory to (re)publish.
        keep_existing: hard-link the existing dataset's data and video files into staging so
            new episodes are added to it (its meta/ is rewritten, never modified in place).

    Raises:
        DatasetStateError: if `root` is a complete dataset and `keep_existing` is False, or
            `root` is a non-empty directory that is not a dataset.
    """
    recover(root)
    if is_complete(root) and not keep_existing:
        raise DatasetStateError(
            f"{root}: a dataset already exists", hint="open it with append=True or pick a new root"
        )
    if root.exists() and not is_complete(root) and any(root.iterdir()):
        raise DatasetStateError(f"{root}: not empty and not a dataset; refusing to replace it")
    staging = staging_dir(root)
    staging.mkdir(parents=True)
    if keep_existing and is_complete(root):
        for sub in (DATA_DIR, VIDEOS_DIR):
            if (root / sub).is_dir():
                shutil.copytree(root / sub, staging / sub, copy_function=_link_or_copy)
    return staging


def publish(staging: Path, root: Path) -> None:
    """Move a complete staging tree to `root`, replacing what was there."""
    if not is_complete(staging):
        raise DatasetStateError(f"{staging}: incomplete (no {INFO_PATH}); not publishing")
    retired = retired_dir(root)
    if root.exists():
        root.rename(retired)
    staging.rename(root)
    if retired.exists():
        shutil.rmtree(retired)


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link (instant, no extra space); copy where the filesystem cannot link."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
