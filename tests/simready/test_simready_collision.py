"""Collision hulls: convex vs decomposed, budgets, the hull cache and the room's slabs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simready_job.collision import MAX_DECOMPOSITIONS, CollisionParams, build_hulls, convexity
from simready_job.convex_pieces import ConvexPiece, hull_piece, merge_to_budget
from simready_job.decomposition import DecompositionParams
from simready_job.hull_cache import HullCache, cache_key
from simready_job.mesh_cleanup import separate_parts
from simready_job.mesh_io import obj_bytes
from simready_job.mesh_repair import prepare_mesh
from simready_job.room_colliders import PlaneParams, room_slabs
from tests.simready.conftest import HalvingDecomposer, cup_mesh


def _prepared(mesh: trimesh.Trimesh):
    return prepare_mesh(mesh, "assets/x/mesh.glb")


def test_a_box_gets_one_hull_without_decomposition(halving, tmp_path: Path):
    """A convex shape (volume ratio 1) is its own single hull; the decomposer is not called."""
    box = trimesh.creation.box(extents=[0.3, 0.2, 0.1])
    result = build_hulls(_prepared(box), CollisionParams(), halving, HullCache(tmp_path))
    assert result.method == "convex_hull"
    assert len(result.pieces) == 1
    assert result.pieces[0].volume == pytest.approx(box.volume)
    assert halving.calls == 0


def test_a_cup_is_decomposed_into_several_hulls_and_the_cache_serves_reruns(
    meshes, counting_coacd, tmp_path: Path
):
    """A cup (ratio well below 1) gets several CoACD hulls; a second run hits the cache."""
    cup = _prepared(meshes.cup())
    assert convexity(cup.solid) < 0.5
    # Cheaper than the defaults (the test checks behaviour, not hull quality).
    fast = DecompositionParams(
        max_hulls=8, preprocess_resolution=20, resolution=500, mcts_iterations=20
    )
    params = CollisionParams(decomposition=fast)
    cache = HullCache(tmp_path / "cache")
    first = build_hulls(cup, params, counting_coacd, cache)
    assert first.method == "decomposition"
    assert 2 <= len(first.pieces) <= 8
    assert all(len(p.vertices) <= params.decomposition.max_hull_vertices for p in first.pieces)
    assert (counting_coacd.calls, cache.hits, cache.misses) == (1, 0, 1)

    again = HullCache(tmp_path / "cache")
    second = build_hulls(cup, params, counting_coacd, again)
    assert (counting_coacd.calls, again.hits, again.misses) == (1, 1, 0)
    assert [obj_bytes(p.vertices, p.faces) for p in second.pieces] == [
        obj_bytes(p.vertices, p.faces) for p in first.pieces
    ]


def test_separate_convex_parts_get_one_hull_each(meshes, halving, tmp_path: Path):
    """A table built of five boxes gets five hulls and no decomposition."""
    result = build_hulls(_prepared(meshes.table()), CollisionParams(), halving, HullCache(tmp_path))
    assert result.method == "parts"
    assert len(result.pieces) == 5
    assert halving.calls == 0


def _cups(offsets: list[tuple[float, float]], scale: float = 1.0) -> list[trimesh.Trimesh]:
    cups = []
    for x, y in offsets:
        cup = cup_mesh()
        cup.apply_scale(scale)
        cup.apply_translation([x, y, 0.0])
        cups.append(cup)
    return cups


def test_slivers_get_their_hull_and_decompositions_are_capped(halving):
    """Tiny concave slivers beside a cup get one hull each (no CoACD run); six cups of one
    mesh cost MAX_DECOMPOSITIONS runs, the smallest decomposed together."""
    slivers = _cups([(0.1 + 0.02 * k, 0.0) for k in range(12)], scale=0.05)
    joined = trimesh.util.concatenate(_cups([(0.0, 0.0)]) + slivers)
    result = build_hulls(_prepared(joined), CollisionParams(), halving, HullCache(None))
    assert (result.method, result.decomposed_parts, halving.calls) == ("decomposition", 1, 1)
    assert any("12 small concave part(s)" in n for n in result.notes)
    assert len(result.pieces) == 2 + 12  # the cup's two halves, a hull per sliver

    many = HalvingDecomposer()
    shelf = trimesh.util.concatenate(_cups([(0.1 * k, 0.0) for k in range(6)]))
    result = build_hulls(_prepared(shelf), CollisionParams(), many, HullCache(None))
    assert many.calls == result.decomposed_parts == MAX_DECOMPOSITIONS
    assert any("3 concave parts decomposed together" in n for n in result.notes)
    covered = [p for p in result.pieces if p.vertices[:, 0].min() > 0.25]  # the last cups
    assert covered, "the cups decomposed together still have hulls"


def test_parts_are_split_as_they_are_counted_and_left_unrepaired():
    """Parts follow manifold edges (boards on a pallet's blocks share vertices, not surface);
    the split gives as many parts as were counted, and leaves a part's hole open (trimesh's
    split fills triangle holes, sometimes against the winding)."""
    box = trimesh.creation.box(extents=[0.1, 0.1, 0.1])
    holed = trimesh.Trimesh(box.vertices, box.faces[1:], process=False)  # one triangle missing
    block = trimesh.creation.box(extents=[0.1, 0.1, 0.1])
    block.apply_translation([0.1, 0.1, 0.0])  # touches the box along an edge only
    mesh = trimesh.Trimesh(
        np.vstack([holed.vertices, block.vertices]),
        np.vstack([holed.faces, block.faces + len(holed.vertices)]),
        process=False,
    ).copy()
    mesh.merge_vertices()  # the shared edge's corners become shared vertices
    assert len(mesh.vertices) == 14
    parts = separate_parts(mesh, 64)
    assert sorted(len(p.faces) for p in parts) == [11, 12]
    assert sorted(p.is_watertight for p in parts) == [False, True]
    assert separate_parts(mesh, 1) == [mesh]


def test_cache_key_covers_mesh_parameters_and_tool():
    """Changing the mesh, a parameter or the decomposer's version changes the key."""
    box = trimesh.creation.box()
    v, f = np.asarray(box.vertices), np.asarray(box.faces)
    base = cache_key(v, f, DecompositionParams(), "coacd-1")
    assert base == cache_key(v.copy(), f.copy(), DecompositionParams(), "coacd-1")
    assert base != cache_key(v * 1.001, f, DecompositionParams(), "coacd-1")
    assert base != cache_key(v, f, DecompositionParams(max_hulls=3), "coacd-1")
    assert base != cache_key(v, f, DecompositionParams(), "coacd-2")


