"""Extraction limits and the budget that enforces them on bytes actually read."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from typing import TypedDict

from tools.archives.errors import ARCHIVE, UnsafeArchiveError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class ExtractionLimits:
    """What one extraction may consume; every field can be overridden per call."""

    max_members: int = 100_000
    """Entries: archive members plus the parent directories created for them."""
    max_member_bytes: int = 4 * GiB
    """Bytes written for one member."""
    max_total_bytes: int = 16 * GiB
    """Bytes written for all members together."""
    max_ratio: float = 100.0
    """Expanded bytes per compressed byte read, enforced once `ratio_grace_bytes` are exceeded."""
    ratio_grace_bytes: int = 64 * MiB
    """Expanded bytes allowed before `max_ratio` applies (small archives compress well)."""
    max_seconds: float = 900.0
    """Wall-clock budget for the whole extraction, checked between reads."""
    max_name_bytes: int = 1024
    """UTF-8 length of a member name; each component is also limited to 255 bytes."""
    max_header_bytes: int = 1 * MiB
    """Metadata bytes read for one member (tar extended headers, long names)."""
    max_trailing_bytes: int = 16 * MiB
    """Bytes after a tar's end-of-archive marker (read to verify the compressed stream)."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"extraction limit {field.name} must be a number")
            if not value > 0 or (isinstance(value, float) and math.isnan(value)):
                raise ValueError(f"extraction limit {field.name} must be positive")


class LimitOverrides(TypedDict, total=False):
    """Keyword overrides accepted by the extract functions (the fields of ExtractionLimits)."""

    max_members: int
    max_member_bytes: int
    max_total_bytes: int
    max_ratio: float
    ratio_grace_bytes: int
    max_seconds: float
    max_name_bytes: int
    max_header_bytes: int
    max_trailing_bytes: int


@dataclass(frozen=True)
class ExtractionSummary:
    """What a successful extraction put into the output directory."""

    files: int
    directories: int
    bytes_written: int


class Budget:
    """Counts members, bytes and time of one extraction and raises once a limit is crossed."""

    def __init__(self, limits: ExtractionLimits) -> None:
        self.limits = limits
        self.members = 0
        self.total_bytes = 0
        self.member_bytes = 0
        self._deadline = time.monotonic() + limits.max_seconds

    def add_member(self, member: str) -> None:
        """Count one more member.

        Raises:
            UnsafeArchiveError: too many members, or the time budget is spent.
        """
        self.members += 1
        self.member_bytes = 0
        if self.members > self.limits.max_members:
            raise UnsafeArchiveError(member, f"more than {self.limits.max_members} members")
        self.check_time(member)

    def add_implicit_directory(self, member: str) -> None:
        """Count a parent directory created for `member` as one more member.

        Raises:
            UnsafeArchiveError: too many members, directories included.
        """
        self.members += 1
        if self.members > self.limits.max_members:
            raise UnsafeArchiveError(
                member, f"more than {self.limits.max_members} members (directories included)"
            )

    def check_claimed_size(self, member: str, size: int) -> None:
        """Reject early a member whose header already claims more than the limits allow.

        Raises:
            UnsafeArchiveError: the claim exceeds the per-member or remaining total budget.
        """
        if size < 0:
            raise UnsafeArchiveError(member, "negative size in header")
        if size > self.limits.max_member_bytes:
            raise UnsafeArchiveError(member, f"larger than {self.limits.max_member_bytes} bytes")
        if self.total_bytes + size > self.limits.max_total_bytes:
            raise UnsafeArchiveError(
                member, f"archive expands to more than {self.limits.max_total_bytes} bytes"
            )

    def add_bytes(self, member: str, count: int) -> None:
        """Count `count` bytes actually written for `member`.

        Raises:
            UnsafeArchiveError: a size limit is crossed or the time budget is spent.
        """
        self.member_bytes += count
        self.total_bytes += count
        if self.member_bytes > self.limits.max_member_bytes:
            raise UnsafeArchiveError(member, f"larger than {self.limits.max_member_bytes} bytes")
        if self.total_bytes > self.limits.max_total_bytes:
            raise UnsafeArchiveError(
                member, f"archive expands to more than {self.limits.max_total_bytes} bytes"
            )
        self.check_time(member)

    def check_ratio(self, expanded: int, compressed: int, member: str = ARCHIVE) -> None:
        """Check the expansion ratio of bytes produced to compressed bytes read.

        Raises:
            UnsafeArchiveError: past the grace size, the ratio exceeds `max_ratio`.
        """
        if expanded > self.limits.ratio_grace_bytes and expanded > self.limits.max_ratio * max(
            compressed, 1
        ):
            raise UnsafeArchiveError(
                member, f"expansion ratio above {self.limits.max_ratio:g}:1 (compression bomb)"
            )

    def check_time(self, member: str = ARCHIVE) -> None:
        """Raise once the wall-clock budget is spent.

        Raises:
            UnsafeArchiveError: more than `max_seconds` have passed since the start.
        """
        if time.monotonic() > self._deadline:
            raise UnsafeArchiveError(
                member, f"extraction took longer than {self.limits.max_seconds:g} s"
            )
