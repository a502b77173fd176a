"""Physical and file contracts of ingested mock scenes: contacts, overlaps, meshes and hashes."""

from __future__ import annotations

import hashlib
import io
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh

from regen3d_ingest_job.contacts import penetration_depth
from tools.scene_manifest import SceneObject, SimRole, load_manifest

ENVIRONMENTS = ("kitchen", "office", "warehouse")
REST_TOLERANCE_M = 0.01
MAX_PENETRATION_M = 0.005


def _rotation(obj: SceneObject) -> np.ndarray:
    w, x, y, z = obj.transform.rotation_wxyz
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _world_mesh(scene_dir: Path, obj: SceneObject) -> trimesh.Trimesh:
    data = (scene_dir / obj.asset.mesh_path).read_bytes()
    mesh = trimesh.load(io.BytesIO(data), file_type="glb", force="mesh", process=False)
    vertices = np.asarray(mesh.vertices) @ _rotation(obj).T + np.asarray(obj.transform.position)
    return trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)


def _solids(scene_dir: Path) -> dict[str, tuple[SceneObject, trimesh.Trimesh]]:
    manifest = load_manifest(scene_dir)
    return {
        o.id: (o, _world_mesh(scene_dir, o))
        for o in manifest.objects
        if o.sim_role is not SimRole.BACKGROUND
    }


def _obb_overlap(a: SceneObject, b: SceneObject) -> float:
    """Penetration depth of two yaw-only boxes (canonical bbox + pose) by separating axes."""
    boxes = []
    for obj in (a, b):
        rotation = _rotation(obj)
        assert abs(rotation[2, 2] - 1.0) < 1e-9, f"{obj.id} is not upright"
        half = np.asarray(obj.dimensions) / 2
        centre = np.asarray(obj.transform.position) + np.array([0.0, 0.0, half[2]])
        boxes.append((centre, rotation[:2, :2].T, half))
    depth = math.inf
    for axes in (boxes[0][1], boxes[1][1]):
        for axis in axes:
            spans = []
            for centre, own_axes, half in boxes:
                radius = float(np.abs(own_axes @ axis) @ half[:2])
                spans.append((centre[:2] @ axis - radius, centre[:2] @ axis + radius))
            depth = min(depth, min(spans[0][1], spans[1][1]) - max(spans[0][0], spans[1][0]))
    (ca, _, ha), (cb, _, hb) = boxes
    depth = min(depth, min(ca[2] + ha[2], cb[2] + hb[2]) - max(ca[2] - ha[2], cb[2] - hb[2]))
    return max(depth, 0.0)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_floor_objects_rest_on_the_floor(ingested_mock_scene, environment) -> None:
    """Objects without a support stand on z = 0 within 1 cm (read back from their meshes)."""
    for obj, mesh in _solids(ingested_mock_scene(environment, 0)).values():
        if not obj.relationships:
            assert abs(mesh.vertices[:, 2].min()) <= REST_TOLERANCE_M, obj.id


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_supported_objects_rest_on_their_support(ingested_mock_scene, environment) -> None:
    """A supported object's bottom meets a horizontal part of its support and goes no deeper."""
    solids = _solids(ingested_mock_scene(environment, 0))
    for obj, mesh in solids.values():
        if not obj.relationships:
            continue
        support = solids[obj.relationships[0].target][1]
        bottom = float(mesh.vertices[:, 2].min())
        assert np.abs(support.vertices[:, 2] - bottom).min() <= REST_TOLERANCE_M, obj.id
        depth = max(
            penetration_depth(mesh.vertices, support.vertices, support.faces.astype(np.int64)),
            penetration_depth(support.vertices, mesh.vertices, mesh.faces.astype(np.int64)),
        )
        assert depth <= MAX_PENETRATION_M, obj.id


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_two_objects_interpenetrate(ingested_mock_scene, environment) -> None:
    """Oriented boxes of objects not in a support relation overlap by at most 5 mm."""
    solids = _solids(ingested_mock_scene(environment, 0))
    for (a, _), (b, _) in itertools.combinations(solids.values(), 2):
        related = {r.target for r in a.relationships} | {r.target for r in b.relationships}
        if a.id in related or b.id in related:
            continue
        assert _obb_overlap(a, b) <= MAX_PENETRATION_M, (a.id, b.id)


def test_every_mesh_exists_and_matches_its_sha256(ingested_mock_scene) -> None:
    """Each asset is under assets/<id>/, hashes as recorded, and spans its dimensions."""
    for environment in ENVIRONMENTS:
        scene_dir = ingested_mock_scene(environment, 0)
        manifest = load_manifest(scene_dir)
        for obj in manifest.objects:
            path = scene_dir / obj.asset.mesh_path
            assert obj.asset.mesh_path.startswith(f"assets/{obj.id}/")
            assert hashlib.sha256(path.read_bytes()).hexdigest() == obj.asset.sha256
            mesh = trimesh.load(path, file_type="glb", force="mesh", process=False)
            assert np.allclose(np.ptp(mesh.vertices, axis=0), obj.dimensions, atol=1e-5)
            assert np.allclose(mesh.vertices.min(axis=0)[2], 0.0, atol=1e-6)
        for key, digest in manifest.provenance.input_sha256.items():
            assert hashlib.sha256((scene_dir / key).read_bytes()).hexdigest() == digest
        leftovers = [p.name for p in scene_dir.iterdir() if p.name.startswith(".regen3d")]
        assert leftovers == []


def test_object_meshes_keep_their_texture(ingested_mock_scene) -> None:
    """Meshes of reconstructed objects keep 3D-RE-GEN's base-colour texture and UVs."""
    scene_dir = ingested_mock_scene("kitchen", 0)
    for obj in load_manifest(scene_dir).objects:
        if obj.sim_role is SimRole.BACKGROUND:
            continue
        mesh = trimesh.load(scene_dir / obj.asset.mesh_path, force="mesh", process=False)
        assert mesh.visual.kind == "texture" and mesh.visual.uv is not None, obj.id


def test_manifest_records_provenance(ingested_mock_scene) -> None:
    """Provenance says mock-fixture (the mock marks its tree), the tool version, the scale
    estimate and its spread."""
    manifest = load_manifest(ingested_mock_scene("warehouse", 0))
    provenance = manifest.provenance
    assert provenance.data_source == "mock-fixture" and provenance.source == "3d-re-gen"
    assert "regen3d_ingest" in provenance.tool_versions
    assert {"metric_scale", "metric_scale_spread"} <= set(provenance.estimates)
    assert "regen3d/output/pre_3D/camera.npz" in provenance.input_sha256
    assert set(provenance.source_ids) == {o.id for o in manifest.objects}
    room = manifest.object("room")
    assert room.sim_role is SimRole.BACKGROUND
    assert room.provenance.source_id == "ground_aligned"
    low, high = manifest.room_bounds.min, manifest.room_bounds.max
    for obj in manifest.objects:
        assert all(
            lo - 1e-6 <= p <= hi + 1e-6
            for lo, p, hi in zip(low, obj.transform.position, high, strict=True)
        )
