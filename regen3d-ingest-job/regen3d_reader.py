"""Reads and validates a 3D-RE-GEN working tree (`<scene>/regen3d/`); never writes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from numpy.typing import NDArray

from regen3d_ingest_job import regen3d_layout as layout
from regen3d_ingest_job.glb import GlbDocument, GlbError, parse_glb
from regen3d_ingest_job.ids import SourceId, parse_source_id, traversal_problem
from tools.errors import InputError
from tools.scene_layout import REGEN3D_DIR

FLOOR_HINT = "3D-RE-GEN was run without a 'floor' label, so it fitted no floor plane"


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of the working image (principal point at the image centre)."""

    width: int
    height: int
    focal_px: float


@dataclass(frozen=True)
class RegenObject:
    """One reconstructed object as 3D-RE-GEN wrote it.

    Attributes:
        source: its parsed 3D-RE-GEN id.
        posed: `output/glb/<id>.glb` (scene frame).
        canonical: `output/3D/<id>/<id>.glb` (normalised frame), when present and readable.
        canonical_problem: why `canonical` is None.
    """

    source: SourceId
    posed: GlbDocument
    canonical: GlbDocument | None
    canonical_problem: str | None


@dataclass(frozen=True)
class RegenScene:
    """Everything the ingest reads, validated.

    Attributes:
        camera: the intrinsics.
        floor_points: (N, 3) samples of the floor plane, scene frame.
        objects: readable objects, sorted by id.
        room: the room mesh, when present and readable.
        dropped: 3D-RE-GEN id -> why the object was left out.
        input_sha256: scene-relative path -> sha256 of every file read.
    """

    camera: CameraIntrinsics
    floor_points: NDArray[np.float64]
    objects: tuple[RegenObject, ...]
    room: GlbDocument | None
    dropped: dict[str, str] = field(default_factory=dict)
    input_sha256: dict[str, str] = field(default_factory=dict)


class _Tree:
    """The 3D-RE-GEN folder: reads files inside it only, hashing each one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resolved = root.resolve()
        self.sha256: dict[str, str] = {}

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str, limit: int) -> bytes:
        """The file's bytes; InputError names the file when missing, escaping or too large."""
        key = layout.input_key(relative)
        path = self.root / relative
        if not path.is_file():
            raise InputError(key, "missing")
        if not path.resolve().is_relative_to(self.resolved):
            raise InputError(key, "is a link that leaves the 3D-RE-GEN folder (refused)")
        size = path.stat().st_size
        if size > limit:
            raise InputError(key, f"{size} bytes is over the {limit}-byte limit")
        data = path.read_bytes()
        self.sha256[key] = hashlib.sha256(data).hexdigest()
        return data

    def glb(self, relative: str) -> GlbDocument:
        """A parsed GLB; InputError names the file and the problem."""
        data = self.read(relative, layout.MAX_GLB_BYTES)
        try:
            return parse_glb(data)
        except GlbError as exc:
            raise InputError(layout.input_key(relative), f"corrupt GLB: {exc}") from None


def read_regen3d(scene_dir: Path) -> RegenScene:
    """Read `<scene_dir>/regen3d/`: camera, floor samples, objects and room mesh.

    Args:
        scene_dir: the scene directory.

    Returns:
        The validated input. Objects that are unusable on their own (unreadable GLB, unsafe
        label) are left out and listed in `dropped`.

    Raises:
        InputError: the folder, the camera, the floor plane or every object is unusable.
    """
    root = scene_dir / REGEN3D_DIR
    if not root.is_dir():
        raise InputError(REGEN3D_DIR, "missing: no 3D-RE-GEN output in the scene directory")
    tree = _Tree(root)
    camera = _read_camera(tree)
    floor_points = _read_floor(tree)
    dropped: dict[str, str] = {}
    objects: list[RegenObject] = []
    for raw in _object_ids(tree):
        problem = traversal_problem(raw)
        if problem is not None:
            dropped[raw] = problem
            continue
        try:
            objects.append(_read_object(tree, parse_source_id(raw)))
        except InputError as exc:
            dropped[raw] = str(exc)
    if not objects:
        detail = f" (all {len(dropped)} dropped)" if dropped else ""
        raise InputError(layout.input_key(layout.POSED_GLB_DIR), f"no usable object{detail}")
    room: GlbDocument | None = None
    try:
        room = tree.glb(layout.ROOM_GLB)
    except InputError as exc:
        dropped[layout.ROOM_SOURCE_ID] = f"{exc} (scene has no room collider)"
    return RegenScene(camera, floor_points, tuple(objects), room, dropped, tree.sha256)


