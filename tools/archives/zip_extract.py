"""`safe_extract_zip`: extract a .zip into a directory under the same policy as tar."""

from __future__ import annotations

import contextlib
import lzma
import os
import stat
import struct
import zipfile
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO, Unpack

from tools.archives.errors import ARCHIVE, UnsafeArchiveError
from tools.archives.limits import Budget, ExtractionLimits, ExtractionSummary, LimitOverrides
from tools.archives.names import member_parts
from tools.archives.staging import StagingTree, write_all
from tools.archives.stream import CHUNK_BYTES, CountingReader

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF
_ENCRYPTED_FLAG = 0x1
_UTF8_FLAG = 0x800
_SUPPORTED_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_FILE_TYPE_NAMES = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True)
class _Entry:
    """A checked zip entry: its header, its name as extracted, and its path components."""

    info: zipfile.ZipInfo
    name: str
    parts: tuple[str, ...]


def safe_extract_zip(
    archive_path: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    **limits: Unpack[LimitOverrides],
) -> ExtractionSummary:
    """Extract a zip archive safely (stored, deflate, bzip2 or LZMA members).

    The central directory is counted before it is parsed, every entry's name and type are
    checked before anything is written, members are staged privately and moved into
    `output_dir` only when all of them were read and their CRCs verified.

    Args:
        archive_path: the archive file.
        output_dir: where the members end up; created if missing, merged into if present.
        **limits: overrides of ExtractionLimits fields (e.g. `max_members=1000`).

    Returns:
        How many files and directories were extracted and how many bytes were written.

    Raises:
        UnsafeArchiveError: an entry or the archive breaks the policy or a limit, or the
            archive is corrupt or truncated; `output_dir` is left as it was.
        OSError: the archive cannot be read or the output cannot be written.
    """
    config = ExtractionLimits(**limits)
    budget = Budget(config)
    with ExitStack() as stack:
        raw = stack.enter_context(open(archive_path, "rb"))
        _check_central_directory(raw, config)
        counting = CountingReader(raw)
        try:
            archive = stack.enter_context(zipfile.ZipFile(counting))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise UnsafeArchiveError(ARCHIVE, f"not a valid zip archive ({exc})") from None
        entries = [_check_entry(info, config) for info in archive.infolist()]
        _check_unique(entries, config)
        staging = stack.enter_context(StagingTree(output_dir, budget.add_implicit_directory))
        files = directories = 0
        for entry in entries:
            budget.add_member(entry.name)
            if entry.info.is_dir():
                if entry.parts:
                    staging.make_dir(entry.name, entry.parts)
                directories += 1
                continue
            budget.check_claimed_size(entry.name, entry.info.file_size)
            fd = staging.create_file(entry.name, entry.parts)
            try:
                _copy_member(archive, entry, fd, budget, counting)
            finally:
                os.close(fd)
            files += 1
        staging.commit()
    return ExtractionSummary(files, directories, budget.total_bytes)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's full name, NUL included; UTF-8 even when the UTF-8 flag is missing.

    zipfile decodes names without the flag as cp437 and cuts them at a NUL; Info-ZIP on a
    UTF-8 system writes UTF-8 names without the flag, which unzip extracts as UTF-8.
    """
    name = info.orig_filename
    if not info.flag_bits & _UTF8_FLAG:
        with contextlib.suppress(UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name


def _check_entry(info: zipfile.ZipInfo, limits: ExtractionLimits) -> _Entry:
    """Validate one central-directory entry; return it with its name and path components."""
    name = _entry_name(info)
    is_dir = info.is_dir()
    parts = member_parts(name, is_dir=is_dir, max_name_bytes=limits.max_name_bytes)
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type in _FILE_TYPE_NAMES:
        kind = _FILE_TYPE_NAMES[file_type]
        raise UnsafeArchiveError(name, f"{kind}: only regular files and directories allowed")
    if (file_type == stat.S_IFDIR and not is_dir) or (file_type == stat.S_IFREG and is_dir):
        raise UnsafeArchiveError(name, "file type in the attributes disagrees with the name")
    if file_type not in (0, stat.S_IFDIR, stat.S_IFREG):
        raise UnsafeArchiveError(name, f"unsupported file type {file_type:#o}")
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise UnsafeArchiveError(name, "encrypted member")
    if info.compress_type not in _SUPPORTED_METHODS:
        raise UnsafeArchiveError(name, f"unsupported compression method {info.compress_type}")
    if is_dir and info.file_size:
        raise UnsafeArchiveError(name, "directory entry with data")
    return _Entry(info, name, parts)


def _check_unique(entries: list[_Entry], limits: ExtractionLimits) -> None:
    if len(entries) > limits.max_members:
        raise UnsafeArchiveError(ARCHIVE, f"more than {limits.max_members} members")
    seen: set[tuple[str, ...]] = set()
    for entry in entries:
        if entry.parts in seen:
            raise UnsafeArchiveError(entry.name, "duplicate member name")
        seen.add(entry.parts)


def _copy_member(
    archive: zipfile.ZipFile, entry: _Entry, fd: int, budget: Budget, counting: CountingReader
) -> None:
    name = entry.name
    try:
        source = archive.open(entry.info)
    except _READ_ERRORS as exc:
        raise UnsafeArchiveError(name, f"corrupt member ({exc})") from None
    with contextlib.closing(source):
        while True:
            try:
                chunk = source.read(CHUNK_BYTES)
            except _READ_ERRORS as exc:
                raise UnsafeArchiveError(name, f"corrupt or truncated data ({exc})") from None
            if not chunk:
                return
            write_all(fd, chunk)
            budget.add_bytes(name, len(chunk))
            budget.check_ratio(budget.total_bytes, counting.bytes_read, name)


def _check_central_directory(raw: BinaryIO, limits: ExtractionLimits) -> None:
    """Count central-directory entries before zipfile parses (and keeps) all of them.

    Raises:
        UnsafeArchiveError: no end-of-central-directory record, a malformed directory, more
            entries than `max_members`, or a directory far larger than they need.
    """
    size = raw.seek(0, os.SEEK_END)
    tail_start = max(0, size - _EOCD.size - _MAX_COMMENT)
    raw.seek(tail_start)
    tail = raw.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or at + _EOCD.size > len(tail):
        raise UnsafeArchiveError(ARCHIVE, "not a zip archive (no end of central directory)")
    end_record = tail_start + at
    *_, entries, directory_size, _offset, _comment = _EOCD.unpack_from(tail, at)
    if end_record >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size:
        raw.seek(end_record - _ZIP64_LOCATOR.size)
        if raw.read(_ZIP64_LOCATOR.size).startswith(_ZIP64_LOCATOR_SIGNATURE):
            end_record -= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size
            raw.seek(end_record)
            record = _ZIP64_EOCD.unpack(raw.read(_ZIP64_EOCD.size))
            if record[0] != _ZIP64_EOCD_SIGNATURE:
                raise UnsafeArchiveError(ARCHIVE, "corrupt zip64 end of central directory")
            entries, directory_size = record[7], record[8]
    # zipfile reads the whole directory at once: bound it by what max_members entries need.
    max_directory = limits.max_members * (_CENTRAL_HEADER.size + limits.max_name_bytes) + 2**20
    if entries > limits.max_members:
        raise UnsafeArchiveError(ARCHIVE, f"more than {limits.max_members} members")
    if directory_size > max_directory or directory_size > end_record:
        raise UnsafeArchiveError(ARCHIVE, "implausible central directory size")
    _count_entries(raw, end_record - directory_size, directory_size, limits.max_members)


def _count_entries(raw: BinaryIO, start: int, length: int, max_members: int) -> None:
    raw.seek(start)
    position, count = 0, 0
    while position < length:
        header = raw.read(_CENTRAL_HEADER.size)
        if len(header) < _CENTRAL_HEADER.size or not header.startswith(_CENTRAL_SIGNATURE):
            raise UnsafeArchiveError(ARCHIVE, "corrupt central directory")
        fields = _CENTRAL_HEADER.unpack(header)
        variable = fields[12] + fields[13] + fields[14]  # name, extra, comment lengths
        raw.seek(variable, os.SEEK_CUR)
        position += _CENTRAL_HEADER.size + variable
        count += 1
        if count > max_members:
            raise UnsafeArchiveError(ARCHIVE, f"more than {max_members} members")
