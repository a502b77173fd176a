"""The storage interface every job uses; keys are relative POSIX paths under a root."""

from __future__ import annotations

import builtins
import json
import posixpath
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from tools.errors import StorageError


def normalize_key(key: str) -> str:
    """Validate a storage key lexically and return it in canonical form.

    Raises:
        StorageError: the key is empty, absolute, has a `..` component, a backslash or a NUL.
    """
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise StorageError(f"storage key {key!r}: must be a non-empty relative POSIX path")
    parts = [p for p in key.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise StorageError(f"storage key {key!r}: must not contain '..' or be empty")
    return posixpath.join(*parts)


class Storage(ABC):
    """A tree of objects addressed by relative keys under `uri`.

    Writes are atomic: a reader sees the old object or the new one, never a partial one.
    `create_only=True` writes fail with `PreconditionFailed` when the key already exists.
    """

    uri: str

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """Return the object's bytes; raises `ObjectNotFound`."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes, *, create_only: bool = False) -> None:
        """Write the object atomically; raises `PreconditionFailed` when create-only loses."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether the object exists."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Keys under `prefix` (a folder-like prefix), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete the object if it exists."""

    @abstractmethod
    def download_file(self, key: str, local_path: Path) -> None:
        """Copy one object to a local file (parents created)."""

    @abstractmethod
    def upload_file(self, local_path: Path, key: str, *, create_only: bool = False) -> None:
        """Copy one local file to an object atomically."""

    @abstractmethod
    def child(self, prefix: str) -> Storage:
        """A storage rooted at `prefix` under this one."""

    def read_json(self, key: str) -> Any:
        """Read and parse a JSON object."""
        return json.loads(self.read_bytes(key))

    def write_json(self, key: str, value: Any, *, create_only: bool = False) -> None:
        """Serialize `value` as indented JSON and write it atomically."""
        data = json.dumps(value, indent=2, sort_keys=True, default=str).encode() + b"\n"
        self.write_bytes(key, data, create_only=create_only)

    def download_prefix(self, prefix: str, local_dir: Path) -> builtins.list[str]:
        """Copy every object under `prefix` into `local_dir`, keeping relative keys."""
        keys = self.list(prefix)
        for key in keys:
            self.download_file(key, local_dir / key)
        return keys

    def upload_tree(self, local_dir: Path, prefix: str = "") -> builtins.list[str]:
        """Copy every file under `local_dir` to objects under `prefix`; returns the keys."""
        keys = []
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(local_dir).as_posix()
            key = normalize_key(posixpath.join(prefix, rel) if prefix else rel)
            self.upload_file(path, key)
            keys.append(key)
        return keys
