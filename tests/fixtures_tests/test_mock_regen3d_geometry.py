"""The mock scene is physically plausible and its files agree with the ground truth."""

from __future__ import annotations

import itertools

import numpy as np
import trimesh

PENETRATION_TOL_M = 0.005
LIFT = np.array([0.0, 0.0, PENETRATION_TOL_M])  # separates resting contacts, not penetrations


def _winding_numbers(points: np.ndarray, mesh: trimesh.Trimesh) -> np.ndarray:
    """Generalised winding number of each point w.r.t. a closed mesh (~1 inside, ~0 outside)."""
    tri = mesh.vertices[mesh.faces]
    total = np.zeros(len(points))
    step = max(1, 2_000_000 // max(len(tri), 1))
    for lo in range(0, len(points), step):
        rel = tri[None, :, :, :] - points[lo : lo + step, None, None, :]
        a, b, c = rel[..., 0, :], rel[..., 1, :], rel[..., 2, :]
        la, lb, lc = (np.linalg.norm(v, axis=-1) for v in (a, b, c))
        det = np.einsum("...i,...i->...", a, np.cross(b, c))
        dots = (
            la * lb * lc
            + np.einsum("...i,...i->...", a, b) * lc
            + np.einsum("...i,...i->...", b, c) * la
            + np.einsum("...i,...i->...", c, a) * lb
        )
        total[lo : lo + step] = np.arctan2(det, dots).sum(axis=1) / (2.0 * np.pi)
    return total


def _yaw(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def test_floor_plane_matches_gravity(mock_scene) -> None:
    """PLANE_SAMPLED.ply is a 100x100 planar grid normal to gravity, camera height away."""
    truth = mock_scene.truth
    cloud = trimesh.load(mock_scene.root / "output/pointclouds/PLANE_SAMPLED.ply")
    assert isinstance(cloud, trimesh.PointCloud)
    points = cloud.vertices
    assert points.shape == (10000, 3)
    centre = points.mean(axis=0)
    _, sig, vt = np.linalg.svd(points - centre, full_matrices=False)
    assert sig[2] / sig[0] < 1e-5
    gravity = np.asarray(truth["gravity_camera_frame"])
    assert np.isclose(np.linalg.norm(gravity), 1.0)
    assert abs(abs(vt[2] @ gravity) - 1.0) < 1e-8
    height = float(centre @ gravity) * truth["metric_scale"]
    assert np.isclose(height, truth["camera"]["height_m"], atol=1e-4)
    world_from_camera = np.asarray(truth["camera"]["world_from_camera"])
    assert np.allclose(world_from_camera[:3, :3] @ gravity, [0.0, 0.0, -1.0], atol=1e-9)


def test_camera_is_in_range(mock_scene) -> None:
    """Pitch 15-40 deg down, height 1.3-1.8 m, a non-metric unit in [0.4, 2.5] m."""
    camera = mock_scene.truth["camera"]
    assert 15.0 <= camera["pitch_deg"] <= 40.0
    assert 1.3 <= camera["height_m"] <= 1.8
    assert 0.4 <= mock_scene.truth["metric_scale"] <= 2.5
    gravity = np.asarray(mock_scene.truth["gravity_camera_frame"])
    # Camera looks down -Z: gravity has a -Y (down in image) and a -Z (forward) component.
    pitch = np.degrees(np.arcsin(-gravity[2]))
    assert np.isclose(pitch, camera["pitch_deg"], atol=1e-6)


def test_truth_poses_match_posed_meshes(mock_scene) -> None:
    """Each posed mesh, brought to metres, has the truth's bbox bottom centre, yaw and size."""
    for object_id, obj in mock_scene.truth["objects"].items():
        world = mock_scene.world_meshes[object_id].vertices
        canonical = (world - obj["position_m"]) @ _yaw(obj["yaw_deg"])
        lo, hi = canonical.min(axis=0), canonical.max(axis=0)
        assert np.allclose([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]], 0.0, atol=1e-5)
        assert np.allclose(hi - lo, obj["dimensions_m"], atol=1e-5), object_id


def test_objects_rest_on_their_supports(mock_scene) -> None:
    """Floor objects touch z = 0; others sit on a horizontal face of their support."""
    objects, meshes = mock_scene.truth["objects"], mock_scene.world_meshes
    room = np.asarray(mock_scene.truth["room"]["bounds_m"])
    for object_id, obj in objects.items():
        vertices = meshes[object_id].vertices
        assert (vertices[:, :2] >= room[0, :2] - 1e-6).all()
        assert (vertices[:, :2] <= room[1, :2] + 1e-6).all()
        bottom = vertices[:, 2].min()
        if obj["support"] == "floor":
            assert abs(bottom) < 1e-5, object_id
            continue
        support = meshes[obj["support"]].vertices
        assert np.isclose(support[:, 2], bottom, atol=1e-5).any(), object_id
        assert objects[obj["support"]]["position_m"][2] < obj["position_m"][2]


def test_nothing_interpenetrates(mock_scene) -> None:
    """No object reaches more than 5 mm into another (contacts with supports allowed)."""
    objects, meshes = mock_scene.truth["objects"], mock_scene.world_meshes
    bounds = {k: m.bounds for k, m in meshes.items()}
    for a, b in itertools.combinations(objects, 2):
        lo = np.maximum(bounds[a][0], bounds[b][0])
        hi = np.minimum(bounds[a][1], bounds[b][1])
        if (hi - lo <= PENETRATION_TOL_M).any():
            continue
        for inner, outer in ((a, b), (b, a)):
            mesh = meshes[inner]
            points = np.concatenate([mesh.vertices, mesh.triangles_center])
            if objects[inner]["support"] == outer:
                points = points + LIFT
            elif objects[outer]["support"] == inner:
                points = points - LIFT
            inside = _winding_numbers(points, meshes[outer]) > 0.5
            assert not inside.any(), f"{inner} penetrates {outer}"


def test_work_surface_has_reachable_graspables(mock_scene) -> None:
    """At least 4 manipulable objects sit on the work surface within 0.5 m of its front edge."""
    truth = mock_scene.truth
    surface = truth["objects"][truth["work_surface"]]
    front = -surface["dimensions_m"][1] / 2
    reachable = 0
    for obj in truth["objects"].values():
        if obj["support"] != truth["work_surface"] or obj["sim_role_hint"] != "manipulable":
            continue
        offset = np.asarray(obj["position_m"]) - surface["position_m"]
        local = _yaw(surface["yaw_deg"]).T @ offset
        reachable += 0.0 <= local[1] - front <= 0.5
    assert reachable >= 4
