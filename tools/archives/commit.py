"""Move a staged tree into the output directory: all or nothing, never following a link."""

from __future__ import annotations

import os
import stat
from contextlib import ExitStack
from dataclasses import dataclass

from tools.archives.errors import UnsafeArchiveError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class _Move:
    """Move staged `parent/name` to the same place in the output; `replace` an entry there."""

    parent: tuple[str, ...]
    name: str
    replace: bool


def merge_tree(src_fd: int, dst_fd: int, replaced_fd: int) -> None:
    """Move every entry under `src_fd` into `dst_fd`, merging into existing directories.

    An existing non-directory entry (file, link, ...) where the archive has an entry is moved
    into `replaced_fd`, so a link in the output is replaced, never followed. Conflicts are
    found before anything moves; if a move fails, the moves already made are undone.

    Args:
        src_fd: the staged tree.
        dst_fd: the output directory.
        replaced_fd: a private directory on the same filesystem for replaced entries.

    Raises:
        UnsafeArchiveError: the output has a directory where the archive has a file.
        OSError: the output changed under us; it is restored to how it was.
    """
    moves: list[_Move] = []
    _plan(src_fd, dst_fd, (), moves)
    # (index, move, moved): `moved` is False while only the replaced entry has been set aside.
    done: list[tuple[int, _Move, bool]] = []
    try:
        for index, move in enumerate(moves):
            with ExitStack() as stack:
                src_parent = _walk(stack, src_fd, move.parent)
                dst_parent = _walk(stack, dst_fd, move.parent)
                if move.replace:
                    os.rename(move.name, str(index), src_dir_fd=dst_parent, dst_dir_fd=replaced_fd)
                    done.append((index, move, False))
                os.rename(move.name, move.name, src_dir_fd=src_parent, dst_dir_fd=dst_parent)
                if move.replace:
                    done[-1] = (index, move, True)
                else:
                    done.append((index, move, True))
    except BaseException:
        _undo(done, src_fd, dst_fd, replaced_fd)
        raise


def _plan(src_fd: int, dst_fd: int, parent: tuple[str, ...], moves: list[_Move]) -> None:
    for name in sorted(os.listdir(src_fd)):
        src_is_dir = stat.S_ISDIR(os.stat(name, dir_fd=src_fd, follow_symlinks=False).st_mode)
        try:
            dst_mode = os.stat(name, dir_fd=dst_fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            moves.append(_Move(parent, name, replace=False))
            continue
        if not stat.S_ISDIR(dst_mode):
            moves.append(_Move(parent, name, replace=True))
        elif not src_is_dir:
            member = "/".join((*parent, name))
            raise UnsafeArchiveError(member, "the output directory has a directory there")
        else:
            with ExitStack() as stack:
                sub_src = _walk(stack, src_fd, (name,))
                sub_dst = _walk(stack, dst_fd, (name,))
                _plan(sub_src, sub_dst, (*parent, name), moves)


def _walk(stack: ExitStack, fd: int, parts: tuple[str, ...]) -> int:
    """Open directory `parts` under `fd` one component at a time, refusing links."""
    for part in parts:
        fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
        stack.callback(os.close, fd)
    return fd


def _undo(done: list[tuple[int, _Move, bool]], src_fd: int, dst_fd: int, replaced_fd: int) -> None:
    """Best effort: put staged entries back and restore what they replaced, newest first."""
    for index, move, moved in reversed(done):
        try:
            with ExitStack() as stack:
                src_parent = _walk(stack, src_fd, move.parent)
                dst_parent = _walk(stack, dst_fd, move.parent)
                if moved:
                    os.rename(move.name, move.name, src_dir_fd=dst_parent, dst_dir_fd=src_parent)
                if move.replace:
                    os.rename(str(index), move.name, src_dir_fd=replaced_fd, dst_dir_fd=dst_parent)
        except OSError:
            continue
