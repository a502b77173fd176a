"""Reconstruction-like meshes (dense, seam-split, cracked, noisy): kept, hulled, weighed right."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simready_job.collision import CollisionParams, build_hulls
from simready_job.collision_surface import COLLISION_FACES
from simready_job.hull_cache import HullCache
from simready_job.mesh_cleanup import clean_mesh, enclosed_volume, fill_small_holes, weld_vertices
from simready_job.mesh_repair import prepare_mesh
from simready_job.mesh_winding import orient_faces
from simready_job.simready import run_simready
from simready_job.validation import validate_simready
from tools.config import JobSettings
from tools.scene_manifest import load_manifest
from tools.steps import StepContext
from tools.storage import LocalStorage

FLAT = trimesh.Trimesh(
    np.array([[0, 0, 0], [0.3, 0, 0], [0, 0.2, 0], [0.3, 0.2, 0]], dtype=float),
    np.array([[0, 1, 2], [1, 3, 2]]),
)


def _lemon() -> trimesh.Trimesh:
    lemon = trimesh.creation.icosphere(subdivisions=5, radius=1.0)  # 20,480 triangles
    lemon.apply_scale([0.03, 0.03, 0.04])
    return lemon


def _can() -> trimesh.Trimesh:
    """A soda can: a 66 x 122 mm cylinder with a domed bottom and a recessed lid."""
    r, h = 0.033, 0.122
    profile = [[0, 0.006], [0.7 * r, 0.002], [0.85 * r, 0], [r, 0.006], [r, h - 0.01],
               [0.85 * r, h], [0.8 * r, h], [0.8 * r, h - 0.003], [0, h - 0.003]]  # fmt: skip
    can = trimesh.creation.revolve(np.array(profile), sections=96).subdivide().subdivide()
    assert isinstance(can, trimesh.Trimesh)
    return can


@pytest.mark.parametrize("chart_size", [0.04, 0.004], ids=["few-charts", "hundreds-of-charts"])
def test_a_seam_split_sphere_survives_with_its_volume(meshes, halving, chart_size):
    """Split into charts (a few, or far more than 64 pieces), cracked and speckled, an
    ellipsoid is welded back into one closed body of its own volume and gets one hull."""
    lemon = _lemon()
    scan = meshes.scan_like(lemon, chart_size=chart_size)
    assert len(scan.split(only_watertight=False)) > (64 if chart_size < 0.01 else 4)
    prepared = prepare_mesh(scan, "assets/lemon/mesh.glb")
    assert prepared.volume_source == "mesh"
    assert prepared.solid.is_watertight
    assert prepared.solid.volume == pytest.approx(lemon.volume, rel=0.01)
    assert any("welded" in n for n in prepared.notes)
    assert any("debris" in n for n in prepared.notes)
    assert any("hole(s) filled" in n for n in prepared.notes)
    result = build_hulls(prepared, CollisionParams(), halving, HullCache(None))
    assert result.method == "convex_hull" and len(result.pieces) == 1
    assert halving.calls == 0


def test_a_noisy_soda_can_gets_one_hull(meshes, halving):
    """Its domed bottom, recessed lid and a millimetre of noise keep it within the convex
    ratio once the collision surface is smoothed: one hull, no decomposition."""
    scan = meshes.scan_like(_can(), noise=7e-4)
    prepared = prepare_mesh(scan, "assets/can/mesh.glb")
    result = build_hulls(prepared, CollisionParams(), halving, HullCache(None))
    assert (result.method, len(result.pieces), halving.calls) == ("convex_hull", 1, 0)
    hull = result.pieces[0]
    assert hull.volume == pytest.approx(prepared.solid.volume, rel=0.1)


def test_a_dense_concave_mesh_is_decomposed_from_a_few_thousand_triangles(meshes, halving):
    """A 12k-triangle cup reaches the decomposer decimated; hulls stay within the vertex
    budget."""
    cup = meshes.cup().subdivide().subdivide().subdivide()
    assert len(cup.faces) > 4 * COLLISION_FACES
    seen: list[int] = []
    original = halving.decompose

    def spy(vertices, faces, params):  # type: ignore[no-untyped-def]
        seen.append(len(faces))
        return original(vertices, faces, params)

    halving.decompose = spy
    prepared = prepare_mesh(meshes.scan_like(cup, noise=2e-4), "assets/cup/mesh.glb")
    result = build_hulls(prepared, CollisionParams(), halving, HullCache(None))
    assert result.method == "decomposition"
    assert seen and max(seen) <= COLLISION_FACES
    limit = CollisionParams().decomposition.max_hull_vertices
    assert all(4 <= len(p.vertices) <= limit for p in result.pieces)


def test_weld_merges_only_within_the_tolerance():
    """Copies 1 µm apart merge at a 10 µm radius; points 1 mm apart never do."""
    vertices = np.array([[0, 0, 0], [1e-6, 0, 0], [1e-3, 0, 0], [0, 1e-3, 0]], dtype=float)
    faces = np.array([[0, 2, 3], [1, 3, 2]])
    welded, new_faces, merged = weld_vertices(vertices, faces, 1e-5)
    assert merged == 1 and len(welded) == 3
    assert new_faces.tolist() == [[0, 1, 2], [0, 2, 1]]


def test_cleaning_is_deterministic(meshes):
    """The same input arrays give the same cleaned arrays."""
    scan = meshes.scan_like(_lemon())
    a, b = clean_mesh(scan).mesh, clean_mesh(scan.copy()).mesh
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)


def _ctx(scene: Path) -> StepContext:
    settings = JobSettings(SCENE_ID="test_scene", SCENE_DIR=str(scene))
    return StepContext(scene, settings, LocalStorage(scene), logging.getLogger("test"))


def test_a_scanned_scene_keeps_visuals_and_weighs_a_milk_carton_like_milk(
    scene_factory, meshes, halving
):
    """Visual meshes are left byte for byte; a milk carton filed as "box" weighs ~1 kg."""
    carton = trimesh.creation.box(extents=[0.07, 0.07, 0.2])  # ~1 l
    carton = meshes.scan_like(carton.subdivide_to_size(0.004), chart_size=0.03)
    extra = [
        ("carton", "box", "manipulable", carton),
        ("lemon", "fruit", "manipulable", meshes.scan_like(_lemon())),
    ]
    scene = scene_factory(extra=extra)
    data = json.loads((scene / "assets/scene_manifest.json").read_text())
    data["objects"][2]["semantics"]["label"] = "milk carton"
    data["objects"][3]["semantics"]["label"] = "lemon"
    (scene / "assets/scene_manifest.json").write_text(json.dumps(data))
    visuals = {k: (scene / f"assets/{k}/mesh.glb").read_bytes() for k in ("carton", "lemon")}
    report = run_simready(scene, decomposer=halving)
    assert report.dropped == {}
    assert visuals == {k: (scene / f"assets/{k}/mesh.glb").read_bytes() for k in visuals}
    manifest = load_manifest(scene)
    physics = {o.id: o.physics for o in manifest.objects if o.physics is not None}
    assert physics["carton"].mass_kg == pytest.approx(0.98 * 0.07 * 0.07 * 0.2 * 1000, rel=0.05)
    assert 0.9 <= physics["carton"].mass_kg <= 1.1
    assert 0.1 <= physics["lemon"].mass_kg <= 0.2
    assert len(manifest.object("lemon").asset.collision_paths) == 1
    assert len(manifest.object("carton").asset.collision_paths) == 1


def test_a_flat_mesh_is_still_dropped_loudly(scene_factory, halving, caplog):
    """No repair gives a sheet volume: dropped, with a WARNING naming object and reason,
    in the step's result and in the validation report."""
    scene = scene_factory(extra=[("sheet", "book", "manipulable", FLAT)])
    with caplog.at_level(logging.WARNING, logger="simready"):
        report = run_simready(scene, decomposer=halving)
    assert "encloses none" in report.dropped["sheet"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("sheet" in m and "DROPPED" in m and "encloses none" in m for m in warnings)
    validation = validate_simready(_ctx(scene))
    assert validation["ok"]
    assert "encloses none" in validation["dropped"]["book__(1, 2)"]
    assert any("book__(1, 2)" in w for w in validation["warnings"])


def test_flipped_triangles_are_rewound_outward_in_linear_time():
    """A 20k-triangle ellipsoid with a tenth of its triangles flipped and the whole turned
    inside out comes back consistent and outward, in well under a second of CPU."""
    lemon = _lemon()
    faces = np.asarray(lemon.faces)[:, ::-1].copy()
    flipped = np.random.default_rng(1).random(len(faces)) < 0.1
    faces[flipped] = faces[flipped][:, ::-1]
    started = time.process_time()
    oriented = orient_faces(np.asarray(lemon.vertices), faces)
    assert time.process_time() - started < 1.0
    fixed = trimesh.Trimesh(lemon.vertices, oriented, process=False)
    assert fixed.is_winding_consistent
    assert fixed.volume == pytest.approx(lemon.volume)


def test_a_box_reconstructed_without_its_bottom_still_gets_one_hull(meshes, halving):
    """The unseen bottom is missing (too large a hole to fill): mass comes from the hull, and
    the box, judged with its holes closed, is convex: one hull, no decomposition."""
    box = trimesh.creation.box(extents=[0.25, 0.2, 0.03]).subdivide_to_size(0.005)
    open_box = trimesh.Trimesh(box.vertices, box.faces[box.face_normals[:, 2] > -0.9])
    prepared = prepare_mesh(meshes.scan_like(open_box, holes=0), "assets/book/mesh.glb")
    assert prepared.volume_source == "convex_hull"
    result = build_hulls(prepared, CollisionParams(), halving, HullCache(None))
    assert (result.method, len(result.pieces), halving.calls) == ("convex_hull", 1, 0)


def test_a_soup_of_unwelded_triangles_survives_through_its_hull():
    """Seams with gaps too wide to weld leave a triangle soup: kept, with the hull's volume."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.05)
    corners = sphere.vertices[sphere.faces].reshape(-1, 3)
    corners = corners + np.random.default_rng(0).normal(0.0, 1e-4, corners.shape)
    soup = trimesh.Trimesh(corners, np.arange(len(corners)).reshape(-1, 3), process=False)
    prepared = prepare_mesh(soup, "assets/ball/mesh.glb")
    assert prepared.volume_source == "convex_hull"
    assert prepared.solid.volume == pytest.approx(sphere.volume, rel=0.03)


def test_a_hole_whose_rim_touches_itself_still_closes_for_the_convexity_test():
    """Two open-bottomed boxes touching at one bottom corner: closed by fans, the surface is a
    closed, consistently wound one (the volume is defined) although trimesh calls it not
    watertight; a noisy open bottom pinches like this and was judged 0 % convex."""
    boxes = []
    for offset in ([0.0, 0.0, 0.0], [1.0, 1.0, 0.0]):
        box = trimesh.creation.box(extents=[1, 1, 1])
        box.apply_translation(np.array([0.5, 0.5, 0.5]) + offset)
        boxes.append(trimesh.Trimesh(box.vertices, box.faces[box.face_normals[:, 2] > -0.5]))
    mesh = trimesh.util.concatenate(boxes)
    mesh.merge_vertices()
    vertices, faces, holes = fill_small_holes(
        np.asarray(mesh.vertices), np.asarray(mesh.faces), np.inf
    )
    assert holes == 2 and not trimesh.Trimesh(vertices, faces, process=False).is_watertight
    assert enclosed_volume(mesh) == pytest.approx(2.0)
