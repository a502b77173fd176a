"""Local-filesystem storage: temp file + fsync + rename for atomic writes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tools.errors import ObjectNotFound, PreconditionFailed, StorageError
from tools.storage.base import Storage, normalize_key


class LocalStorage(Storage):
    """Objects are files under `root`; create-only writes use an exclusive hard link."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()
        self.uri = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / normalize_key(key)

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"{key}: cannot read ({exc.strerror})") from exc

    def write_bytes(self, key: str, data: bytes, *, create_only: bool = False) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._commit(Path(tmp_name), path, key, create_only)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    @staticmethod
    def _commit(tmp: Path, path: Path, key: str, create_only: bool) -> None:
        if create_only:
            # link() fails if the target exists, so exactly one racing writer wins.
            try:
                os.link(tmp, path)
            except FileExistsError as exc:
                raise PreconditionFailed(key) from exc
        else:
            os.replace(tmp, path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            return [normalize_key(prefix)]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def download_file(self, key: str, local_path: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise ObjectNotFound(key)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, local_path)

    def upload_file(self, local_path: Path, key: str, *, create_only: bool = False) -> None:
        path = self._path(key)
        if path.resolve() == Path(local_path).resolve():
            if create_only:
                raise PreconditionFailed(key)
            return
        self.write_bytes(key, Path(local_path).read_bytes(), create_only=create_only)

    def child(self, prefix: str) -> LocalStorage:
        return LocalStorage(self._path(prefix))
