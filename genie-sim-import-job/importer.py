"""The import: results archive -> checked episodes -> LeRobot v3.0 + quarantine + report."""

# Everything is built in `geniesim/.import-staging/` and swapped in as `geniesim/import/` once
# complete, so a rejected archive (unsafe, corrupt, empty) leaves no file behind and a rerun
# never mixes two imports. Too few good episodes fail the step after the good ones are kept.


from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from genie_sim_import_job.archive import locate_archive, unpack
from genie_sim_import_job.dataset import add_episode, open_writer
from genie_sim_import_job.episode_reader import Episode, EpisodeRejected, Layout, read_episode
from genie_sim_import_job.quarantine import QUARANTINE_DIR, quarantine
from tools.errors import InputError
from tools.lerobot import FeatureError, validate_dataset
from tools.partial_failure import PartialFailureTracker
from tools.provenance import sha256_file
from tools.scene_layout import GENIESIM_IMPORT_DIR, SCENE_USD_PATH
from tools.storage import LocalStorage, Storage
from tools.structured_logging import get_logger, log_fields

log = get_logger(__name__)
STEP_NAME = "geniesim-import"
LEROBOT_SUBDIR = "lerobot"
REPORT_FILE = "import_report.json"


@dataclass(frozen=True)
class ImportOptions:
    """How to import (from the job settings)."""

    results_path: str
    min_success_rate: float = 0.5
    codec: str = "h264"
    max_unpacked_bytes: int = 16 * 2**30


def _layout_differences(layout: Layout, reference: Layout) -> str:
    fields = [k for k, v in asdict(layout).items() if asdict(reference)[k] != v]
    return f"layout differs from the other episodes' ({', '.join(fields)})"


def _check_episodes(
    folders: list[Path],
) -> tuple[list[Episode], dict[str, tuple[Path | None, list[str]]]]:
    episodes: list[Episode] = []
    rejected: dict[str, tuple[Path | None, list[str]]] = {}
    for folder in folders:
        try:
            episodes.append(read_episode(folder))
        except EpisodeRejected as exc:
            rejected[folder.name] = (folder, exc.reasons)
    if episodes:
        reference = Counter(e.layout for e in episodes).most_common(1)[0][0]
        for episode in [e for e in episodes if e.layout != reference]:
            episodes.remove(episode)
            reason = _layout_differences(episode.layout, reference)
            rejected[episode.name] = (episode.folder, [reason])
    return episodes, rejected


def _write_dataset(
    root: Path, episodes: list[Episode], options: ImportOptions, scene_sha: str | None
) -> tuple[dict[str, int], dict[str, list[str]]]:
    written: dict[str, int] = {}
    failed: dict[str, list[str]] = {}
    writer = open_writer(root, episodes[0].layout, options.codec, scene_sha)
    try:
        for episode in episodes:
            try:
                written[episode.name] = add_episode(writer, episode)
            except (FeatureError, ValueError, OSError) as exc:
                failed[episode.name] = [f"conversion failed: {exc}"]
        if written:
            writer.finalize()
        else:
            writer.abort()
    except BaseException:
        writer.abort()
        raise
    return written, failed


def _swap_in(staging: Path, final: Path) -> None:
    previous = final.parent / ".import-previous"
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    shutil.rmtree(previous, ignore_errors=True)


def import_results(scene_dir: Path, storage: Storage, options: ImportOptions) -> dict[str, Any]:
    """Import a Genie Sim results archive of the scene into `geniesim/import/`.

    Args:
        scene_dir: the local scene folder.
        storage: the scene's storage (archive download, partial-failure checkpoint).
        options: archive path, success threshold, codec, size limit.

    Returns:
        The import report (also written to geniesim/import/import_report.json).

    Raises:
        InputError: no archive, an unsafe or corrupt archive (UnsafeArchiveError), or no
            episode folder in it; nothing is written then.
        PartialFailureError: fewer good episodes than `min_success_rate`; the good ones and
            the quarantine are kept.
    """
    archive = locate_archive(scene_dir, storage, options.results_path)
    digest = sha256_file(archive)
    final = scene_dir / GENIESIM_IMPORT_DIR
    work, staging = final.parent / ".import-work", final.parent / ".import-staging"
    for leftover in (work, staging):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        recording = unpack(archive, work, options.max_unpacked_bytes)
        folders = sorted(p for p in recording.iterdir() if p.is_dir())
        if not folders:
            raise InputError(options.results_path, "the archive holds no episode folder")
        episodes, rejected = _check_episodes(folders)
        scene_usd = scene_dir / SCENE_USD_PATH
        scene_sha = sha256_file(scene_usd) if scene_usd.is_file() else None
        staging.mkdir(parents=True)
        written: dict[str, int] = {}
        if episodes:
            written, failed = _write_dataset(staging / LEROBOT_SUBDIR, episodes, options, scene_sha)
            rejected.update({name: (None, reasons) for name, reasons in failed.items()})
        tracker = PartialFailureTracker(
            storage, f"{STEP_NAME}-{digest[:16]}", options.min_success_rate
        )
        for name, index in written.items():
            tracker.record_success(name, {"episode_index": index})
        for name, (folder, reasons) in sorted(rejected.items()):
            quarantine(folder, name, reasons, staging / QUARANTINE_DIR, digest)
            tracker.record_failure(name, EpisodeRejected(name, reasons))
        problems = validate_dataset(staging / LEROBOT_SUBDIR) if written else []
        if problems:
            raise RuntimeError(f"the imported dataset is inconsistent: {problems[:5]}")
        report = {
            "archive": options.results_path,
            "archive_sha256": digest,
            "episodes": len(folders),
            "imported": dict(sorted(written.items())),
            "quarantined": {name: reasons for name, (_, reasons) in sorted(rejected.items())},
            "dataset": f"{GENIESIM_IMPORT_DIR}/{LEROBOT_SUBDIR}" if written else None,
            "frames": sum(e.length for e in episodes if e.name in written),
            "success_rate": round(tracker.success_rate, 4),
        }
        (staging / REPORT_FILE).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        _swap_in(staging, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "imported %d of %d Genie Sim episodes",
        len(written),
        len(folders),
        extra=log_fields(imported=len(written), quarantined=len(rejected)),
    )
    if tracker.success_rate < options.min_success_rate and not isinstance(storage, LocalStorage):
        # The runner uploads outputs only on success: keep the good episodes and the
        # quarantine in the bucket before failing.
        storage.upload_tree(final, GENIESIM_IMPORT_DIR)
    tracker.finalize()
    return report
