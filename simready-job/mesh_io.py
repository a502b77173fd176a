"""Reading asset meshes into plain triangle meshes and writing hulls as deterministic OBJ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import trimesh

from tools.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

READABLE_FORMATS = ("glb", "obj", "ply", "stl")


def load_triangles(
    path: Path, file_format: str, source: str, validate: bool = True
) -> trimesh.Trimesh:
    """Load a mesh file as one triangle mesh with node transforms applied and visuals dropped.

    Args:
        path: the file.
        file_format: the manifest's `asset.format`.
        source: the scene-relative path, for error messages.
        validate: let trimesh drop degenerate faces and fix winding; objects pass False
            because `mesh_cleanup` does that in linear time (trimesh's winding fix takes
            seconds on a dense mesh with flipped triangles).

    Returns:
        A processed mesh (duplicate vertices merged regardless of UVs and normals).

    Raises:
        InputError: unsupported format, missing file, unreadable content or no triangles.
    """
    if file_format not in READABLE_FORMATS:
        raise InputError(source, f"format {file_format} is not readable here ({READABLE_FORMATS})")
    if not path.is_file():
        raise InputError(source, "mesh file is missing")
    try:
        loaded = trimesh.load(str(path), file_type=file_format, force="mesh", process=False)
    except Exception as exc:  # trimesh raises many types for corrupt files
        raise InputError(source, f"cannot read mesh: {type(exc).__name__}") from None
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError(source, "file holds no triangles")
    vertices = np.asarray(loaded.vertices, dtype=np.float64)
    faces = np.asarray(loaded.faces, dtype=np.int64)
    if not np.isfinite(vertices).all():
        raise InputError(source, "mesh has non-finite vertex coordinates")
    mesh = trimesh.Trimesh(vertices, faces, process=True, validate=validate)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh


def obj_bytes(vertices: FloatArray, faces: IntArray) -> bytes:
    """A minimal Wavefront OBJ (positions and triangles), identical bytes for identical input.

    Args:
        vertices: (n, 3) positions in metres.
        faces: (m, 3) zero-based vertex indices, counter-clockwise seen from outside.

    Returns:
        The file's bytes.
    """
    lines = [f"# convex hull: {len(vertices)} vertices, {len(faces)} triangles"]
    lines += [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in np.asarray(vertices, dtype=np.float64)]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in np.asarray(faces, dtype=np.int64)]
    return ("\n".join(lines) + "\n").encode("ascii")


def write_obj(path: Path, vertices: FloatArray, faces: IntArray) -> None:
    """Write `obj_bytes` to `path` (parents created).

    Args:
        path: destination file.
        vertices: (n, 3) positions.
        faces: (m, 3) indices.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(obj_bytes(vertices, faces))
