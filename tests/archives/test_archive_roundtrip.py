"""Benign archives in every supported format come out byte-identical, with modes normalized."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from tools.archives import ExtractionSummary, safe_extract_tar, safe_extract_zip
from tools.archives.staging import STAGING_PREFIX
from tools.archives.testing import (
    TAR_KINDS,
    directory,
    file,
    snapshot,
    tar_from_tree,
    with_zip64_end_record,
    write_tar,
    zero_file_tar,
    zip_from_tree,
)

FILES = {
    "README.md": b"hello\n",
    "empty.txt": b"",
    "nested/a/b/c/deep.bin": random.Random(0).randbytes(2**20 + 123),  # crosses a chunk
    "nested/a/sibling.txt": b"x",
    "unicode/données/日本語/файл.txt": "ünïcödé".encode(),
    "unicode/emoji 🎉.txt": b"party",
    "ids/coffee_mug__(30, 40)/mesh.glb": b"glTF",
    f"long/{'n' * 150}/{'m' * 200}.txt": b"long names need pax or gnu headers",
}
EMPTY_DIRS = ["empty_dir", "nested/empty"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree with nested and empty directories, empty files, unicode and long names."""
    root = tmp_path_factory.mktemp("source")
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    for name in EMPTY_DIRS:
        (root / name).mkdir(parents=True)
    return root


def _same_tree(source: Path, out: Path) -> None:
    assert snapshot(out, modes=False) == snapshot(source, modes=False)
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
@pytest.mark.parametrize("kind", TAR_KINDS)
def test_tar_roundtrip_is_byte_identical(source, tmp_path, kind, fmt):
    """Every tar compression and header format extracts to an identical tree."""
    archive = tar_from_tree(tmp_path / f"a.{kind}", source, kind, fmt)
    summary = safe_extract_tar(archive, tmp_path / "out")
    _same_tree(source, tmp_path / "out")
    directories = sum(kind == "dir" for kind, _ in snapshot(source).values()) + 1  # with "."
    assert summary == ExtractionSummary(
        files=len(FILES),
        directories=directories,
        bytes_written=sum(len(data) for data in FILES.values()),
    )


