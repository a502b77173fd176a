"""Antipodal grasp sampling and the ray caster behind it."""

from __future__ import annotations

import numpy as np
import trimesh

from genie_sim_export_job.grasps import GraspParams, sample_grasps
from genie_sim_export_job.raycast import first_hits


def _centred(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    return trimesh.Trimesh(mesh.vertices - mesh.bounds.mean(axis=0), mesh.faces)


def test_first_hits_finds_nearest_face_and_misses() -> None:
    """A ray down onto a unit box hits its top at the right distance; a ray beside it misses."""
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    origins = np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 2.0]])
    down = np.array([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    distances, faces = first_hits(box.vertices, box.faces, origins, down)
    assert np.isclose(distances[0], 1.5) and faces[0] >= 0
    assert np.isinf(distances[1]) and faces[1] == -1


def test_box_grasps_close_across_its_narrow_sides() -> None:
    """A 6x4x10 cm box: rigid poses inside it, widths = a side + clearance, both finger orders."""
    grasps = sample_grasps(_centred(trimesh.creation.box((0.06, 0.04, 0.10))), GraspParams(0.10))
    assert 0 < len(grasps) <= 60 and len(grasps) % 2 == 0
    assert np.allclose(np.linalg.det(grasps.poses[:, :3, :3]), 1.0)
    assert np.all(np.abs(grasps.poses[:, :3, 3]) <= [0.03, 0.02, 0.05])
    assert set(np.round(grasps.widths, 3)) <= {0.05, 0.07}
    approach = grasps.poses[:, :3, 0]
    assert np.all(approach[:, 2] <= 0.1)  # never from below
    assert np.any(approach[:, 2] < -0.7)  # some top-down


def test_object_wider_than_the_gripper_gets_no_grasp() -> None:
    """A 20 cm cube has no antipodal pair within a 10 cm opening."""
    grasps = sample_grasps(_centred(trimesh.creation.box((0.2, 0.2, 0.2))), GraspParams(0.10))
    assert len(grasps) == 0


def test_same_seed_same_grasps() -> None:
    """Sampling is seeded: the same seed gives identical poses."""
    can = _centred(trimesh.creation.cylinder(0.03, 0.12, sections=24))
    a = sample_grasps(can, GraspParams(0.10, seed=3))
    b = sample_grasps(can, GraspParams(0.10, seed=3))
    assert np.array_equal(a.poses, b.poses) and np.array_equal(a.widths, b.widths)
