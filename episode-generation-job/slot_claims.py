"""First-come slot claims among the local workers of one run, so a faster worker takes more
slots instead of waiting for a slower one (cores differ in speed: efficiency cores, a busy
neighbour on a shared host).

A claim is a file named after the slot's episode key, created with O_CREAT | O_EXCL in a
folder every worker of the run shares: the kernel lets exactly one creator win. The parent
empties the folder before it starts the workers (claims of a killed run mean nothing: the
published parts are the truth, and a slot that was claimed but never published is free
again). Episodes do not depend on which worker runs them (each attempt is seeded by slot and
attempt), and the merge orders episodes by slot, so the dataset does not either.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from episode_generation_job.episode_layout import claims_dir, episode_key
from tools.errors import ConfigError


def reset_claims(run: Path) -> Path:
    """Empty (or create) the claims folder of a run; call it before any worker starts.

    Args:
        run: the run's folder (`episode_layout.run_dir`).

    Returns:
        The claims folder.
    """
    folder = claims_dir(run)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class SlotClaims:
    """One worker's view of the shared claims folder."""

    def __init__(self, folder: Path, owner: str) -> None:
        """Claim slots in `folder` as `owner` (the shard name, written into each claim).

        Raises:
            ConfigError: the folder does not exist (claims were asked for outside a run
                whose parent prepared them).
        """
        if not folder.is_dir():
            raise ConfigError(
                "SLOT_ASSIGNMENT",
                f"claim needs the claims folder {folder} the job prepares for its workers",
                hint="leave SLOT_ASSIGNMENT unset and use WORKERS=N",
            )
        self.folder = folder
        self.owner = owner

    def take(self, slot: int) -> bool:
        """Claim `slot` for this worker; False when another worker already has it.

        Raises:
            OSError: the folder is not writable.
        """
        try:
            fd = os.open(self.folder / episode_key(slot), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        try:
            os.write(fd, self.owner.encode())
        finally:
            os.close(fd)
        return True
