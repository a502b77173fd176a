"""Provenance: what every artifact records about how it was made, in one place.

Tool versions, content hashes, the code's version (project version, git commit and whether the
work tree had changes) and the scene's data source. Datasets, reports and completion markers
all take their record from `provenance_record`, so they name the same things the same way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

from tools.data_source import scene_data_source
from tools.scene_layout import MANIFEST_FILES, SCENE_USD_PATH

PROJECT_PACKAGE: Final = "blueprint-pipeline"
_TRACKED_PACKAGES = (
    PROJECT_PACKAGE,
    "numpy",
    "trimesh",
    "usd-core",
    "mujoco",
    "mujoco-usd",
    "pybullet",  # ships the Franka Panda model (robot asset)
    "pyarrow",
    "av",
    "pydantic",
    "pillow",
)
# Containers have no .git: the image build passes the commit in (see the Dockerfile's ARG).
GIT_COMMIT_ENV: Final = "BLUEPRINT_GIT_COMMIT"
GIT_DIRTY_ENV: Final = "BLUEPRINT_GIT_DIRTY"
BUILD_INFO_PATH: Final = Path(__file__).with_name("build_info.json")  # optional, build-time
_REPO_ROOT = Path(__file__).resolve().parents[1]
_GIT_TIMEOUT_S = 5


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


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(_REPO_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git() -> tuple[str, bool] | None:
    if not (_REPO_ROOT / ".git").exists():
        return None
    head = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    if head is None or status is None:
        return None
    return head.strip(), bool(status.strip())


def _from_build_info() -> tuple[str, bool | None] | None:
    try:
        document = json.loads(BUILD_INFO_PATH.read_text())
        return str(document["git_commit"]), document.get("git_dirty")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _project_version() -> str | None:
    try:
        return version(PROJECT_PACKAGE)
    except PackageNotFoundError:
        return None


@functools.cache
def code_version() -> dict[str, Any]:
    """The project's version and git commit, with a dirty flag and where they were read.

    Looked up in order: the environment (`BLUEPRINT_GIT_COMMIT`, `BLUEPRINT_GIT_DIRTY`), the
    git checkout this code runs from, `tools/build_info.json`. Where none answers (e.g. a
    container built without them) commit and dirty are None and `source` says "unknown".
    Read once per process: a run records the code it started with.
    """
    commit: str | None = None
    dirty: bool | None = None
    source = "unknown"
    if os.environ.get(GIT_COMMIT_ENV):
        commit, source = os.environ[GIT_COMMIT_ENV], "env"
        flag = os.environ.get(GIT_DIRTY_ENV)
        dirty = None if not flag else flag.strip().lower() in ("1", "true", "yes")
    elif (git := _from_git()) is not None:
        (commit, dirty), source = git, "git"
    elif (built := _from_build_info()) is not None:
        (commit, dirty), source = built, "build_info"
    return {
        "version": _project_version(),
        "git_commit": commit,
        "git_dirty": dirty,
        "source": source,
    }


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


def sha256_tree(root: Path) -> str:
    """Hex sha256 over every file under `root` (relative paths and bytes, in path order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode() + b"\0")
    return digest.hexdigest()


def scene_input_hashes(scene_dir: Path) -> dict[str, str | None]:
    """sha256 of the scene's physics USD and manifest files (the base and its layers), by
    scene-relative path (None: absent)."""
    hashes: dict[str, str | None] = {}
    for relative in (SCENE_USD_PATH, *MANIFEST_FILES):
        path = scene_dir / relative
        hashes[relative] = sha256_file(path) if path.is_file() else None
    return hashes


def provenance_record(
    scene_dir: Path,
    *,
    input_sha256: Mapping[str, str | None] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance block of a report, marker or dataset.

    Args:
        scene_dir: the local scene folder (its manifest gives the data source).
        input_sha256: input hashes by scene-relative path; default the USD and the manifest.
        settings: the job settings that change the output.
        extra: step-specific entries (backend, robot asset, run fingerprint...).

    Returns:
        {"code", "tool_versions", "data_source", "input_sha256", "settings", **extra}.
    """
    record: dict[str, Any] = {
        "code": code_version(),
        "tool_versions": tool_versions(),
        "data_source": scene_data_source(scene_dir),
        "input_sha256": dict(
            scene_input_hashes(scene_dir) if input_sha256 is None else input_sha256
        ),
        "settings": dict(settings or {}),
    }
    record.update(extra or {})
    return record
