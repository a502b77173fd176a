"""The realistic profile: dense seam-split meshes, camera-up tilts, a Poisson-like room, masses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from fixtures.generate_mock_regen3d import main
from fixtures.mock_regen3d import MockSceneError, generate_mock_scene

DENSITY = 0.1  # a tenth of the real faces keeps these tests fast
ROUND_OR_LIGHT = {"lemon", "orange", "apple", "tennis ball", "soda can", "bottle", "water bottle"}


def _load(path: Path) -> trimesh.Trimesh:
    mesh = trimesh.load(path, process=False, force="mesh")
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


class Scene:
    """A generated realistic scene and its ground truth."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.truth: dict[str, Any] = json.loads((path / "ground_truth.json").read_text())
        self.output = path / "regen3d" / "output"

    def posed(self, object_id: str) -> trimesh.Trimesh:
        return _load(self.output / "glb" / f"{object_id}.glb")

    def to_world(self, points: np.ndarray) -> np.ndarray:
        pose = np.asarray(self.truth["camera"]["world_from_camera"])
        metric = np.asarray(points, dtype=np.float64) * self.truth["metric_scale"]
        return np.asarray(metric @ pose[:3, :3].T + pose[:3, 3])


@pytest.fixture(scope="module", params=["kitchen", "office", "warehouse"])
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    out = tmp_path_factory.mktemp(f"realistic-{request.param}")
    return Scene(
        generate_mock_scene(
            "real", out, request.param, seed=21, profile="realistic", density=DENSITY
        )
    )


def _edge_counts(faces: np.ndarray) -> np.ndarray:
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return np.asarray(counts)


