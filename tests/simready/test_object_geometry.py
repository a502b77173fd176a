"""The object-geometry cache: a rerun reads one entry per object and gets the same geometry."""

from __future__ import annotations

import ast
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simready_job.collision import CollisionParams
from simready_job.decomposition import DecompositionParams
from simready_job.hull_cache import HullCache
from simready_job.object_geometry import (
    GeometryCache,
    GeometryTools,
    code_fingerprint,
    geometry_key,
    object_geometry,
)
from simready_job.room_colliders import PlaneParams
from tools.errors import InputError


def _write_glb(path: Path, mesh: trimesh.Trimesh) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    mesh.export(buffer, file_type="glb")
    path.write_bytes(buffer.getvalue())
    return path


def _tools(root: Path | None, decomposer) -> GeometryTools:
    return GeometryTools(
        collision=CollisionParams(),
        planes=PlaneParams(),
        decomposer=decomposer,
        hulls=HullCache(root),
        geometries=GeometryCache(None if root is None else root / "objects"),
    )


def _same(a, b) -> bool:
    return (
        np.array_equal(a.body_vertices, b.body_vertices)
        and np.array_equal(a.body_faces, b.body_faces)
        and a.notes == b.notes
        and (a.collision.method, a.collision.decomposed_parts, a.collision.notes)
        == (b.collision.method, b.collision.decomposed_parts, b.collision.notes)
        and len(a.collision.pieces) == len(b.collision.pieces)
        and all(
            np.array_equal(p.vertices, q.vertices) and np.array_equal(p.faces, q.faces)
            for p, q in zip(a.collision.pieces, b.collision.pieces, strict=True)
        )
    )


def test_a_rerun_reads_the_whole_geometry_from_the_cache(meshes, halving, tmp_path: Path):
    """The second run neither decomposes nor repairs: one entry per object, identical result."""
    glb = _write_glb(tmp_path / "cup.glb", meshes.cup())
    first_tools = _tools(tmp_path / "cache", halving)
    first = object_geometry(glb, "glb", "cup.glb", False, first_tools)
    assert first.collision.method == "decomposition" and halving.calls == 1
    assert (first_tools.geometries.hits, first_tools.geometries.misses) == (0, 1)

    again_tools = _tools(tmp_path / "cache", halving)
    again = object_geometry(glb, "glb", "cup.glb", False, again_tools)
    assert halving.calls == 1
    assert (again_tools.geometries.hits, again_tools.hulls.hits, again_tools.hulls.misses) == (
        1,
        0,
        0,
    )
    assert _same(first, again)
    assert again.body().volume == pytest.approx(first.body().volume)


def test_the_room_geometry_is_cached_too(meshes, halving, tmp_path: Path):
    """The background's slabs and body come back from the cache unchanged."""
    glb = _write_glb(tmp_path / "room.glb", meshes.room())
    first = object_geometry(glb, "glb", "room.glb", True, _tools(tmp_path, halving))
    tools = _tools(tmp_path, halving)
    assert _same(first, object_geometry(glb, "glb", "room.glb", True, tools))
    assert first.collision.method == "room_planes" and tools.geometries.hits == 1


def test_without_a_cache_folder_nothing_is_stored(meshes, halving, tmp_path: Path):
    """cache_dir None: every lookup misses and the decomposer runs each time."""
    glb = _write_glb(tmp_path / "cup.glb", meshes.cup())
    for _ in range(2):
        object_geometry(glb, "glb", "cup.glb", False, _tools(None, halving))
    assert halving.calls == 2
    assert [p.name for p in tmp_path.iterdir()] == ["cup.glb"]


