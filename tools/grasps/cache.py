"""Grasps cached by geometry hash: the hulls' bytes, the gripper's sizes, the centre of mass,
the sampler's settings and version. A content-addressed folder of `.npz` files (the scene's
`assets/<object>/grasps/`, or `$BP_GRASP_CACHE_DIR` for every scene), written to a temporary
file and renamed into place so concurrent writers never leave a partial entry; entries read
once are also kept in memory for the process."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tools.grasps.antipodal import (
    DEFAULT_SETTINGS,
    SAMPLER_VERSION,
    AntipodalGrasps,
    SamplerSettings,
    sample_grasps,
)
from tools.grasps.gripper_model import GripperModel

FloatArray = NDArray[np.float64]
CACHE_DIR_ENV = "BP_GRASP_CACHE_DIR"
GRASPS_SUBDIR = "grasps"  # under an object's asset folder
_FIELDS = ("poses", "widths", "openings", "scores", "kinds")
_MEMORY: dict[str, AntipodalGrasps] = {}
_LOG = logging.getLogger(__name__)


def grasp_key(
    vertex_sets: Sequence[FloatArray],
    gripper: GripperModel,
    centre_of_mass: Sequence[float] | None,
    settings: SamplerSettings,
) -> str:
    """The content hash naming an object's grasps (sha256, hex)."""
    digest = hashlib.sha256()
    described = {
        "version": SAMPLER_VERSION,
        "gripper": gripper.parameters(),
        "settings": asdict(settings),
        "com": None if centre_of_mass is None else [float(v) for v in centre_of_mass],
    }
    digest.update(json.dumps(described, sort_keys=True).encode())
    for vertices in vertex_sets:
        block = np.ascontiguousarray(vertices, dtype="<f8")
        digest.update(str(block.shape).encode())
        digest.update(block.tobytes())
    return digest.hexdigest()


def cache_dir(default: Path | None) -> Path | None:
    """Where entries live: `$BP_GRASP_CACHE_DIR` when set, else `default` (None: memory only)."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else default


def _read(path: Path) -> AntipodalGrasps | None:
    try:
        with np.load(path) as data:
            return AntipodalGrasps(*(np.asarray(data[name]) for name in _FIELDS))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # unreadable or from another layout: sampled again and overwritten


def _write(path: Path, grasps: AntipodalGrasps) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **{name: getattr(grasps, name) for name in _FIELDS})
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cached_grasps(
    vertex_sets: Sequence[FloatArray],
    gripper: GripperModel,
    centre_of_mass: Sequence[float] | None = None,
    settings: SamplerSettings = DEFAULT_SETTINGS,
    directory: Path | None = None,
) -> tuple[AntipodalGrasps, bool]:
    """An object's ranked grasps (`antipodal.sample_grasps`), from the cache when present.

    Args:
        vertex_sets: the convex collision pieces' vertices.
        gripper: the gripper model.
        centre_of_mass: in the hulls' frame (None: the bounding box centre).
        settings: the sampler's settings.
        directory: the cache folder (`cache_dir` decides; None and no env var: memory only).

    Returns:
        (grasps, whether they came from the cache).
    """
    key = grasp_key(vertex_sets, gripper, centre_of_mass, settings)
    if key in _MEMORY:
        return _MEMORY[key], True
    folder = cache_dir(directory)
    path = None if folder is None else folder / f"{key}.npz"
    found = _read(path) if path is not None and path.is_file() else None
    if found is not None:
        _MEMORY[key] = found
        return found, True
    grasps = sample_grasps(vertex_sets, gripper, centre_of_mass, settings)
    if path is not None:
        try:
            _write(path, grasps)
        except OSError as err:  # a read-only or full disk: the grasps still serve this process
            _LOG.warning("grasp cache %s not written (%s); kept in memory", path.parent, err)
    _MEMORY[key] = grasps
    return grasps, False


def forget_memory() -> None:
    """Drop the in-process copies (the files stay)."""
    _MEMORY.clear()


def load_hull_vertices(scene_dir: Path, collision_paths: Sequence[str]) -> list[FloatArray]:
    """The vertex sets of an object's OBJ collision hulls as simready writes them (one convex
    piece per file); empty when any is missing or none is an OBJ."""
    paths = [scene_dir / p for p in collision_paths if p.endswith(".obj")]
    if not paths or not all(p.is_file() for p in paths):
        return []
    hulls = []
    for path in paths:
        rows = [
            line.split()[1:4] for line in path.read_text().splitlines() if line.startswith("v ")
        ]
        vertices = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        if len(vertices) >= 4:
            hulls.append(vertices)
    return hulls