def _welded_faces(mesh: trimesh.Trimesh) -> np.ndarray:
    """Faces over vertices merged by exact position, without repeated faces."""
    _, inverse = np.unique(np.asarray(mesh.vertices), axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[np.asarray(mesh.faces)]
    return np.asarray(np.unique(np.sort(faces, axis=1), axis=0))


def test_scene_size_and_objects(scene: Scene) -> None:
    """About ten objects, each with its recorded triangle count, mass, tilt and defects."""
    objects = scene.truth["objects"]
    assert scene.truth["profile"] == "realistic"
    assert 8 <= len(objects) <= 10
    for object_id, obj in objects.items():
        assert len(scene.posed(object_id).faces) == obj["triangles"]
        assert 0.005 <= obj["mass_kg"] <= 100.0
        assert {"missing_faces", "duplicate_faces", "flipped_faces"} <= obj["defects"].keys()
        assert 20_000 * DENSITY * 0.5 <= obj["triangles"] <= 40_000 * DENSITY * 1.6


def test_seams_split_the_index_but_not_the_surface(scene: Scene) -> None:
    """Indexed meshes are open along UV seams; welded by position, uncracked ones are closed."""
    for object_id, obj in scene.truth["objects"].items():
        mesh = scene.posed(object_id)
        assert (_edge_counts(np.asarray(mesh.faces)) == 1).any(), object_id
        welded = _edge_counts(_welded_faces(mesh))
        if obj["defects"]["missing_faces"] == obj["defects"]["open_bottom_faces"] == 0:
            assert (welded % 2 == 0).all(), object_id
        else:
            assert (welded % 2 == 1).any(), object_id


def test_normalized_mesh_matches_posed_vertex_for_vertex(scene: Scene) -> None:
    """output/3D keeps vertex count and order: a similarity maps it onto the posed mesh."""
    checked = 0
    for object_id, obj in scene.truth["objects"].items():
        path = scene.output / "3D" / object_id / f"{object_id}.glb"
        assert path.exists() == obj["has_normalized_mesh"]
        if not path.exists():
            continue
        source, target = np.asarray(_load(path).vertices), np.asarray(
            scene.posed(object_id).vertices
        )
        assert source.shape == target.shape
        _, _, cost = trimesh.registration.procrustes(source, target, reflection=False)
        assert cost / np.ptp(target, axis=0).max() ** 2 < 1e-8, object_id
        checked += 1
    assert checked >= len(scene.truth["objects"]) - 1


def test_supported_objects_arrive_tilted_by_the_camera(scene: Scene) -> None:
    """Off-floor objects' up axis is the camera's; floor objects keep the true upright pose."""
    gravity = -np.asarray(scene.truth["gravity_camera_frame"])
    camera_tilt = np.degrees(np.arccos(np.clip(gravity[1], -1.0, 1.0)))
    on_surface = 0
    for object_id, obj in scene.truth["objects"].items():
        path = scene.output / "3D" / object_id / f"{object_id}.glb"
        if not path.exists():
            continue
        source = np.asarray(_load(path).vertices)
        world = scene.to_world(np.asarray(scene.posed(object_id).vertices))
        matrix, _, _ = trimesh.registration.procrustes(source, world, reflection=False)
        up = matrix[:3, :3] @ np.array([0.0, 1.0, 0.0])
        tilt = np.degrees(np.arccos(np.clip(up[2] / np.linalg.norm(up), -1.0, 1.0)))
        assert tilt == pytest.approx(obj["input_tilt_deg"], abs=0.05), object_id
        if obj["support"] == "floor":
            assert tilt < 0.05
            assert obj["input_support_offset_m"] == 0.0
        else:
            on_surface += 1
            assert tilt == pytest.approx(camera_tilt, abs=0.05)
            assert 0.002 <= abs(obj["input_support_offset_m"]) <= 0.006
    assert on_surface >= 3


def test_room_is_dense_and_bumpy_and_the_plane_exact(scene: Scene) -> None:
    """The room has 100k+ triangles off the ideal planes; PLANE_SAMPLED lies on z = 0."""
    room = _load(scene.output / "pointclouds" / "meshed" / "ground_aligned.glb")
    assert len(room.faces) >= 100_000
    assert len(room.faces) == scene.truth["room"]["triangles"]
    world = scene.to_world(np.asarray(room.vertices))
    floor = world[np.abs(world[:, 2]) < 0.1]
    assert len(floor) > 10_000
    assert 0.002 < float(np.std(floor[:, 2])) < 0.03
    plane = np.fromfile(scene.output / "pointclouds" / "PLANE_SAMPLED.ply", dtype=np.uint8)
    header_end = plane.tobytes().index(b"end_header\n") + len(b"end_header\n")
    points = np.frombuffer(plane.tobytes()[header_end:], dtype="<f4").reshape(-1, 3)
    assert np.abs(scene.to_world(points)[:, 2]).max() < 1e-5


def test_round_and_light_items_have_real_masses(scene: Scene) -> None:
    """The catalogue's round and light items appear, with masses from real ones."""
    labels = {obj["label"]: obj["mass_kg"] for obj in scene.truth["objects"].values()}
    assert ROUND_OR_LIGHT & labels.keys() or {"paper cup", "milk carton"} & labels.keys()
    if "milk carton" in labels:
        assert labels["milk carton"] == pytest.approx(1.0, abs=0.15)
    if "paper cup" in labels:
        assert labels["paper cup"] < 0.02


def test_realistic_profile_is_deterministic(tmp_path: Path) -> None:
    """Same arguments, same bytes; another density keeps the layout and changes the meshes."""
    a = generate_mock_scene(
        "d", tmp_path / "a", "kitchen", seed=4, profile="realistic", density=0.05
    )
    cli = ["--scene-id", "d", "--output-dir", str(tmp_path / "b"), "--seed", "4"]
    assert main([*cli, "--profile", "realistic", "--density", "0.05"]) == 0
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) > 20
    for name in files:
        assert (a / name).read_bytes() == (tmp_path / "b" / "d" / name).read_bytes(), name
    c = generate_mock_scene(
        "d", tmp_path / "c", "kitchen", seed=4, profile="realistic", density=0.1
    )
    truth_a = json.loads((a / "ground_truth.json").read_text())
    truth_c = json.loads((c / "ground_truth.json").read_text())
    assert truth_a["objects"].keys() == truth_c["objects"].keys()
    for object_id, obj in truth_a["objects"].items():
        assert obj["position_m"] == truth_c["objects"][object_id]["position_m"]
        assert obj["triangles"] <= truth_c["objects"][object_id]["triangles"]
    total = [sum(o["triangles"] for o in t["objects"].values()) for t in (truth_a, truth_c)]
    assert total[0] < total[1]


def test_default_density_matches_real_output(tmp_path: Path) -> None:
    """At full density: 20k-40k triangles per object, about 300k-350k per scene."""
    scene = Scene(generate_mock_scene("full", tmp_path, "kitchen", seed=21, profile="realistic"))
    counts = [obj["triangles"] for obj in scene.truth["objects"].values()]
    assert all(18_000 <= c <= 45_000 for c in counts)
    assert 240_000 <= sum(counts) <= 420_000


@pytest.mark.parametrize(("profile", "density"), [("dense", 1.0), ("realistic", 0.0)])
def test_bad_profile_arguments(tmp_path: Path, profile: str, density: float) -> None:
    """An unknown profile or a non-positive density is refused before anything is written."""
    with pytest.raises(MockSceneError):
        generate_mock_scene("x", tmp_path, profile=profile, density=density)
    assert list(tmp_path.iterdir()) == []


def test_open_bottom_removes_only_the_underside() -> None:
    """An open bottom drops exactly the downward faces at the lowest level of a box."""
    from fixtures.mock_regen3d.dense_mesh import subdivide
    from fixtures.mock_regen3d.primitives import box_from_bounds
    from fixtures.mock_regen3d.surface_defects import open_bottom

    dense = subdivide(box_from_bounds((-0.1, -0.1, 0.0), (0.1, 0.1, 0.2)), 4)
    opened, removed = open_bottom(dense)
    assert removed == len(dense.faces) // 6
    assert len(opened.faces) == len(dense.faces) - removed
    assert (_edge_counts(opened.faces) == 1).sum() == 4 * 4