@pytest.mark.parametrize(
    "method",
    [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
    ids=["stored", "deflate", "bzip2", "lzma"],
)
def test_zip_roundtrip_is_byte_identical(source, tmp_path, method):
    """Every zip compression method extracts to an identical tree."""
    archive = zip_from_tree(tmp_path / "a.zip", source, method)
    summary = safe_extract_zip(archive, tmp_path / "out")
    _same_tree(source, tmp_path / "out")
    assert summary.files == len(FILES)


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar command")
@pytest.mark.parametrize("flag", ["-cf", "-czf", "-cjf", "-cJf"])
def test_archives_from_gnu_tar_extract(source, tmp_path, flag):
    """Archives written by GNU tar (./-prefixed names, its own headers) extract identically."""
    archive = tmp_path / "cli.tar"
    subprocess.run(["tar", flag, str(archive), "-C", str(source), "."], check=True)
    safe_extract_tar(archive, tmp_path / "out")
    _same_tree(source, tmp_path / "out")


@pytest.mark.skipif(shutil.which("zip") is None, reason="no zip command")
def test_archive_from_info_zip_extracts(source, tmp_path):
    """An archive written by Info-ZIP (unix attributes, extra fields) extracts identically."""
    archive = tmp_path / "cli.zip"
    subprocess.run(["zip", "-qr", str(archive), "."], check=True, cwd=source)
    safe_extract_zip(archive, tmp_path / "out")
    _same_tree(source, tmp_path / "out")


def test_zip64_end_record_and_prepended_data_are_accepted(source, tmp_path):
    """A ZIP64 end record and a self-extractor stub before the zip are handled."""
    archive = with_zip64_end_record(zip_from_tree(tmp_path / "a.zip", source))
    archive.write_bytes(b"#!/bin/sh\nexit 0\n" + archive.read_bytes())
    safe_extract_zip(archive, tmp_path / "out")
    _same_tree(source, tmp_path / "out")


def test_implicit_parents_and_late_directory_entries(tmp_path):
    """Files may come before their directory entry, or without one; `./` is the root."""
    entries = [directory("./"), file("a/b/c.txt", b"c"), directory("a/b"), directory("a/")]
    archive = write_tar(tmp_path / "order.tar", entries)
    summary = safe_extract_tar(archive, tmp_path / "out")
    assert (tmp_path / "out/a/b/c.txt").read_bytes() == b"c"
    assert summary == ExtractionSummary(files=1, directories=3, bytes_written=1)


def test_modes_owners_and_setuid_bits_are_ignored(tmp_path):
    """Extracted files get default permissions and our owner, whatever the archive says."""
    evil = file("suid-root", b"#!/bin/sh\n", mode=0o6777)
    evil.info.uid = evil.info.gid = 12345
    archive = write_tar(tmp_path / "modes.tar", [evil, directory("d")])
    with tarfile.open(archive) as tar:
        assert tar.getmember("suid-root").mode == 0o6777
    umask = os.umask(0o022)
    os.umask(umask)
    safe_extract_tar(archive, tmp_path / "out")
    info = (tmp_path / "out/suid-root").stat()
    assert stat.S_IMODE(info.st_mode) == 0o644 & ~umask
    assert info.st_uid == os.getuid() and info.st_gid == os.getgid()
    assert stat.S_IMODE((tmp_path / "out/d").stat().st_mode) == 0o755 & ~umask


def test_missing_output_directory_and_parents_are_created(tmp_path):
    """A missing output directory is created, parents included."""
    archive = write_tar(tmp_path / "a.tar", [file("x.txt")])
    safe_extract_tar(archive, tmp_path / "deep/er/out")
    assert (tmp_path / "deep/er/out/x.txt").read_bytes() == b"payload"


def test_failure_removes_the_output_directories_it_created(tmp_path):
    """On failure, output directories created by the call are removed again."""
    archive = write_tar(tmp_path / "a.tar", [file("x.txt"), file("../y")])
    with pytest.raises(ValueError, match=r"'\.\.' component"):
        safe_extract_tar(archive, tmp_path / "deep/er/out")
    assert not (tmp_path / "deep").exists()


def test_existing_output_is_merged_and_kept(tmp_path):
    """Existing entries stay, same-named files are replaced, directories are merged into."""
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub/old.txt").write_text("old")
    (out / "keep.txt").write_text("keep")
    (out / "replace.txt").write_text("before")
    entries = [file("sub/new.txt", b"new"), file("replace.txt", b"after")]
    safe_extract_tar(write_tar(tmp_path / "a.tar", entries), out)
    assert snapshot(out, modes=False) == snapshot(
        _tree(
            tmp_path / "want",
            {
                "sub/old.txt": b"old",
                "sub/new.txt": b"new",
                "keep.txt": b"keep",
                "replace.txt": b"after",
            },
        ),
        modes=False,
    )


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_large_member_keeps_memory_flat(tmp_path):
    """Extracting a 48 MiB member allocates only a few chunk-sized buffers."""
    archive = zero_file_tar(tmp_path / "big.tar", 48 * 2**20, kind="tar")
    tracemalloc.start()
    try:
        safe_extract_tar(archive, tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out/zeros.bin").stat().st_size == 48 * 2**20
    assert peak < 8 * 2**20


def test_many_directories_revisited_in_any_order(tmp_path):
    """Members may hop between more directories than are kept open at once."""
    entries = [
        file(f"d{i:03d}/sub/f{round_}.txt", b"%d" % i) for round_ in range(2) for i in range(140)
    ]
    safe_extract_tar(write_tar(tmp_path / "hops.tar", entries), tmp_path / "out")
    assert len(list((tmp_path / "out").glob("d*/sub/f*.txt"))) == 280
    assert (tmp_path / "out/d042/sub/f1.txt").read_bytes() == b"42"
