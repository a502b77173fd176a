"""Malicious tar archives: each is rejected, nothing outside changes, nothing is left in dest."""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.archives import safe_extract_tar
from tools.archives.testing import (
    Entry,
    Sandbox,
    directory,
    file,
    hardlink,
    path_max_symlink_chain,
    special,
    symlink,
    write_tar,
    zero_file_tar,
)

Build = Callable[[Sandbox], list[Entry]]


def _negative_size() -> Entry:
    entry = file("neg.txt", b"")
    entry.info.pax_headers = {"size": "-5"}
    return entry


ATTACKS: dict[str, tuple[Build, str]] = {
    "absolute-path": (lambda s: [file(f"{s.outside}/abs.txt")], "absolute path"),
    "dotdot": (lambda s: [file("../outside/pwned.txt")], "'..' component"),
    "dotdot-nested": (lambda s: [file("a/b/../../../outside/pwned.txt")], "'..' component"),
    "dot-then-dotdot": (lambda s: [file("./../outside/pwned.txt")], "'..' component"),
    "symlink-then-write": (
        lambda s: [symlink("link", "../outside"), file("link/pwned.txt")],
        "symbolic link",
    ),
    "symlink-to-parent-nested-write": (
        lambda s: [directory("sub"), symlink("sub/up", ".."), file("sub/up/up/outside/p.txt")],
        "symbolic link",
    ),
    "absolute-symlink": (lambda s: [symlink("abs", str(s.outside))], "symbolic link"),
    "hardlink-outside": (lambda s: [hardlink("hl", "../outside/sentinel.txt")], "hard link"),
    "hardlink-then-write": (
        lambda s: [hardlink("hl", f"{s.outside}/sentinel.txt"), file("hl", b"overwritten")],
        "hard link",
    ),
    "char-device": (lambda s: [special("null", tarfile.CHRTYPE)], "character device"),
    "block-device": (lambda s: [special("sda", tarfile.BLKTYPE)], "block device"),
    "fifo": (lambda s: [special("pipe", tarfile.FIFOTYPE)], "FIFO"),
    "unknown-type": (lambda s: [special("odd", b"Z")], "unsupported member type"),
    "gnu-sparse": (lambda s: [special("holes", tarfile.GNUTYPE_SPARSE)], "sparse file"),
    "cve-2025-4517-path-max-chain": (
        lambda s: path_max_symlink_chain("../../outside"),
        "symbolic link",
    ),
    "cve-2026-19672-dotdot-dest": (
        lambda s: [file(f"../x/../{s.dest.name}/sub/file.txt")],
        "'..' component",
    ),
    "duplicate-file": (lambda s: [file("a.txt"), file("a.txt", b"second")], "duplicate"),
    "duplicate-dot-prefix": (lambda s: [file("a.txt"), file("./a.txt")], "duplicate"),
    "duplicate-dir": (lambda s: [directory("d"), directory("d/")], "duplicate"),
    "file-then-dir-same-name": (lambda s: [file("a"), directory("a")], "duplicate"),
    "file-as-parent": (lambda s: [file("a"), file("a/b.txt")], "parent path is not a directory"),
    "backslash": (lambda s: [file("..\\outside\\pwned.txt")], "backslash"),
    "windows-drive": (lambda s: [file("C:/Windows/pwned.txt")], "drive prefix"),
    "nul-in-pax-name": (lambda s: [file("ok\u00e9.txt\x00../../outside/x")], "NUL"),
    "newline-in-name": (lambda s: [file("evil\nname.txt")], "control character"),
    "empty-name": (lambda s: [file("")], "empty name"),
    "dot-only-file": (lambda s: [file("./")], "empty name"),
    "overlong-name": (lambda s: [file("a/" * 600 + "x")], "longer than 1024 bytes"),
    "overlong-component": (lambda s: [file("n" * 256)], "longer than 255 bytes"),
    "too-deep": (lambda s: [file("a/" * 129 + "x")], "nested deeper than 128"),
    "negative-size": (lambda s: [_negative_size()], "negative size"),
    "invalid-utf8-name": (lambda s: [file("caf\udce9.txt")], "not valid UTF-8"),
}


@pytest.mark.parametrize("kind", ["tar", "tar.gz"])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_rejected_without_side_effects(sandbox, assert_rejected, attack, kind):
    """Each attack raises UnsafeArchiveError naming its rule and leaves the sandbox untouched."""
    build, rule = ATTACKS[attack]
    archive = write_tar(sandbox.archives / f"{attack}.{kind}", build(sandbox), kind)
    assert_rejected(safe_extract_tar, archive, rule)


def test_late_attack_discards_earlier_good_members(sandbox, assert_rejected):
    """Good members before a bad one are staged, never reach dest, and are cleaned up."""
    entries = [directory("good"), file("good/a.txt"), file("b.txt"), symlink("l", "/")]
    archive = write_tar(sandbox.archives / "late.tar", entries)
    assert_rejected(safe_extract_tar, archive, "symbolic link")


def test_gzip_bomb_is_stopped_by_the_ratio(sandbox, assert_rejected):
    """A gzip bomb is stopped by the expansion ratio after 64 MiB, well before its full size."""
    archive = zero_file_tar(sandbox.archives / "bomb.tar.gz", 80 * 2**20)
    assert archive.stat().st_size < 2**20
    assert_rejected(safe_extract_tar, archive, "expansion ratio above 100:1")


def test_member_count_bomb(sandbox, assert_rejected):
    """An archive with more members than allowed is rejected, nothing kept."""
    entries = [file(f"f{i}.txt", b"") for i in range(60)]
    archive = write_tar(sandbox.archives / "many.tar.gz", entries, "tar.gz")
    assert_rejected(safe_extract_tar, archive, "more than 50 members", max_members=50)


