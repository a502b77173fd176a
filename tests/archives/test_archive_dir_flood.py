"""A tar of countless directory entries is refused by the count limit before any mkdir."""

import io
import os
import tarfile

import pytest

from tools.archives import UnsafeArchiveError, safe_extract_tar


def _dir_flood(path, count: int) -> None:
    with tarfile.open(path, "w") as tar:
        for index in range(count):
            info = tarfile.TarInfo(f"d{index // 100:03d}/e{index:05d}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        tar.addfile(tarfile.TarInfo("late.txt"), io.BytesIO(b""))


def test_directory_flood_is_refused_before_the_filesystem_is_touched(tmp_path, monkeypatch):
    archive = tmp_path / "flood.tar"
    _dir_flood(archive, 3000)
    made: list[str] = []
    real_mkdir = os.mkdir

    def counting_mkdir(path, mode=0o777, *, dir_fd=None):
        made.append(str(path))
        return real_mkdir(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", counting_mkdir)
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match="more than 2000 members"):
        safe_extract_tar(archive, out, max_members=2000)
    # Only the output and the private staging folder itself (root, tree, replaced) were made.
    staging = {"tree", "replaced", str(out)}
    members = [m for m in made if m not in staging and not m.startswith(".bp-extract-")]
    assert members == []
    assert not out.exists()  # the output folder it made for the archive is gone again


def test_directory_entries_are_still_extracted(tmp_path):
    archive = tmp_path / "few.tar"
    _dir_flood(archive, 250)
    summary = safe_extract_tar(archive, tmp_path / "out")
    assert summary.directories == 250 and summary.files == 1
    assert (tmp_path / "out/d002/e00249").is_dir() and (tmp_path / "out/late.txt").is_file()
