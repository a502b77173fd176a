"""Lexical checks on member names, applied before anything is written."""

from __future__ import annotations

import re

from tools.archives.errors import UnsafeArchiveError

MAX_COMPONENT_BYTES = 255  # NAME_MAX on Linux
MAX_DEPTH = 128  # deeper trees break recursive tools (os.walk, rmtree) downstream
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def member_parts(name: str, *, is_dir: bool, max_name_bytes: int) -> tuple[str, ...]:
    """Split a member name into safe path components, rejecting (never stripping) bad names.

    `.` components and repeated or trailing slashes are dropped; a directory whose name is
    only those (`./`) is the extraction root and gives an empty tuple.

    Args:
        name: the member name exactly as stored in the archive.
        is_dir: whether the member is a directory.
        max_name_bytes: the longest UTF-8 name accepted.

    Returns:
        The path components, each a plain file or directory name.

    Raises:
        UnsafeArchiveError: the name is empty, absolute, has a `..` component, a backslash,
            a NUL or other control character, a Windows drive prefix, is not valid UTF-8,
            is too long or nests too deep.
    """
    if not name:
        raise UnsafeArchiveError(name, "empty name")
    if "\x00" in name:
        raise UnsafeArchiveError(name, "NUL byte in name")
    if _CONTROL.search(name):
        raise UnsafeArchiveError(name, "control character in name")
    if "\\" in name:
        raise UnsafeArchiveError(name, "backslash in name")
    if name.startswith("/"):
        raise UnsafeArchiveError(name, "absolute path")
    if _DRIVE_PREFIX.match(name):
        raise UnsafeArchiveError(name, "Windows drive prefix")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeArchiveError(name, "name is not valid UTF-8") from None
    if len(encoded) > max_name_bytes:
        raise UnsafeArchiveError(name, f"name longer than {max_name_bytes} bytes")
    components = name.split("/")
    if ".." in components:
        raise UnsafeArchiveError(name, "'..' component (path traversal)")
    parts = tuple(part for part in components if part not in ("", "."))
    for part in parts:
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise UnsafeArchiveError(
                name, f"path component longer than {MAX_COMPONENT_BYTES} bytes"
            )
    if len(parts) > MAX_DEPTH:
        raise UnsafeArchiveError(name, f"nested deeper than {MAX_DEPTH} directories")
    if not parts and not is_dir:
        raise UnsafeArchiveError(name, "empty name")
    return parts
