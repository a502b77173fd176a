"""The output directory: atomic commit, links already there never followed, full rollback."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from tools.archives import UnsafeArchiveError, safe_extract_tar, safe_extract_zip
from tools.archives.staging import STAGING_PREFIX, StagingTree
from tools.archives.testing import directory, file, snapshot, write_tar, write_zip, zip_entry


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """An `outside` directory with a sentinel and an output dir holding links that point out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sentinel.txt").write_text("original")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    os.symlink(outside, out / "link")
    os.symlink(outside / "sentinel.txt", out / "file_link")
    os.symlink(outside, out / "sub" / "link")
    return {"outside": outside, "out": out, "archives": tmp_path}


def test_links_in_the_output_are_replaced_never_followed(world):
    """Archive entries named like links in the output replace the links, not their targets."""
    before_outside = snapshot(world["outside"])
    entries = [
        file("link/pwned.txt", b"in"),
        file("file_link", b"replaced"),
        file("sub/link", b"file now"),
    ]
    safe_extract_tar(write_tar(world["archives"] / "a.tar", entries), world["out"])
    assert snapshot(world["outside"]) == before_outside
    out = world["out"]
    assert stat.S_ISDIR((out / "link").lstat().st_mode)
    assert (out / "link/pwned.txt").read_bytes() == b"in"
    assert stat.S_ISREG((out / "file_link").lstat().st_mode)
    assert (out / "file_link").read_bytes() == b"replaced"
    assert (out / "sub/link").read_bytes() == b"file now"


def test_directory_in_the_output_where_archive_has_a_file_is_refused(world):
    """A file cannot replace an existing directory: refused before anything moves."""
    entries = [file("a_new_file.txt"), file("sub", b"not a dir")]
    archive = write_tar(world["archives"] / "a.tar", entries)
    before = snapshot(world["archives"])
    with pytest.raises(UnsafeArchiveError, match="output directory has a directory there"):
        safe_extract_tar(archive, world["out"])
    assert snapshot(world["archives"]) == before


@pytest.mark.parametrize("target", ["symlink", "file"])
def test_output_directory_must_be_a_real_directory(world, target):
    """An output path that is a link (or a file) is refused; the link target is untouched."""
    dest = world["archives"] / "dest"
    if target == "symlink":
        os.symlink(world["outside"], dest)
    else:
        dest.write_text("file")
    archive = write_zip(world["archives"] / "a.zip", [(zip_entry("x.txt"), b"x")])
    before = snapshot(world["archives"])
    with pytest.raises(UnsafeArchiveError, match="symbolic link or not a directory"):
        safe_extract_zip(archive, dest)
    assert snapshot(world["archives"]) == before


def test_failure_during_commit_restores_the_output(world, monkeypatch):
    """If a move fails half-way through the commit, every earlier move is undone."""
    out = world["out"]
    (out / "old.txt").write_text("old")
    entries = [file("a.txt"), file("b.txt"), file("old.txt", b"new"), file("z.txt")]
    archive = write_tar(world["archives"] / "a.tar", entries)
    before = snapshot(world["archives"])
    real_rename = os.rename
    calls = []

    def failing_rename(*args, **kwargs):
        calls.append(args)
        if len(calls) == 5:  # a.txt, b.txt, old.txt set aside, old.txt moved, z.txt fails
            raise OSError(errno.EIO, "simulated I/O error")
        return real_rename(*args, **kwargs)

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(OSError, match="simulated"):
        safe_extract_tar(archive, out)
    monkeypatch.setattr(os, "rename", real_rename)
    assert snapshot(world["archives"]) == before


def test_staging_directory_is_private_and_removed(tmp_path):
    """The staging directory is mode 0700 inside the output and vanishes on close (twice ok)."""
    staging = StagingTree(tmp_path / "out")
    (entry,) = (tmp_path / "out").iterdir()
    assert entry.name.startswith(STAGING_PREFIX)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o700
    staging.close()
    staging.close()
    assert not (tmp_path / "out").exists()


def test_missing_archive_touches_nothing(tmp_path):
    """A missing archive raises FileNotFoundError before the output is created."""
    with pytest.raises(FileNotFoundError):
        safe_extract_tar(tmp_path / "nope.tar", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_directory_member_over_an_existing_file_member_is_refused(tmp_path):
    """A directory member cannot turn an earlier file into a directory."""
    archive = write_tar(tmp_path / "a.tar", [file("a/b"), directory("a/b/c")])
    with pytest.raises(UnsafeArchiveError, match="parent path is not a directory"):
        safe_extract_tar(archive, tmp_path / "out")
    archive = write_tar(tmp_path / "b.tar", [file("x"), directory("./x/")])
    with pytest.raises(UnsafeArchiveError, match="duplicate"):
        safe_extract_tar(archive, tmp_path / "out")


def test_file_member_over_an_implicit_directory_is_refused(tmp_path):
    """A file member cannot replace a directory created for an earlier member."""
    archive = write_tar(tmp_path / "a.tar", [file("a/b.txt"), file("a")])
    with pytest.raises(UnsafeArchiveError, match="conflicts with an earlier member"):
        safe_extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
