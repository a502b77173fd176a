"""Untrusted results archives: traversal, links and corruption are refused, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genie_sim_import_job.step import STEP
from tools.archives import UnsafeArchiveError
from tools.archives.testing import Entry, file, snapshot, symlink, write_tar
from tools.config import load_settings
from tools.job_runner import execute_step

KEY = "geniesim/results.tar.gz"


def _attempt(scene: Path) -> None:
    settings = load_settings(STEP.settings_cls, {"SCENE_ID": scene.name, "SCENE_DIR": str(scene)})
    execute_step(STEP, settings)


def _scene_with(tmp_path: Path, archive: Path) -> Path:
    scene = tmp_path / "scene_1"
    (scene / "geniesim").mkdir(parents=True)
    shutil.copyfile(archive, scene / KEY)
    return scene


def _assert_rejected(tmp_path: Path, archive: Path) -> None:
    scene = _scene_with(tmp_path, archive)
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError) as info:
        _attempt(scene)
    assert info.value.exit_code == 2
    after = {k: v for k, v in snapshot(tmp_path).items() if "/.markers" not in f"/{k}"}
    assert after == before  # nothing but the failure marker was written
    assert list((scene / ".markers").glob("geniesim-import.failed-*.json"))


@pytest.mark.parametrize(
    "entries",
    [
        [file("recording_data/t_0/../../../escape.txt")],
        [file("/abs/recording_data/t_0/meta_info.json")],
        [symlink("recording_data/t_0", "/etc"), file("recording_data/t_0/passwd")],
        [file("recording_data/t_0/meta_info.json"), symlink("recording_data/t_1", "../..")],
    ],
    ids=["traversal", "absolute", "symlink-then-file", "symlink"],
)
def test_malicious_archive_is_rejected_with_nothing_written(
    tmp_path: Path, entries: list[Entry]
) -> None:
    """Path traversal and symlink members: UnsafeArchiveError, a failure marker, no output."""
    _assert_rejected(tmp_path, write_tar(tmp_path / "evil.tar.gz", entries, "tar.gz"))


def test_truncated_archive_is_rejected(tmp_path: Path, good_archive: Path) -> None:
    """A truncated .tar.gz is corrupt: rejected before any episode is written."""
    data = good_archive.read_bytes()
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    _assert_rejected(tmp_path, truncated)


def test_not_an_archive_is_rejected(tmp_path: Path) -> None:
    """Random bytes are not an archive."""
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all" * 100)
    _assert_rejected(tmp_path, junk)
