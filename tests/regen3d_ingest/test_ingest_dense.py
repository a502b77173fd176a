"""Dense, seam-split, tilted input: the mesh index matches the exact kernels; objects come out
upright and resting on their support; nothing of the ground truth is lost."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.contacts import (
    distances_to_surface,
    highest_surface,
    penetration_depth,
    winding_numbers,
)
from regen3d_ingest_job.evaluation import evaluate_scene
from regen3d_ingest_job.floor import FloorFrame
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from regen3d_ingest_job.mesh_index import MeshIndex
from regen3d_ingest_job.poses import GLTF_TO_ZUP, pose_from_baked, pose_from_fit
from tools.rotations import yaw_matrix
from tools.scene_manifest import load_manifest


def _seam_split_cracked(subdivisions: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """An ellipsoid whose every other face has its own vertex copies, minus a few faces."""
    sphere = trimesh.creation.icosphere(subdivisions)
    vertices, faces = sphere.vertices * [0.3, 0.2, 0.1], sphere.faces.copy()
    copies = [vertices]
    count = len(vertices)
    for index in range(0, len(faces), 2):
        copies.append(vertices[faces[index]])
        faces[index] = [count, count + 1, count + 2]
        count += 3
    keep = np.ones(len(faces), dtype=bool)
    keep[[5, 77, 300]] = False  # cracks
    return np.concatenate(copies), faces[keep]


def test_mesh_index_matches_exact_kernels_on_a_seam_split_cracked_mesh() -> None:
    vertices, faces = _seam_split_cracked()
    points = np.random.default_rng(1).uniform(-0.35, 0.35, (600, 3))
    index = MeshIndex(vertices, faces)
    exact = winding_numbers(points, vertices, faces)
    fast = index.winding_numbers(points)
    assert np.array_equal(fast > 0.5, exact > 0.5)
    assert np.abs(fast - exact).max() < 0.1
    assert np.allclose(index.distances(points), distances_to_surface(points, vertices, faces))
    depth = penetration_depth(points, vertices, faces)
    assert depth > 0.05
    assert index.penetration_depth(points) == pytest.approx(depth, abs=1e-12)
    assert index.penetration_depth(points, resolution=depth + 1e-6) == 0.0
    footprint = np.random.default_rng(2).uniform(-0.1, 0.1, (40, 2))
    assert index.highest_surface(footprint, -1.0, 1.0) == pytest.approx(
        highest_surface(footprint, vertices, faces, -1.0, 1.0)
    )
    assert index.highest_surface(footprint, 0.5, 1.0) is None


def _floor(pitch_deg: float) -> FloorFrame:
    """Aligned-from-scene rotation of a camera pitched down by `pitch_deg`, 1.5 units up."""
    p = np.radians(pitch_deg)
    rotation = np.array(
        [[1.0, 0.0, 0.0], [0.0, -np.sin(p), -np.cos(p)], [0.0, np.cos(p), -np.sin(p)]]
    )
    return FloorFrame(rotation, np.array([0.0, 0.0, 1.5]), rotation[2], 1.5, 0.0, 100)


def _posed(floor: FloorFrame, canonical: np.ndarray, world: np.ndarray, tilt_to: np.ndarray):
    """Scene-frame vertices of `canonical` posed by `world` (4x4, aligned frame), then turned
    about the bbox centre so that world up points along `tilt_to` (3D-RE-GEN's 5-DoF fit)."""
    aligned = canonical @ GLTF_TO_ZUP.T @ world[:3, :3].T + world[:3, 3]
    centre = (aligned.min(axis=0) + aligned.max(axis=0)) / 2
    up, axis = np.array([0.0, 0.0, 1.0]), np.cross([0.0, 0.0, 1.0], tilt_to)
    sine, cosine = np.linalg.norm(axis), float(up @ tilt_to)
    k = axis / max(sine, 1e-12)
    skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    turn = np.eye(3) + sine * skew + (1 - cosine) * skew @ skew
    tilted = (aligned - centre) @ turn.T + centre
    return (tilted - floor.offset) @ floor.rotation  # scene = R^T (aligned - offset)


@pytest.mark.parametrize("pitch", [11.0, 35.0])
def test_object_posed_with_the_camera_up_comes_out_upright(pitch: float) -> None:
    floor = _floor(pitch)
    canonical = np.random.default_rng(0).uniform([-0.5, 0, -0.3], [0.5, 1.2, 0.3], (300, 3))
    world = np.eye(4)
    world[:3, :3] = 0.2 * yaw_matrix(np.radians(40.0))
    world[:3, 3] = [0.3, 2.0, 0.8]
    camera_up = floor.rotation @ np.array([0.0, 1.0, 0.0])
    pose = pose_from_fit(canonical, _posed(floor, canonical, world, camera_up), floor)
    assert pose.upright
    assert np.allclose(pose.rotation, yaw_matrix(np.radians(40.0)), atol=1e-9)
    zup = canonical @ GLTF_TO_ZUP.T
    low, high = zup.min(axis=0), zup.max(axis=0)
    bottom_centre = world[:3, :3] @ np.append((low[:2] + high[:2]) / 2, low[2]) + world[:3, 3]
    # turned about the canonical box centre (the input about its world box centre): ~1e-4 apart
    assert np.allclose(pose.translation[:2], bottom_centre[:2], atol=1e-3)


def test_object_lying_on_its_side_keeps_its_rotation() -> None:
    floor = _floor(15.0)
    canonical = np.random.default_rng(0).uniform([-0.2, 0, -0.2], [0.2, 1.5, 0.2], (300, 3))
    on_side = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # +Z -> -Y
    world = np.eye(4)
    world[:3, :3] = 0.1 * on_side
    world[:3, 3] = [0.0, 2.0, 0.02]
    pose = pose_from_fit(canonical, _posed(floor, canonical, world, np.array([0, 0, 1.0])), floor)
    assert not pose.upright
    assert np.allclose(pose.rotation, on_side, atol=1e-9)


def test_realistic_scene_upright_on_supports_and_nothing_lost(tmp_path) -> None:
    """Dense, seam-split, camera-up-tilted input (a tenth of the real density)."""
    scene_dir = generate_mock_scene("dense", tmp_path, "kitchen", 0, 3, "realistic", 0.1)
    summary = ingest_scene(scene_dir, IngestOptions())
    errors = evaluate_scene(scene_dir)
    assert summary.dropped == {} and errors.missing == ()
    assert errors.max_tilt_deg <= 2.0
    assert errors.gravity_deg <= 1.0 and abs(errors.scale_error) <= 0.05
    assert errors.max_position_scale_free_m <= 0.02
    manifest = load_manifest(scene_dir)
    truth = json.loads((scene_dir / "ground_truth.json").read_text())
    ratio = 1.0 + errors.scale_error
    off_floor = [o for o in manifest.objects if o.provenance.source_id in truth["objects"]]
    off_floor = [
        o for o in off_floor if truth["objects"][o.provenance.source_id]["support"] != "floor"
    ]
    assert off_floor
    for obj in off_floor:  # resting on its support: not sunk, not floating (scale divided out)
        true_z = truth["objects"][obj.provenance.source_id]["position_m"][2]
        assert obj.transform.position[2] / ratio == pytest.approx(true_z, abs=0.005), obj.id


@pytest.mark.parametrize("tilted", [True, False])
def test_baked_object_off_the_floor_is_stood_up_only_when_tilted(tilted: bool) -> None:
    """Without output/3D: a box posed with the camera's up is turned upright; an upright one
    (as the fast mock writes it) is left alone."""
    floor = _floor(25.0)
    box = trimesh.creation.box(extents=(0.4, 0.2, 0.6)).vertices @ GLTF_TO_ZUP  # glTF Y-up
    world = np.eye(4)
    world[:3, :3] = yaw_matrix(np.radians(30.0))
    world[:3, 3] = [0.2, 2.0, 0.8]
    up = floor.rotation @ np.array([0.0, 1.0, 0.0]) if tilted else np.array([0.0, 0.0, 1.0])
    pose = pose_from_baked(_posed(floor, box, world, up), floor, "no normalised mesh")
    assert np.allclose(
        pose.extents,
        [
            0.4 * np.cos(np.radians(30)) + 0.2 * np.sin(np.radians(30)),
            0.4 * np.sin(np.radians(30)) + 0.2 * np.cos(np.radians(30)),
            0.6,
        ],
        atol=1e-9,
    )
    assert any("camera pitch" in n for n in pose.notes) == tilted
