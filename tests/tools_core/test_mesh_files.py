"""The one textured-mesh loader: visuals kept, vertex order optional, bad files named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from tools.errors import InputError
from tools.mesh_files import load_textured_meshes


def _textured_quad(path: Path) -> Path:
    # Two triangles that share no vertex: trimesh's processing merges the shared corners.
    quad = trimesh.Trimesh(
        vertices=[[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 0], [1, 0, 1], [0, 0, 1]],
        faces=[[0, 1, 2], [3, 4, 5]],
        process=False,
    )
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [1, 1], [0, 1]], dtype=float)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.new("RGB", (4, 4)))
    quad.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    path.write_bytes(quad.export(file_type="glb"))
    return path


def test_textured_meshes_keep_uvs_and_stored_vertices_unless_processed(tmp_path):
    """Stored order by default (6 vertices); `process=True` merges duplicates (4)."""
    path = _textured_quad(tmp_path / "quad.glb")
    (stored,) = load_textured_meshes(path, "quad.glb")
    assert isinstance(stored.visual, trimesh.visual.TextureVisuals)
    assert len(stored.vertices) == 6 and stored.visual.uv.shape == (6, 2)
    (merged,) = load_textured_meshes(path, "quad.glb", process=True)
    assert len(merged.vertices) == 4


def test_unreadable_and_empty_files_are_input_errors_naming_the_source(tmp_path):
    """A truncated GLB and a file with no triangles fail with one line naming the file."""
    broken = tmp_path / "broken.glb"
    broken.write_bytes(_textured_quad(tmp_path / "ok.glb").read_bytes()[:40])
    with pytest.raises(InputError, match=r"assets/mug/broken\.glb: cannot read mesh"):
        load_textured_meshes(broken, "assets/mug/broken.glb")
    points = tmp_path / "points.ply"
    points.write_bytes(trimesh.PointCloud([[0, 0, 0], [1, 0, 0]]).export(file_type="ply"))
    with pytest.raises(InputError, match=r"points\.ply: file holds no triangles"):
        load_textured_meshes(points, "points.ply")
