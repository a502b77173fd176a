"""Metered, forward-only readers over an archive file and its decompressed stream."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol

from tools.archives.errors import ARCHIVE, UnsafeArchiveError
from tools.archives.limits import Budget, MiB

CHUNK_BYTES = 1 * MiB
_DECOMPRESSION_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...


def open_decompressed(raw: BinaryIO) -> _Readable:
    """Wrap `raw` in a streaming decompressor chosen by its magic bytes.

    Returns:
        The decompressed reader (`raw` itself for an uncompressed tar).
    """
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


class MeteredStream:
    """A forward-only view of a decompressed tar stream that enforces the budget on every read.

    It counts expanded bytes, checks the expansion ratio against the compressed bytes read so
    far, the time budget, and an optional read window (`limit_reads`) that bounds how much
    tarfile may read for one member's headers. Decompression errors become UnsafeArchiveError.
    """

    def __init__(
        self, inner: _Readable, compressed_position: Callable[[], int], budget: Budget
    ) -> None:
        self._inner = inner
        self._compressed_position = compressed_position
        self._budget = budget
        self._position = 0
        self._window_end: int | None = None
        self._window_rule = ""

    def limit_reads(self, count: int, rule: str) -> None:
        """Allow at most `count` more bytes to be read until `unlimit()`; past that, `rule`."""
        self._window_end = self._position + count
        self._window_rule = rule

    def unlimit(self) -> None:
        """Lift the read window set by `limit_reads`."""
        self._window_end = None

    def read(self, size: int = -1, /) -> bytes:
        """Read up to `size` bytes (all that is left, within the limits, when negative).

        Raises:
            UnsafeArchiveError: a limit is crossed or the compressed data is corrupt.
        """
        if size < 0:
            raise io.UnsupportedOperation("unbounded read from an untrusted stream")
        if self._window_end is not None and self._position + size > self._window_end:
            # Checked before reading, so a header claiming gigabytes is never buffered.
            raise UnsafeArchiveError(ARCHIVE, self._window_rule)
        try:
            data = self._inner.read(size)
        except _DECOMPRESSION_ERRORS as exc:
            raise UnsafeArchiveError(ARCHIVE, f"corrupt or truncated data ({exc})") from None
        self._position += len(data)
        self._budget.check_ratio(self._position, self._compressed_position())
        self._budget.check_time()
        return data

    def drain(self, limit: int) -> None:
        """Read the zero padding after a tar's end marker to the end, verifying checksums.

        Raises:
            UnsafeArchiveError: more than `limit` bytes are left, any of them is not zero
                (hidden members another extractor might see), or the data is corrupt.
        """
        end = self._position + limit
        while chunk := self.read(min(CHUNK_BYTES, end + 1 - self._position)):
            if self._position > end:
                raise UnsafeArchiveError(ARCHIVE, f"more than {limit} bytes after the end marker")
            if chunk.count(0) != len(chunk):
                raise UnsafeArchiveError(ARCHIVE, "non-zero data after the end-of-archive marker")

    def tell(self) -> int:
        """Return the position in the decompressed stream."""
        return self._position

    def seek(self, position: int, whence: int = io.SEEK_SET, /) -> int:
        """Move forward to `position` by reading; backward seeks are refused (streaming).

        Raises:
            UnsafeArchiveError: a backward seek, or a limit crossed while skipping.
        """
        if whence != io.SEEK_SET or position < self._position:
            raise UnsafeArchiveError(ARCHIVE, "archive needs a backward seek (not streamable)")
        while self._position < position:
            if not self.read(min(CHUNK_BYTES, position - self._position)):
                raise UnsafeArchiveError(ARCHIVE, "truncated: unexpected end of data")
        return self._position

    def write(self, data: bytes, /) -> int:
        """Refuse writing: the stream is read-only."""
        raise io.UnsupportedOperation("read-only stream")

    def close(self) -> None:
        """Nothing to release here; the caller owns the underlying file."""


class CountingReader:
    """A seekable file wrapper that counts every byte read (the compressed side of a zip)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        """Read from the wrapped file and count the bytes."""
        data = self._raw.read(size)
        self.bytes_read += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        """Seek the wrapped file."""
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        """Return the wrapped file's position."""
        return self._raw.tell()

    def seekable(self) -> bool:
        """The wrapped archive file is always seekable."""
        return True
