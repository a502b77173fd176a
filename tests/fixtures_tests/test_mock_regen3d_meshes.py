"""Object meshes are watertight GLBs in 3D-RE-GEN's layout; 3D/ and glb/ share vertex order."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

BACKGROUND = {"floor", "wall", "walls", "ceiling", "room"}


def _gltf(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    length, kind = struct.unpack_from("<II", data, 12)
    assert kind == 0x4E4F534A
    doc: dict[str, Any] = json.loads(data[20 : 20 + length])
    return doc


def _similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares scale, rotation, translation with target ~ s * R @ source + t (Umeyama)."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    a, b = source - mu_s, target - mu_t
    u, sig, vt = np.linalg.svd(b.T @ a / len(a))
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = float(np.trace(np.diag(sig) @ d) / (a**2).sum(axis=1).mean())
    return scale, rot, mu_t - scale * rot @ mu_s


def test_posed_meshes_are_watertight(mock_scene) -> None:
    """Every posed object mesh is closed, consistently wound and encloses positive volume."""
    for object_id in mock_scene.truth["objects"]:
        mesh = mock_scene.posed(object_id)
        assert mesh.is_watertight, object_id
        assert mesh.is_winding_consistent, object_id
        assert mesh.volume > 0, object_id


def test_posed_glb_layout(mock_scene) -> None:
    """One identity node, POSITION + TEXCOORD_0 only, one PNG texture, metallic 0 / rough 0.99."""
    for object_id in mock_scene.truth["objects"]:
        doc = _gltf(mock_scene.root / "output" / "glb" / f"{object_id}.glb")
        assert len(doc["nodes"]) == 1
        node = doc["nodes"][0]
        assert not {"matrix", "translation", "rotation", "scale"} & node.keys()
        (primitive,) = doc["meshes"][0]["primitives"]
        assert set(primitive["attributes"]) == {"POSITION", "TEXCOORD_0"}
        assert [img["mimeType"] for img in doc["images"]] == ["image/png"]
        (material,) = doc["materials"]
        pbr = material["pbrMetallicRoughness"]
        assert pbr["metallicFactor"] == 0.0
        assert pbr["roughnessFactor"] == 0.99
        assert "baseColorTexture" in pbr


def test_combined_scene_and_room(mock_scene) -> None:
    """combined_scene.glb holds every object and no room; the room GLB is untextured."""
    doc = _gltf(mock_scene.root / "output" / "glb" / "scene" / "combined_scene.glb")
    assert sorted(n["name"] for n in doc["nodes"]) == sorted(mock_scene.truth["objects"])
    for mesh in doc["meshes"]:
        assert "NORMAL" not in mesh["primitives"][0]["attributes"]
    room = _gltf(mock_scene.root / "output" / "pointclouds" / "meshed" / "ground_aligned.glb")
    assert "images" not in room
    assert set(room["meshes"][0]["primitives"][0]["attributes"]) == {"POSITION"}


def test_normalized_meshes_correspond_to_posed(mock_scene) -> None:
    """A similarity fit 3D/ -> glb/ is exact and recovers scale, gravity-up and yaw."""
    truth = mock_scene.truth
    up = -np.asarray(truth["gravity_camera_frame"])
    to_world = np.asarray(truth["camera"]["world_from_camera"])[:3, :3]
    for object_id, obj in truth["objects"].items():
        path = mock_scene.root / "output" / "3D" / object_id / f"{object_id}.glb"
        assert path.exists() == obj["has_normalized_mesh"], object_id
        if not path.exists():
            continue
        normalized = trimesh.load(path, process=False, force="mesh")
        assert isinstance(normalized, trimesh.Trimesh)
        posed = mock_scene.posed(object_id)
        assert len(normalized.vertices) == len(posed.vertices)
        extent = normalized.vertices.max(axis=0) - normalized.vertices.min(axis=0)
        assert np.isclose(extent.max(), 2.0, atol=1e-5)
        scale, rot, shift = _similarity(normalized.vertices, posed.vertices)
        residual = posed.vertices - (scale * normalized.vertices @ rot.T + shift)
        size = np.ptp(posed.vertices, axis=0).max()
        assert np.abs(residual).max() < 1e-4 * size, object_id
        metres = scale * truth["metric_scale"] * 2.0
        assert np.isclose(metres, max(obj["dimensions_m"]), rtol=1e-4), object_id
        assert np.allclose(rot @ [0.0, 1.0, 0.0], up, atol=1e-4), object_id
        x_world = to_world @ rot @ [1.0, 0.0, 0.0]
        yaw = np.degrees(np.arctan2(x_world[1], x_world[0]))
        assert abs((yaw - obj["yaw_deg"] + 180.0) % 360.0 - 180.0) < 0.05, object_id


def test_exactly_one_ordinary_object_lacks_3d(mock_scene) -> None:
    """Background labels never have 3D/; besides them exactly one object lacks it."""
    missing = [i for i, o in mock_scene.truth["objects"].items() if not o["has_normalized_mesh"]]
    assert len(missing) == 1
    for obj in mock_scene.truth["objects"].values():
        assert obj["label"] not in BACKGROUND
    folders = {p.name for p in (mock_scene.root / "output" / "3D").iterdir()}
    assert folders == set(mock_scene.truth["objects"]) - set(missing)


def test_meshes_stay_modest(mock_scene) -> None:
    """No object mesh exceeds a few thousand faces (the ingest must stay fast)."""
    for object_id in mock_scene.truth["objects"]:
        assert len(mock_scene.posed(object_id).faces) <= 4000
