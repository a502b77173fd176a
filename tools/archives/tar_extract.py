"""`safe_extract_tar`: stream a .tar, .tar.gz, .tar.bz2 or .tar.xz into a directory under policy."""

from __future__ import annotations

import contextlib
import os
import tarfile
from contextlib import ExitStack
from typing import Self, Unpack

from tools.archives.errors import ARCHIVE, UnsafeArchiveError
from tools.archives.limits import Budget, ExtractionLimits, ExtractionSummary, LimitOverrides
from tools.archives.names import member_parts
from tools.archives.staging import StagingTree, write_all
from tools.archives.stream import CHUNK_BYTES, MeteredStream, open_decompressed

# Undocumented but present since Python 3.2: the "zero block" end-of-archive signal.
from tarfile import EOFHeaderError  # type: ignore[attr-defined]  # isort: skip

_FILE_TYPES = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE})
_REJECTED_TYPES = {
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
    tarfile.GNUTYPE_SPARSE: "sparse file",
}


class _GuardedTarInfo(tarfile.TarInfo):
    """TarInfo that reports a corrupt or truncated header instead of ending the archive early.

    tarfile treats a bad header after the first member as the end of the archive, which would
    silently drop the remaining members; only a zero block ends an archive here.
    """

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tar)
        except EOFHeaderError:
            raise
        except tarfile.HeaderError as exc:
            raise UnsafeArchiveError(ARCHIVE, f"corrupt or truncated tar header ({exc})") from None
        except RecursionError:
            raise UnsafeArchiveError(ARCHIVE, "too many chained extended headers") from None


def safe_extract_tar(
    archive_path: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    **limits: Unpack[LimitOverrides],
) -> ExtractionSummary:
    """Extract a tar archive (plain, gzip, bzip2 or xz, detected from its content) safely.

    Only regular files and directories are accepted; names are checked before anything is
    written; members go to a private staging directory and are moved into `output_dir` only
    when the whole archive has been read and verified. Memory stays flat in archive size.

    Args:
        archive_path: the archive file.
        output_dir: where the members end up; created if missing, merged into if present.
        **limits: overrides of ExtractionLimits fields (e.g. `max_total_bytes=2**30`).

    Returns:
        How many files and directories were extracted and how many bytes were written.

    Raises:
        UnsafeArchiveError: a member or the archive breaks the policy or a limit, or the
            archive is corrupt or truncated; `output_dir` is left as it was.
        OSError: the archive cannot be read or the output cannot be written.
    """
    config = ExtractionLimits(**limits)
    budget = Budget(config)
    with ExitStack() as stack:
        raw = stack.enter_context(open(archive_path, "rb"))
        inner = stack.enter_context(contextlib.closing(open_decompressed(raw)))
        stream = MeteredStream(inner, raw.tell, budget)
        staging = stack.enter_context(StagingTree(output_dir, budget.add_implicit_directory))
        summary, directories = _extract_members(stream, staging, budget)
        stream.drain(config.max_trailing_bytes)
        # Directory entries cost a mkdir each: made only once every member has passed the
        # count limits, so an archive of countless empty directories is refused untouched.
        for name, parts in directories:
            staging.make_dir(name, parts)
        staging.commit()
    return summary


def _extract_members(
    stream: MeteredStream, staging: StagingTree, budget: Budget
) -> tuple[ExtractionSummary, list[tuple[str, tuple[str, ...]]]]:
    """Write the files; return the summary and the directory entries still to be made."""
    limits = budget.limits
    header_rule = f"member headers longer than {limits.max_header_bytes} bytes"
    stream.limit_reads(limits.max_header_bytes, header_rule)
    try:
        tar = tarfile.TarFile(fileobj=stream, mode="r", tarinfo=_GuardedTarInfo, encoding="utf-8")
    except tarfile.TarError as exc:
        raise UnsafeArchiveError(ARCHIVE, f"not a valid tar archive ({exc})") from None
    seen: set[tuple[str, ...]] = set()
    pending: list[tuple[str, tuple[str, ...]]] = []
    files = directories = 0
    while True:
        stream.limit_reads(limits.max_header_bytes, header_rule)
        member = _next_member(tar)
        stream.unlimit()
        if member is None:
            return ExtractionSummary(files, directories, budget.total_bytes), pending
        budget.add_member(member.name)
        is_dir = _is_directory(member)
        parts = member_parts(member.name, is_dir=is_dir, max_name_bytes=limits.max_name_bytes)
        if parts in seen:
            raise UnsafeArchiveError(member.name, "duplicate member name")
        seen.add(parts)
        if is_dir:
            if parts:
                pending.append((member.name, parts))
            directories += 1
            continue
        budget.check_claimed_size(member.name, member.size)
        fd = staging.create_file(member.name, parts)
        try:
            _copy_data(stream, fd, member, budget)
        finally:
            os.close(fd)
        files += 1


def _next_member(tar: tarfile.TarFile) -> tarfile.TarInfo | None:
    try:
        member = tar.next()
    except tarfile.TarError as exc:
        raise UnsafeArchiveError(ARCHIVE, f"corrupt or truncated tar data ({exc})") from None
    # tarfile keeps every member it has read; drop them so memory stays flat.
    tar.members.clear()  # type: ignore[attr-defined]
    return member


def _is_directory(member: tarfile.TarInfo) -> bool:
    if member.type == tarfile.DIRTYPE:
        return True
    if member.type in _FILE_TYPES and member.sparse is None:
        return False
    kind = _REJECTED_TYPES.get(member.type, f"unsupported member type {member.type!r}")
    if member.sparse is not None:
        kind = "sparse file"
    raise UnsafeArchiveError(member.name, f"{kind}: only regular files and directories allowed")


def _copy_data(stream: MeteredStream, fd: int, member: tarfile.TarInfo, budget: Budget) -> None:
    stream.seek(member.offset_data)
    remaining = member.size
    while remaining > 0:
        chunk = stream.read(min(CHUNK_BYTES, remaining))
        if not chunk:
            raise UnsafeArchiveError(member.name, "truncated: member data ends early")
        write_all(fd, chunk)
        remaining -= len(chunk)
        budget.add_bytes(member.name, len(chunk))