def test_directory_bomb_counts_implicit_directories(sandbox, assert_rejected):
    """Deep names cannot create far more directories than members: parents count too."""
    entries = [file(f"u{i}/a/b/c/d/e/f.txt", b"") for i in range(10)]
    archive = write_tar(sandbox.archives / "dirs.tar", entries)
    assert_rejected(safe_extract_tar, archive, "(directories included)", max_members=40)


def _corrupt(path: Path, offset: int) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _truncate(path: Path, size: int) -> Path:
    path.write_bytes(path.read_bytes()[:size])
    return path


def _two_files(sandbox: Sandbox, name: str, kind: str = "tar") -> Path:
    entries = [file("one.bin", b"1" * 5000), file("two.bin", b"2" * 5000)]
    return write_tar(sandbox.archives / name, entries, kind, fmt=tarfile.USTAR_FORMAT)


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        (lambda s: _truncate(_two_files(s, "t.tar"), 512 + 3000), "truncated"),
        (lambda s: _truncate(_two_files(s, "t.tar"), 5632 + 100), "truncated tar header"),
        (lambda s: _truncate(_two_files(s, "t.tar"), 11264), "truncated tar header"),
        (lambda s: _truncate(_two_files(s, "t.tar.gz", "tar.gz"), 60), "corrupt or truncated"),
        (lambda s: _corrupt(_two_files(s, "c.tar"), 5632 + 148), "corrupt or truncated tar header"),
        (lambda s: _corrupt(_two_files(s, "c.tar.gz", "tar.gz"), 40), "corrupt or truncated"),
        (lambda s: _corrupt(_two_files(s, "c.tar.bz2", "tar.bz2"), 50), "corrupt or truncated"),
        (lambda s: _corrupt(_two_files(s, "c.tar.xz", "tar.xz"), 70), "corrupt or truncated"),
        (lambda s: _write(s, "random.tar", b"\x01" * 4096), "corrupt or truncated tar header"),
        (lambda s: _write(s, "empty.tar", b""), "corrupt or truncated tar header"),
    ],
    ids=[
        "cut-mid-data",
        "cut-mid-header",
        "cut-at-block-boundary",
        "gzip-truncated",
        "bad-header-checksum-in-second-member",
        "gzip-bit-flip",
        "bzip2-bit-flip",
        "xz-bit-flip",
        "not-a-tar",
        "empty-file",
    ],
)
def test_truncated_or_corrupt_archive_is_rejected(sandbox, assert_rejected, damage, rule):
    """Truncated or corrupted archives fail loudly instead of yielding a partial tree."""
    assert_rejected(safe_extract_tar, damage(sandbox), rule)


def _write(sandbox: Sandbox, name: str, data: bytes) -> Path:
    path = sandbox.archives / name
    path.write_bytes(data)
    return path


def test_oversized_extended_header_is_refused_before_reading(sandbox, assert_rejected):
    """A pax header claiming more than max_header_bytes is refused without buffering it."""
    header = tarfile.TarInfo("pax")
    header.type = tarfile.XHDTYPE
    record = b"%d comment=%s\n" % (2**20 + 40, b"x" * (2**20 + 20))
    header.size = len(record)
    entries = [Entry(header, record), file("after.txt")]
    archive = write_tar(sandbox.archives / "pax.tar", entries, fmt=tarfile.USTAR_FORMAT)
    assert_rejected(safe_extract_tar, archive, "member headers longer than", max_header_bytes=65536)


def test_long_chain_of_extended_headers_is_refused(sandbox, assert_rejected):
    """Thousands of chained long-name headers cannot exhaust the stack or memory."""
    blocks = []
    for _ in range(3000):
        info = tarfile.TarInfo("././@LongLink")
        info.type = tarfile.GNUTYPE_LONGNAME
        info.size = 20
        blocks.append(info.tobuf(tarfile.GNU_FORMAT) + b"n" * 20 + bytes(492))
    blocks.append(file("x.txt").info.tobuf(tarfile.GNU_FORMAT) + b"payload" + bytes(505))
    archive = _write(sandbox, "chain.tar", b"".join(blocks) + bytes(1024))
    assert_rejected(safe_extract_tar, archive, "chained extended headers", max_header_bytes=2**30)
    assert_rejected(safe_extract_tar, archive, "member headers longer than", max_header_bytes=65536)


def test_too_much_trailing_data_is_refused(sandbox, assert_rejected):
    """More padding after the end-of-archive marker than allowed (a bomb hidden there) fails."""
    archive = write_tar(sandbox.archives / "tail.tar", [file("a.txt")])
    archive.write_bytes(archive.read_bytes() + bytes(8192))
    assert_rejected(
        safe_extract_tar, archive, "bytes after the end marker", max_trailing_bytes=4096
    )


def test_members_hidden_after_the_end_marker_are_refused(sandbox, assert_rejected):
    """Members after the zero blocks (seen by `tar -i`, not by us) make the archive invalid."""
    first = write_tar(sandbox.archives / "first.tar", [file("a.txt")])
    hidden = write_tar(sandbox.archives / "hidden.tar", [file("../outside/pwned.txt")])
    first.write_bytes(first.read_bytes() + hidden.read_bytes())
    assert_rejected(safe_extract_tar, first, "non-zero data after the end-of-archive marker")


def test_gzip_member_after_the_tar_is_checked(sandbox, assert_rejected):
    """A corrupt gzip member appended after a valid tar.gz is still detected."""
    archive = write_tar(sandbox.archives / "cat.tar.gz", [file("a.txt")], "tar.gz")
    archive.write_bytes(archive.read_bytes() + gzip.compress(b"tail")[:-4])
    assert_rejected(safe_extract_tar, archive, "corrupt or truncated")
