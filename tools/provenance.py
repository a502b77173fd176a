"""Provenance helpers: tool versions and content hashes recorded by every artifact."""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_TRACKED_PACKAGES = (
    "blueprint-pipeline",
    "numpy",
    "trimesh",
    "usd-core",
    "mujoco",
    "pyarrow",
    "av",
    "pydantic",
)


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of Python and the libraries that shape our outputs."""
    versions = {"python": platform.python_version()}
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()
