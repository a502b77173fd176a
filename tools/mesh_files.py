"""Reading an object's textured mesh file (GLB, OBJ, ...): every triangle mesh, visuals kept."""

from __future__ import annotations

from pathlib import Path

import trimesh

from tools.errors import InputError


def load_textured_meshes(
    path: Path, source: str, *, process: bool = False
) -> list[trimesh.Trimesh]:
    """The file's meshes with node transforms applied and visuals (UVs, material) kept.

    Args:
        path: a mesh file (glb, obj, ...).
        source: scene-relative path for error messages.
        process: let trimesh merge duplicate vertices (off: vertex order and count as stored,
            which cutting and UV interpolation rely on).

    Returns:
        Non-empty triangle meshes.

    Raises:
        InputError: unreadable, not a mesh scene, or without triangles.
    """
    try:
        scene = trimesh.load(str(path), force="scene", process=process)
    except Exception as exc:  # trimesh raises many types for corrupt files
        raise InputError(source, f"cannot read mesh: {type(exc).__name__}") from exc
    if not isinstance(scene, trimesh.Scene):
        raise InputError(source, "not a mesh scene")
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    if not meshes:
        raise InputError(source, "file holds no triangles")
    return meshes