def test_the_key_covers_bytes_parameters_role_tool_and_code():
    """Any input of the geometry changes the key; the same inputs give the same key."""
    params, planes = CollisionParams(), PlaneParams()
    base = geometry_key(b"mesh", "glb", False, params, planes, "coacd-1")
    assert base == geometry_key(b"mesh", "glb", False, params, planes, "coacd-1")
    fewer = CollisionParams(decomposition=DecompositionParams(max_hulls=4))
    variants = [
        geometry_key(b"mesh!", "glb", False, params, planes, "coacd-1"),
        geometry_key(b"mesh", "obj", False, params, planes, "coacd-1"),
        geometry_key(b"mesh", "glb", True, params, planes, "coacd-1"),
        geometry_key(b"mesh", "glb", False, fewer, planes, "coacd-1"),
        geometry_key(b"mesh", "glb", False, params, replace(planes, slab_thickness_m=0.2), "c"),
        geometry_key(b"mesh", "glb", False, params, planes, "coacd-2"),
    ]
    assert base not in variants and len(set(variants)) == len(variants)
    assert len(code_fingerprint()) == 64


def test_the_key_follows_the_geometry_code(monkeypatch: pytest.MonkeyPatch):
    """A change to the code that computes the geometry invalidates every entry."""
    params, planes = CollisionParams(), PlaneParams()
    before = geometry_key(b"mesh", "glb", False, params, planes, "coacd-1")
    monkeypatch.setattr("simready_job.object_geometry.code_fingerprint", lambda: "0" * 64)
    assert geometry_key(b"mesh", "glb", False, params, planes, "coacd-1") != before


@pytest.mark.parametrize("damage", ["corrupt", "incomplete"])
def test_a_damaged_entry_is_recomputed_and_replaced(meshes, halving, tmp_path: Path, damage):
    """An unreadable or incomplete entry counts as a miss and is written again."""
    glb = _write_glb(tmp_path / "cup.glb", meshes.cup())
    first = object_geometry(glb, "glb", "cup.glb", False, _tools(tmp_path / "c", halving))
    (entry,) = (tmp_path / "c" / "objects").rglob("*.npz")
    if damage == "corrupt":
        entry.write_bytes(b"not a zip")
    else:
        np.savez(entry.open("wb"), meta=np.asarray('{"hulls": 1}'))
    tools = _tools(tmp_path / "c", halving)
    assert _same(first, object_geometry(glb, "glb", "cup.glb", False, tools))
    assert (tools.geometries.hits, tools.geometries.misses) == (0, 1)
    tools = _tools(tmp_path / "c", halving)
    object_geometry(glb, "glb", "cup.glb", False, tools)
    assert tools.geometries.hits == 1


def test_missing_and_unreadable_meshes_are_input_errors(halving, tmp_path: Path):
    """No cache lookup hides a missing or corrupt mesh; nothing is stored for it."""
    tools = _tools(tmp_path / "c", halving)
    with pytest.raises(InputError, match="mesh file is missing"):
        object_geometry(tmp_path / "none.glb", "glb", "none.glb", False, tools)
    (tmp_path / "bad.glb").write_bytes(b"glTF garbage")
    with pytest.raises(InputError, match="cannot read mesh"):
        object_geometry(tmp_path / "bad.glb", "glb", "bad.glb", False, tools)
    assert not (tmp_path / "c" / "objects").exists()


def test_the_fingerprint_covers_every_module_the_geometry_imports():
    """Every simready module reachable by import from the geometry code is fingerprinted,
    so a change to any of them (e.g. seam welding) invalidates old cache entries."""
    from simready_job import object_geometry as module

    listed = set(module._GEOMETRY_MODULES)
    folder = Path(module.__file__).parent
    for name in sorted(listed):
        tree = ast.parse((folder / f"{name.rsplit('.', 1)[1]}.py").read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("simready_job.")
        }
        missing = imported - listed - {"simready_job.hull_cache"}  # cache plumbing, not geometry
        assert not missing, (name, missing)


def test_a_scan_gives_the_same_geometry_twice_without_a_cache(meshes, halving, tmp_path: Path):
    """Clean-up, smoothing and decimation are deterministic: same arrays on a recomputation."""
    cup = meshes.scan_like(meshes.cup().subdivide().subdivide().subdivide(), noise=2e-4)
    path = _write_glb(tmp_path / "cup.glb", cup)
    first = object_geometry(path, "glb", "cup.glb", False, _tools(None, halving))
    second = object_geometry(path, "glb", "cup.glb", False, _tools(None, halving))
    assert first.collision.method == "decomposition" and _same(first, second)
