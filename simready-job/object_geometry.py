"""An object's geometry for physics (repaired body and collision hulls), cached per mesh file.

Everything here depends only on the mesh file's bytes, the parameters and the code that
computes it, so the whole result is cached under a key over exactly those: a rerun, or a
scene repeating a shape, reads one file per object instead of repairing, hulling and
decomposing again. Physics priors, scale and the LLM are applied afterwards and are not
part of the entry.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import trimesh

from simready_job.collision import CollisionParams, CollisionResult, build_hulls
from simready_job.convex_pieces import ConvexPiece, FloatArray, IntArray
from simready_job.decomposition import Decomposer
from simready_job.hull_cache import HullCache, NpzStore
from simready_job.mesh_io import load_triangles
from simready_job.mesh_repair import join_meshes, prepare_mesh
from simready_job.room_colliders import PlaneParams, room_slabs
from tools.errors import InputError
from tools.structured_logging import get_logger

log = get_logger("simready.object_geometry")

_FORMAT = "object-geometry-v2"  # v2: seams welded, collision surface simplified
# The modules whose code decides the geometry: any change to them invalidates every entry.
_GEOMETRY_MODULES = (
    "simready_job.collision",
    "simready_job.collision_surface",
    "simready_job.convex_pieces",
    "simready_job.decomposition",
    "simready_job.flat_base",
    "simready_job.mesh_cleanup",
    "simready_job.mesh_io",
    "simready_job.mesh_repair",
    "simready_job.mesh_winding",
    "simready_job.object_geometry",
    "simready_job.room_colliders",
    "simready_job.room_planes",
)
_GEOMETRY_PACKAGES = ("fast_simplification", "numpy", "scipy", "trimesh")


@dataclass(frozen=True)
class ObjectGeometry:
    """The repaired body (mass properties come from it) and the collision hulls.

    Attributes:
        body_vertices: (n, 3) vertices of the watertight body in the asset frame.
        body_faces: (m, 3) outward triangles of the body.
        collision: the hulls and how they were obtained.
        notes: repairs and fallbacks worth recording in the manifest.
    """

    body_vertices: FloatArray
    body_faces: IntArray
    collision: CollisionResult
    notes: tuple[str, ...]

    def body(self) -> trimesh.Trimesh:
        """The body as a fresh mesh (never processed: the arrays are used as they are)."""
        return trimesh.Trimesh(self.body_vertices, self.body_faces, process=False)


@cache
def code_fingerprint() -> str:
    """sha256 over the geometry modules' source and the numeric packages' versions."""
    digest = hashlib.sha256(_FORMAT.encode())
    for name in _GEOMETRY_MODULES:
        digest.update(name.encode() + b"\0" + Path(str(sys.modules[name].__file__)).read_bytes())
    for package in _GEOMETRY_PACKAGES:
        digest.update(f"{package}=={version(package)}".encode())
    return digest.hexdigest()


def geometry_key(
    mesh_bytes: bytes,
    file_format: str,
    background: bool,
    collision: CollisionParams,
    planes: PlaneParams,
    decomposer: str,
) -> str:
    """The cache key of an object's geometry.

    Args:
        mesh_bytes: the mesh file's content.
        file_format: the manifest's `asset.format`.
        background: whether the object is the room (slabs instead of hulls).
        collision: hull parameters.
        planes: room-plane parameters.
        decomposer: the decomposer's name and version.

    Returns:
        A 64-character hex key.
    """
    params = {
        "format": file_format,
        "background": background,
        "collision": asdict(collision),
        "planes": asdict(planes),
        "decomposer": decomposer,
        "code": code_fingerprint(),
    }
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode() + b"\0")
    digest.update(hashlib.sha256(mesh_bytes).digest())
    return digest.hexdigest()


class GeometryCache(NpzStore):
    """Object geometries by `geometry_key` (one npz per object: body, hulls, method, notes)."""

    def get(self, key: str) -> ObjectGeometry | None:
        """The cached geometry for `key`, or None."""
        arrays = self.get_arrays(key)
        if arrays is None:
            return None
        try:
            meta = json.loads(str(arrays["meta"]))
            pieces = tuple(
                ConvexPiece(arrays[f"v{k}"].astype(np.float64), arrays[f"f{k}"].astype(np.int64))
                for k in range(int(meta["hulls"]))
            )
            collision = CollisionResult(
                pieces,
                str(meta["method"]),
                int(meta["decomposed_parts"]),
                tuple(meta["hull_notes"]),
            )
            return ObjectGeometry(
                arrays["body_v"].astype(np.float64),
                arrays["body_f"].astype(np.int64),
                collision,
                tuple(str(n) for n in meta["notes"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("geometry cache entry %s incomplete (%s); recomputing", key[:12], exc)
            self.unhit()
            return None

    def put(self, key: str, geometry: ObjectGeometry) -> None:
        """Store a geometry (see `NpzStore.put_arrays`)."""
        collision = geometry.collision
        meta = {
            "hulls": len(collision.pieces),
            "method": collision.method,
            "decomposed_parts": collision.decomposed_parts,
            "hull_notes": list(collision.notes),
            "notes": list(geometry.notes),
        }
        arrays = {
            "meta": np.asarray(json.dumps(meta, sort_keys=True)),
            "body_v": geometry.body_vertices,
            "body_f": geometry.body_faces,
        }
        for k, piece in enumerate(collision.pieces):
            arrays[f"v{k}"] = piece.vertices
            arrays[f"f{k}"] = piece.faces
        self.put_arrays(key, arrays)


@dataclass(frozen=True)
class GeometryTools:
    """Parameters, decomposer and caches the geometry is computed with."""

    collision: CollisionParams
    planes: PlaneParams
    decomposer: Decomposer
    hulls: HullCache
    geometries: GeometryCache


def object_geometry(
    path: Path, file_format: str, source: str, background: bool, tools: GeometryTools
) -> ObjectGeometry:
    """The object's body and hulls: from the cache, or computed and stored.

    Args:
        path: the mesh file.
        file_format: the manifest's `asset.format`.
        source: the scene-relative path, for error messages.
        background: the room (one slab per floor/wall plane) instead of an object.
        tools: parameters, decomposer and caches.

    Returns:
        The geometry (identical whether computed or read back).

    Raises:
        InputError: the mesh is missing, unreadable or degenerate (never cached).
    """
    if not path.is_file():
        raise InputError(source, "mesh file is missing")
    try:
        mesh_bytes = path.read_bytes()
    except OSError as exc:
        raise InputError(source, f"mesh file is unreadable ({type(exc).__name__})") from None
    key = geometry_key(
        mesh_bytes, file_format, background, tools.collision, tools.planes, tools.decomposer.name
    )
    cached = tools.geometries.get(key)
    if cached is not None:
        return cached
    geometry = _compute(path, file_format, source, background, tools)
    tools.geometries.put(key, geometry)
    return geometry


def _compute(
    path: Path, file_format: str, source: str, background: bool, tools: GeometryTools
) -> ObjectGeometry:
    mesh = load_triangles(path, file_format, source, validate=background)
    if background:
        collision = room_slabs(mesh, tools.planes, source)
        body = join_meshes(
            [trimesh.Trimesh(p.vertices, p.faces, process=False) for p in collision.pieces]
        )
        notes: tuple[str, ...] = ()
    else:
        prepared = prepare_mesh(mesh, source)
        body = prepared.solid
        collision = build_hulls(prepared, tools.collision, tools.decomposer, tools.hulls)
        notes = prepared.notes
    return ObjectGeometry(
        np.asarray(body.vertices, dtype=np.float64).copy(),
        np.asarray(body.faces, dtype=np.int64).copy(),
        collision,
        notes + collision.notes,
    )
