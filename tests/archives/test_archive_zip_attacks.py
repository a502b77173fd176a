"""Malicious zip archives: each is rejected, nothing outside changes, nothing is left in dest."""

from __future__ import annotations

import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.archives import safe_extract_zip
from tools.archives.testing import (
    Sandbox,
    Zeros,
    replace_bytes,
    with_zip64_end_record,
    write_zip,
    zip_entry,
    zip_symlink,
)

Entries = list[tuple[zipfile.ZipInfo, bytes]]


def _entry(name: str, data: bytes = b"payload", unix_mode: int | None = None):
    return zip_entry(name, data, unix_mode), data


ATTACKS: dict[str, tuple[Callable[[Sandbox], Entries], str]] = {
    "zip-slip": (lambda s: [_entry("../outside/pwned.txt")], "'..' component"),
    "zip-slip-nested": (lambda s: [_entry("a/../../outside/pwned.txt")], "'..' component"),
    "absolute-path": (lambda s: [_entry(f"{s.outside}/abs.txt")], "absolute path"),
    "backslash-slip": (lambda s: [_entry("..\\outside\\pwned.txt")], "backslash"),
    "windows-drive": (lambda s: [_entry("C:/Windows/pwned.txt")], "drive prefix"),
    "symlink": (lambda s: [zip_symlink("link", "../outside")], "symbolic link"),
    "symlink-then-write": (
        lambda s: [zip_symlink("link", "../outside"), _entry("link/pwned.txt")],
        "symbolic link",
    ),
    "char-device": (lambda s: [_entry("null", b"", stat.S_IFCHR | 0o666)], "character device"),
    "block-device": (lambda s: [_entry("sda", b"", stat.S_IFBLK | 0o666)], "block device"),
    "fifo": (lambda s: [_entry("pipe", b"", stat.S_IFIFO | 0o644)], "FIFO"),
    "socket": (lambda s: [_entry("sock", b"", stat.S_IFSOCK | 0o644)], "socket"),
    "odd-file-type": (lambda s: [_entry("odd", b"", 0o150000)], "unsupported file type"),
    "dir-mode-on-file-name": (
        lambda s: [_entry("x", b"", stat.S_IFDIR | 0o755)],
        "disagrees with the name",
    ),
    "file-mode-on-dir-name": (
        lambda s: [_entry("x/", b"", stat.S_IFREG | 0o644)],
        "disagrees with the name",
    ),
    "directory-with-data": (lambda s: [_entry("d/", b"data")], "directory entry with data"),
    "duplicate": (lambda s: [_entry("a.txt"), _entry("a.txt", b"two")], "duplicate"),
    "duplicate-dot-prefix": (lambda s: [_entry("a.txt"), _entry("./a.txt")], "duplicate"),
    "file-as-parent": (
        lambda s: [_entry("a"), _entry("a/b.txt")],
        "parent path is not a directory",
    ),
    "cve-2026-19672-dotdot-dest": (
        lambda s: [_entry(f"../x/../{s.dest.name}/sub/file.txt")],
        "'..' component",
    ),
    "overlong-name": (lambda s: [_entry("a/" * 600 + "x")], "longer than 1024 bytes"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_rejected_without_side_effects(sandbox, assert_rejected, attack):
    """Each attack raises UnsafeArchiveError naming its rule and leaves the sandbox untouched."""
    build, rule = ATTACKS[attack]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicate names
        archive = write_zip(sandbox.archives / f"{attack}.zip", build(sandbox))
    assert_rejected(safe_extract_zip, archive, rule)


def _zip(sandbox: Sandbox, entries: Entries, name: str = "a.zip") -> Path:
    return write_zip(sandbox.archives / name, entries)


def _many(sandbox: Sandbox, count: int) -> Path:
    return _zip(sandbox, [_entry(f"f{i:03d}.txt", b"") for i in range(count)])


def _nul_name(sandbox: Sandbox) -> Path:
    archive = _zip(sandbox, [_entry("ok.txtQ../../outside/x")])
    return replace_bytes(archive, b"ok.txtQ", b"ok.txt\x00")


def _method_99(sandbox: Sandbox) -> Path:
    info, data = _entry("m.bin")
    info.compress_type = zipfile.ZIP_STORED
    archive = _zip(sandbox, [(info, data)])
    raw = bytearray(archive.read_bytes())
    at = raw.find(b"PK\x01\x02")
    raw[at + 10 : at + 12] = struct.pack("<H", 99)
    archive.write_bytes(bytes(raw))
    return archive


def _encrypted(sandbox: Sandbox) -> Path:
    archive = _zip(sandbox, [_entry("secret.txt")])
    raw = bytearray(archive.read_bytes())
    raw[raw.find(b"PK\x01\x02") + 8] |= 0x1  # general purpose flag: encrypted
    archive.write_bytes(bytes(raw))
    return archive


def _corrupt_extra_field(sandbox: Sandbox) -> Path:
    info, data = _entry("x.txt")
    info.extra = struct.pack("<HH", 0x1234, 50) + b"ab"  # claims 50 bytes, has 2
    return _zip(sandbox, [(info, data)])


def _lying_size(sandbox: Sandbox) -> Path:
    info, data = _entry("big.bin", b"A" * 4000)
    archive = _zip(sandbox, [(info, data)])
    raw = bytearray(archive.read_bytes())
    at = raw.find(b"PK\x01\x02")
    raw[at + 24 : at + 28] = struct.pack("<L", 10)  # uncompressed size claims 10 bytes
    archive.write_bytes(bytes(raw))
    return archive


def _flip(archive: Path, offset: int) -> Path:
    raw = bytearray(archive.read_bytes())
    raw[offset] ^= 0xFF
    archive.write_bytes(bytes(raw))
    return archive


def _zip_bomb(sandbox: Sandbox) -> Path:
    archive = sandbox.archives / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out, out.open("z.bin", "w") as f:
        source = Zeros(80 * 2**20)
        while chunk := source.read(2**20):
            f.write(chunk)
    return archive


def _two_names_one_local_file(sandbox: Sandbox) -> Path:
    archive = _zip(sandbox, [_entry("a.txt")])
    raw = archive.read_bytes()
    start, end = raw.find(b"PK\x01\x02"), raw.find(b"PK\x05\x06")
    central = raw[start:end]
    second = central.replace(b"a.txt", b"b.txt")
    eocd = bytearray(raw[end:])
    eocd[8:16] = struct.pack("<HHL", 2, 2, len(central) * 2)
    archive.write_bytes(raw[:start] + central + second + bytes(eocd))
    return archive


DAMAGED: dict[str, tuple[Callable[[Sandbox], Path], str, dict[str, int]]] = {
    "member-count-bomb": (lambda s: _many(s, 60), "more than 50 members", {"max_members": 50}),
    "count-bomb-lying-end-record": (
        lambda s: replace_bytes(
            _many(s, 60),
            b"PK\x05\x06\x00\x00\x00\x00<\x00<\x00",
            b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00",
        ),
        "more than 50 members",
        {"max_members": 50},
    ),
    "count-bomb-zip64": (
        lambda s: with_zip64_end_record(_many(s, 60)),
        "more than 50 members",
        {"max_members": 50},
    ),
    "zip-bomb": (_zip_bomb, "expansion ratio above 100:1", {}),
    "nul-in-name": (_nul_name, "NUL byte", {}),
    "encrypted": (_encrypted, "encrypted member", {}),
    "corrupt-extra-field": (_corrupt_extra_field, "not a valid zip archive", {}),
    "unsupported-method": (_method_99, "unsupported compression method 99", {}),
    "lying-uncompressed-size": (_lying_size, "corrupt", {}),
    "corrupt-data": (lambda s: _flip(_zip(s, [_entry("a.txt", b"A" * 1000)]), 40), "corrupt", {}),
    "corrupt-central-directory": (
        lambda s: replace_bytes(_zip(s, [_entry("a.txt")]), b"PK\x01\x02", b"XX\x01\x02"),
        "corrupt central directory",
        {},
    ),
    "two-names-one-local-file": (_two_names_one_local_file, "corrupt member", {}),
    "truncated": (
        lambda s: _truncate(_zip(s, [_entry("a.txt", b"A" * 1000)])),
        "no end of central directory",
        {},
    ),
    "not-a-zip": (lambda s: _raw(s, b"\x01" * 5000), "no end of central directory", {}),
    "bad-zip64-record": (
        lambda s: replace_bytes(
            with_zip64_end_record(_zip(s, [_entry("a")])), b"PK\x06\x06", b"XX\x06\x06"
        ),
        "corrupt zip64",
        {},
    ),
    "implausible-central-directory-size": (
        lambda s: _patch_end_record(_zip(s, [_entry("a.txt")]), 12, struct.pack("<L", 2**20)),
        "implausible central directory size",
        {},
    ),
}


def _patch_end_record(archive: Path, offset: int, value: bytes) -> Path:
    raw = bytearray(archive.read_bytes())
    at = raw.rfind(b"PK\x05\x06") + offset
    raw[at : at + len(value)] = value
    archive.write_bytes(bytes(raw))
    return archive


def _truncate(archive: Path) -> Path:
    archive.write_bytes(archive.read_bytes()[:-30])
    return archive


def _raw(sandbox: Sandbox, data: bytes) -> Path:
    path = sandbox.archives / "raw.zip"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_or_bomb_zip_is_rejected(sandbox, assert_rejected, case):
    """Bombs, lies in headers and corrupt or truncated zips fail without side effects."""
    build, rule, limits = DAMAGED[case]
    assert_rejected(safe_extract_zip, build(sandbox), rule, **limits)