def test_a_corrupt_cache_entry_is_recomputed(halving, tmp_path: Path):
    """An unreadable cache file counts as a miss and is replaced."""
    cache = HullCache(tmp_path)
    key = "ab" + "0" * 62
    path = tmp_path / "ab" / f"{key}.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip")
    assert cache.get(key) is None
    cache.put(key, [(np.eye(3), np.array([[0, 1, 2]]))])
    assert cache.get(key) is not None
    assert (cache.hits, cache.misses) == (1, 1)


def test_hulls_respect_the_vertex_budget():
    """A finely tessellated sphere's hull is cut down to the vertex budget, inside the sphere."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    piece = hull_piece(np.asarray(sphere.vertices), 64)
    assert piece is not None
    assert 4 <= len(piece.vertices) <= 64
    assert 0.85 * sphere.volume < piece.volume <= sphere.volume


def test_a_reduced_hull_keeps_its_support_polygon():
    """A ball with a flat base keeps that base when its hull loses vertices (it stands still)."""
    ball = trimesh.creation.icosphere(subdivisions=4, radius=0.05)
    vertices = np.asarray(ball.vertices).copy()
    vertices[:, 2] = np.maximum(vertices[:, 2], -0.04)
    piece = hull_piece(vertices, 48)
    assert piece is not None and len(piece.vertices) <= 48
    base = piece.vertices[piece.vertices[:, 2] <= -0.04 + 1e-9]
    radius = np.sqrt(0.05**2 - 0.04**2)
    assert len(base) >= 8
    assert np.linalg.norm(base[:, :2], axis=1).min() > 0.9 * radius


def test_hulls_beyond_the_budget_are_merged_across_the_smallest_gaps():
    """Thirty cubes merge into eight hulls covering them; touching cubes merge before gaps."""
    cubes = []
    for k in range(30):
        cube = trimesh.creation.box(extents=[0.05, 0.05, 0.05])
        cube.apply_translation([0.1 * k, 0, 0])
        cubes.append(ConvexPiece(np.asarray(cube.vertices), np.asarray(cube.faces)))
    merged = merge_to_budget(cubes, 8, 64)
    assert len(merged) == 8
    assert sum(p.volume for p in merged) >= sum(c.volume for c in cubes)
    pair = [cubes[0], cubes[1]]  # 5 cm gap between them
    touching = trimesh.creation.box(extents=[0.05, 0.05, 0.05])
    touching.apply_translation([-0.05, 0, 0])  # shares a face with cubes[0]
    pair.append(ConvexPiece(np.asarray(touching.vertices), np.asarray(touching.faces)))
    joined, alone = sorted(merge_to_budget(pair, 2, 64), key=lambda p: -p.volume)
    assert joined.volume == pytest.approx(2 * 0.05**3)
    assert alone.centroid == pytest.approx(cubes[1].centroid)


def test_the_room_gets_one_thin_slab_per_plane_and_stays_hollow(meshes):
    """Floor and three walls give four slabs behind their surfaces; the inside stays free."""
    room = meshes.room()
    result = room_slabs(room, PlaneParams(slab_thickness_m=0.1), "assets/room/mesh.glb")
    assert result.method == "room_planes"
    assert len(result.pieces) == 4
    inside = np.array([[0.0, 0.0, 1.0], [1.5, 1.5, 0.05], [-1.9, 0.0, 2.0]])
    for piece in result.pieces:
        mesh = trimesh.Trimesh(piece.vertices, piece.faces)
        assert min(mesh.extents) == pytest.approx(0.1)
        assert not mesh.contains(inside).any()
    floor = min(result.pieces, key=lambda p: p.vertices[:, 2].max())
    assert floor.vertices[:, 2].max() == pytest.approx(0.0, abs=1e-9)
    assert floor.vertices[:, 2].min() == pytest.approx(-0.1)


def test_obj_output_is_byte_stable():
    """The OBJ writer gives identical bytes for identical hulls and reads back as a hull."""
    piece = hull_piece(np.asarray(trimesh.creation.box().vertices), 64)
    assert piece is not None
    data = obj_bytes(piece.vertices, piece.faces)
    assert data == obj_bytes(piece.vertices.copy(), piece.faces.copy())
    back = trimesh.load(io.BytesIO(data), file_type="obj", process=False)
    assert isinstance(back, trimesh.Trimesh)
    assert back.is_watertight and back.volume == pytest.approx(1.0)


def test_an_incomplete_cache_entry_is_recomputed(tmp_path: Path):
    """An entry that lists more hulls than it holds is a miss, not an error."""
    cache = HullCache(tmp_path)
    key = "cd" + "0" * 62
    cache.put(key, [(np.eye(3), np.array([[0, 1, 2]]))])
    path = tmp_path / "cd" / f"{key}.npz"
    np.savez(path.open("wb"), count=np.asarray(2), v0=np.eye(3), f0=np.array([[0, 1, 2]]))
    assert cache.get(key) is None
    assert (cache.hits, cache.misses) == (0, 1)
