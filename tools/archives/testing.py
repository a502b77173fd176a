"""Test helpers: build real (benign or malicious) tar and zip files and snapshot directory trees."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import stat
import struct
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TAR_KINDS = ("tar", "tar.gz", "tar.bz2", "tar.xz")


@dataclass(frozen=True)
class Sandbox:
    """`outside/` holds a sentinel an attack would touch; `dest/` is the output directory."""

    root: Path
    outside: Path
    dest: Path
    archives: Path


@dataclass(frozen=True)
class Entry:
    """One tar member to write: its header and, for regular files, its data."""

    info: tarfile.TarInfo
    data: bytes | None = None


def file(name: str, data: bytes = b"payload", mode: int = 0o644) -> Entry:
    """A regular file member."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    return Entry(info, data)


def directory(name: str) -> Entry:
    """A directory member."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return Entry(info)


def symlink(name: str, target: str) -> Entry:
    """A symbolic link member."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return Entry(info)


def hardlink(name: str, target: str) -> Entry:
    """A hard link member."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return Entry(info)


def special(name: str, kind: bytes) -> Entry:
    """A member of another type (device, FIFO, unknown), header only."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = 1, 3
    return Entry(info)


def open_compressed(path: Path, kind: str) -> io.BufferedIOBase:
    """Open `path` for writing through the compressor of `kind` (one of TAR_KINDS)."""
    if kind == "tar.gz":
        return gzip.open(path, "wb", compresslevel=6)
    if kind == "tar.bz2":
        return bz2.open(path, "wb")
    if kind == "tar.xz":
        return lzma.open(path, "wb")
    return path.open("wb")


def write_tar(
    path: Path, entries: Sequence[Entry], kind: str = "tar", fmt: int = tarfile.PAX_FORMAT
) -> Path:
    """Write `entries` to `path` as a tar of `kind` (one of TAR_KINDS)."""
    with open_compressed(path, kind) as out, tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for entry in entries:
            tar.addfile(entry.info, None if entry.data is None else io.BytesIO(entry.data))
    return path


def tar_from_tree(path: Path, root: Path, kind: str = "tar", fmt: int = tarfile.PAX_FORMAT) -> Path:
    """Write the directory `root` to `path` the way `tar -C root -c .` would (names `./...`)."""
    with open_compressed(path, kind) as out, tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        tar.add(root, arcname=".")
    return path


def zip_from_tree(path: Path, root: Path, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write the directory `root` to `path` as a zip with explicit directory entries."""
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for current, _dirs, files in sorted(os.walk(root)):
            rel = Path(current).relative_to(root)
            if rel != Path("."):
                archive.write(current, f"{rel.as_posix()}/")
            for name in sorted(files):
                archive.write(Path(current) / name, (rel / name).as_posix())
    return path


def zip_entry(name: str, data: bytes = b"payload", unix_mode: int | None = None) -> zipfile.ZipInfo:
    """A zip entry header; `unix_mode` goes into the high 16 bits of external_attr."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    if unix_mode is not None:
        info.external_attr = unix_mode << 16
    return info


def write_zip(path: Path, entries: Sequence[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    """Write (header, data) pairs to `path`, duplicates included."""
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    """A zip entry that unzip would turn into a symbolic link."""
    return zip_entry(name, unix_mode=stat.S_IFLNK | 0o777), target.encode()


def path_max_symlink_chain(outside_rel: str) -> list[Entry]:
    """CVE-2025-4517: a chain of long directory names and symlinks that pushes the resolved
    path past PATH_MAX, so realpath-based checks stop resolving, then a link out of it."""
    component = "d" * 247
    steps = "abcdefghijklmnop"
    entries: list[Entry] = []
    prefix = ""
    for step in steps:
        entries.append(directory(prefix + component))
        entries.append(symlink(prefix + step, component))
        prefix += component + "/"
    chain = "/".join(steps)
    long_link = f"{chain}/{'l' * 254}"
    entries.append(symlink(long_link, "../" * len(steps)))
    entries.append(symlink("escape", f"{long_link}/{outside_rel}"))
    entries.append(file("escape/pwned.txt", b"escaped"))
    return entries


class Zeros(io.RawIOBase):
    """A readable stream of `size` zero bytes (to build bombs without holding them)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def zero_file_tar(path: Path, size: int, kind: str = "tar.gz") -> Path:
    """A tar with one member of `size` zero bytes (a compression bomb when compressed)."""
    info = tarfile.TarInfo("zeros.bin")
    info.size = size
    with open_compressed(path, kind) as out, tarfile.open(fileobj=out, mode="w") as tar:
        tar.addfile(info, io.BufferedReader(Zeros(size)))
    return path


def snapshot(root: Path, modes: bool = True) -> dict[str, tuple[str, str]]:
    """Every entry under `root` (links not followed): kind and content hash or link target."""
    result: dict[str, tuple[str, str]] = {}
    for current, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(current, name)
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir", "")
            elif stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                kind = f"file {stat.S_IMODE(st.st_mode):o}" if modes else "file"
                result[rel] = (kind, digest)
            else:
                result[rel] = ("other", str(st.st_mode))
    return result


def replace_bytes(path: Path, old: bytes, new: bytes) -> Path:
    """Replace every occurrence of `old` by `new` (same length) in the file at `path`."""
    data = path.read_bytes()
    assert len(old) == len(new) and old in data
    path.write_bytes(data.replace(old, new))
    return path


def with_zip64_end_record(path: Path) -> Path:
    """Rewrite a small zip's end of central directory in the ZIP64 form (record + locator)."""
    data = path.read_bytes()
    at = data.rfind(b"PK\x05\x06")
    _sig, _disk, _cd_disk, _here, total, size, offset, comment = struct.unpack_from(
        "<4s4H2LH", data, at
    )
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, comment
    )
    path.write_bytes(data[:at] + record + locator + end + data[at + 22 :])
    return path
