"""On-disk caches of simready geometry: npz entries keyed by content and parameters."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from simready_job.decomposition import Decomposer, DecompositionParams, RawHull
from tools.structured_logging import get_logger

log = get_logger("simready.hull_cache")

CACHE_ENV_VAR = "SIMREADY_CACHE_DIR"
_FORMAT = "hulls-v2"  # v2: closed surfaces not remeshed, pieces merged by volume


def default_cache_dir() -> Path:
    """`~/.cache/blueprint-pipeline/hulls` (used when SIMREADY_CACHE_DIR is unset)."""
    return Path.home() / ".cache" / "blueprint-pipeline" / "hulls"


def cache_key(
    vertices: np.ndarray, faces: np.ndarray, params: DecompositionParams, tool: str
) -> str:
    """sha256 over the mesh arrays, the parameters and the decomposer's name and version.

    Args:
        vertices: (n, 3) positions (hashed as little-endian float64).
        faces: (m, 3) indices (hashed as little-endian int64).
        params: decomposition parameters.
        tool: the decomposer's name, e.g. "coacd-1.0.14".

    Returns:
        A 64-character hex key.
    """
    digest = hashlib.sha256(_FORMAT.encode() + b"\0" + tool.encode() + b"\0")
    digest.update(json.dumps(params.as_dict(), sort_keys=True).encode() + b"\0")
    digest.update(np.ascontiguousarray(vertices, dtype="<f8").tobytes() + b"\0")
    digest.update(np.ascontiguousarray(faces, dtype="<i8").tobytes())
    return digest.hexdigest()


class NpzStore:
    """Owns a folder of `<key>.npz` files written atomically; counts hits and misses.

    A missing folder is created on the first write; unreadable entries count as misses (the
    caller recomputes and overwrites them). `root=None` disables the store (every lookup
    misses, nothing is written).
    """

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.misses = 0

    def has(self, key: str) -> bool:
        """Whether an entry for `key` exists (not counted; it may still prove unreadable)."""
        path = self._path(key)
        return path is not None and path.is_file()

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        """Every array of the entry `key`, or None (counted as a miss)."""
        path = self._path(key)
        if path is None or not path.is_file():
            self.misses += 1
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            log.warning("cache entry %s unreadable (%s); recomputing", key[:12], exc)
            self.misses += 1
            return None
        self.hits += 1
        return arrays

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Store arrays atomically (temporary file, then rename); write errors only warn."""
        path = self._path(key)
        if path is None:
            return
        try:
            self._write(path, arrays)
        except OSError as exc:  # a cache that cannot be written only costs speed
            log.warning("cache entry not written (%s: %s)", type(exc).__name__, exc)

    def unhit(self) -> None:
        """Count the last hit as a miss (its content turned out unusable)."""
        self.hits -= 1
        self.misses += 1

    def _write(self, path: Path, arrays: dict[str, np.ndarray]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _path(self, key: str) -> Path | None:
        return None if self.root is None else self.root / key[:2] / f"{key}.npz"


class HullCache(NpzStore):
    """Convex decompositions by `cache_key`: a hit costs one file read."""

    def get(self, key: str) -> list[RawHull] | None:
        """The cached hulls for `key`, or None."""
        arrays = self.get_arrays(key)
        if arrays is None:
            return None
        try:
            count = int(arrays["count"])
            return [
                (arrays[f"v{k}"].astype(np.float64), arrays[f"f{k}"].astype(np.int64))
                for k in range(count)
            ]
        except (KeyError, ValueError) as exc:
            log.warning("hull cache entry %s incomplete (%s); recomputing", key[:12], exc)
            self.unhit()
            return None

    def put(self, key: str, hulls: list[RawHull]) -> None:
        """Store hulls (see `NpzStore.put_arrays`)."""
        arrays: dict[str, np.ndarray] = {"count": np.asarray(len(hulls))}
        for k, (vertices, faces) in enumerate(hulls):
            arrays[f"v{k}"] = np.asarray(vertices, dtype=np.float64)
            arrays[f"f{k}"] = np.asarray(faces, dtype=np.int64)
        self.put_arrays(key, arrays)


def decompose_cached(
    vertices: np.ndarray,
    faces: np.ndarray,
    params: DecompositionParams,
    decomposer: Decomposer,
    cache: HullCache,
) -> list[RawHull]:
    """Decompose through the cache: a hit costs one file read.

    Args:
        vertices: (n, 3) positions.
        faces: (m, 3) indices.
        params: decomposition parameters.
        decomposer: the implementation (its name is part of the key).
        cache: the cache.

    Returns:
        The convex pieces.
    """
    key = cache_key(vertices, faces, params, decomposer.name)
    cached = cache.get(key)
    if cached is not None:
        return cached
    hulls = decomposer.decompose(vertices, faces, params)
    cache.put(key, hulls)
    return hulls
