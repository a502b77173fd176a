"""A private staging directory inside the output directory, written without following links."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from tools.archives.commit import merge_tree
from tools.archives.errors import UnsafeArchiveError
from tools.closing import ClosesOnExit

STAGING_PREFIX = ".bp-extract-"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_MODE = 0o644  # archive modes are ignored; the umask still applies
_DIR_MODE = 0o755
_MAX_CACHED_DIRS = 128  # well under the usual 1024 descriptors per process


def open_dir(name: str, dir_fd: int | None = None) -> int:
    """Open a directory without following a link at its last component.

    Raises:
        OSError: it does not exist, is not a directory, or is a symbolic link (ELOOP).
    """
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class StagingTree(ClosesOnExit):
    """Owns a fresh `.bp-extract-*` directory (mode 0700) in the output directory.

    Members are created under it relative to directory descriptors, exclusively and without
    following links; `commit()` moves the tree into the output directory, and leaving the
    context without a commit removes everything this object created. `on_new_directory` is
    called for each parent directory created implicitly (so limits can count them).
    """

    def __init__(
        self,
        output_dir: str | os.PathLike[str],
        on_new_directory: Callable[[str], None] = lambda member: None,
    ) -> None:
        self._on_new_directory = on_new_directory
        self._created = _make_missing_dirs(Path(output_dir))
        self._out_fd = -1
        self._root_fd = -1
        self._tree_fd = -1
        self._name = STAGING_PREFIX + os.urandom(8).hex()
        self._dirs: OrderedDict[tuple[str, ...], int] = OrderedDict()
        try:
            try:
                self._out_fd = open_dir(os.fspath(output_dir))
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeArchiveError(
                        "<output_dir>", "output directory is a symbolic link or not a directory"
                    ) from None
                raise
            os.mkdir(self._name, 0o700, dir_fd=self._out_fd)
            self._root_fd = open_dir(self._name, self._out_fd)
            os.mkdir("tree", 0o700, dir_fd=self._root_fd)
            os.mkdir("replaced", 0o700, dir_fd=self._root_fd)
            self._tree_fd = open_dir("tree", self._root_fd)
        except BaseException:
            self.close()
            raise

    def make_dir(self, member: str, parts: tuple[str, ...]) -> None:
        """Create directory `parts` (and missing parents); an existing directory is fine.

        Raises:
            UnsafeArchiveError: a non-directory is already there or on the way.
        """
        parent = self._dir_fd(member, parts[:-1])
        try:
            os.mkdir(parts[-1], _DIR_MODE, dir_fd=parent)
        except FileExistsError:
            if not stat.S_ISDIR(os.stat(parts[-1], dir_fd=parent, follow_symlinks=False).st_mode):
                raise UnsafeArchiveError(member, "conflicts with an earlier member") from None

    def create_file(self, member: str, parts: tuple[str, ...]) -> int:
        """Create regular file `parts` exclusively and return a descriptor open for writing.

        Raises:
            UnsafeArchiveError: something already exists at that path or on the way.
        """
        parent = self._dir_fd(member, parts[:-1])
        try:
            return os.open(parts[-1], _FILE_FLAGS, _FILE_MODE, dir_fd=parent)
        except FileExistsError:
            raise UnsafeArchiveError(member, "conflicts with an earlier member") from None

    def commit(self) -> None:
        """Move the staged tree into the output directory, then remove the staging directory.

        Raises:
            UnsafeArchiveError: the output already has a directory where the archive has a file;
                the output directory is left as it was.
        """
        self._close_dirs()
        replaced_fd = open_dir("replaced", self._root_fd)
        try:
            merge_tree(self._tree_fd, self._out_fd, replaced_fd)
        finally:
            os.close(replaced_fd)
        self._created = []
        self.close()

    def close(self) -> None:
        """Close every descriptor, remove the staging directory and any output directories
        this object created (none after a commit). Safe to call more than once."""
        self._close_dirs()
        for fd in (self._tree_fd, self._root_fd):
            if fd >= 0:
                os.close(fd)
        self._tree_fd = self._root_fd = -1
        if self._out_fd >= 0:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(self._name, dir_fd=self._out_fd)
            os.close(self._out_fd)
            self._out_fd = -1
        for path in self._created:
            try:
                path.rmdir()
            except OSError:
                break
        self._created = []

    def _dir_fd(self, member: str, parts: tuple[str, ...]) -> int:
        """Return a descriptor of staged directory `parts`, creating missing directories."""
        depth = len(parts)
        fd = self._tree_fd
        while depth > 0:
            cached = self._dirs.get(parts[:depth])
            if cached is not None:
                self._dirs.move_to_end(parts[:depth])
                fd = cached
                break
            depth -= 1
        for index in range(depth, len(parts)):
            try:
                os.mkdir(parts[index], _DIR_MODE, dir_fd=fd)
            except FileExistsError:
                pass
            else:
                self._on_new_directory(member)
            try:
                fd = open_dir(parts[index], fd)
            except OSError as exc:
                if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                    raise UnsafeArchiveError(member, "a parent path is not a directory") from None
                raise
            self._dirs[parts[: index + 1]] = fd
            if len(self._dirs) > _MAX_CACHED_DIRS:
                # The evicted entry is never `fd`: it was inserted last.
                os.close(self._dirs.popitem(last=False)[1])
        return fd

    def _close_dirs(self) -> None:
        while self._dirs:
            os.close(self._dirs.popitem()[1])


def _make_missing_dirs(path: Path) -> list[Path]:
    """Create `path` and its missing parents; return those created, deepest first."""
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    created: list[Path] = []
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            continue
        created.insert(0, directory)
    return created