def _object_ids(tree: _Tree) -> list[str]:
    ids: set[str] = set()
    posed_dir = tree.path(layout.POSED_GLB_DIR)
    if posed_dir.is_dir():
        ids.update(p.name[: -len(layout.GLB_SUFFIX)] for p in posed_dir.iterdir() if _is_glb(p))
    canonical_dir = tree.path(layout.CANONICAL_GLB_DIR)
    if canonical_dir.is_dir():
        ids.update(p.name for p in canonical_dir.iterdir() if p.is_dir())
    return sorted(ids)


def _is_glb(path: Path) -> bool:
    return path.name.endswith(layout.GLB_SUFFIX) and not path.is_dir()


def _read_object(tree: _Tree, source: SourceId) -> RegenObject:
    posed = tree.glb(layout.posed_glb(source.raw))
    relative = layout.canonical_glb(source.raw)
    if not tree.path(relative).exists():
        return RegenObject(source, posed, None, "no normalised mesh (output/3D)")
    try:
        return RegenObject(source, posed, tree.glb(relative), None)
    except InputError as exc:
        return RegenObject(source, posed, None, f"normalised mesh unusable: {exc}")


def _read_camera(tree: _Tree) -> CameraIntrinsics:
    key = layout.input_key(layout.CAMERA_NPZ)
    data = tree.read(layout.CAMERA_NPZ, layout.MAX_NPZ_BYTES)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(key, f"not a readable .npz archive ({type(exc).__name__})") from None
    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise InputError(key, f"'{name}' contains NaN or Inf")
    size = arrays.get("image_size")
    if size is None or size.size != 2 or size.dtype.kind not in "iuf":
        raise InputError(key, "'image_size' must be [width, height]")
    width, height = (round(float(v)) for v in size.reshape(-1))
    if width <= 0 or height <= 0:
        raise InputError(key, "'image_size' must be positive")
    focal = _focal(arrays, width, key)
    return CameraIntrinsics(width, height, focal)


def _focal(arrays: dict[str, NDArray[np.generic]], width: int, key: str) -> float:
    if "focal" in arrays and arrays["focal"].dtype.kind in "iuf" and arrays["focal"].size >= 1:
        values = arrays["focal"].astype(np.float64).reshape(-1)
        if values.size > 2 or (values.size == 2 and abs(values[0] - values[1]) > 1e-3 * values[0]):
            raise InputError(key, "'focal' must be one value (square pixels)")
        focal = float(values[0])
    elif "camera_angle_x" in arrays and arrays["camera_angle_x"].size == 1:
        angle = float(arrays["camera_angle_x"].reshape(-1)[0])
        if not 0.0 < angle < np.pi:
            raise InputError(key, "'camera_angle_x' must be in (0, pi)")
        focal = width / 2.0 / float(np.tan(angle / 2.0))
    else:
        raise InputError(key, "has neither 'focal' nor 'camera_angle_x'")
    if focal <= 0:
        raise InputError(key, "'focal' must be positive")
    return focal


def _read_floor(tree: _Tree) -> NDArray[np.float64]:
    key = layout.input_key(layout.FLOOR_PLANE_PLY)
    if not tree.path(layout.FLOOR_PLANE_PLY).is_file():
        raise InputError(key, f"missing: {FLOOR_HINT}", hint="add 'floor' to its labels")
    data = tree.read(layout.FLOOR_PLANE_PLY, layout.MAX_PLY_BYTES)
    try:
        loaded = trimesh.load(io.BytesIO(data), file_type="ply", process=False)
        points = np.asarray(getattr(loaded, "vertices", []), dtype=np.float64)
    except Exception as exc:  # trimesh raises any type on a corrupt PLY
        raise InputError(key, f"not a readable PLY ({type(exc).__name__})") from None
    return points.reshape(-1, 3) if points.size % 3 == 0 else points
