"""Grasps in a scene: TCP rotations, the IK filter on a real arm model, neighbour points."""

from __future__ import annotations

import numpy as np
import trimesh

from tools.grasps.antipodal import SamplerSettings, sample_grasps, scene_clear
from tools.grasps.gripper_model import FRANKA_GRIPPER
from tools.grasps.reach import ik_reachable, object_pose, tcp_rotation, world_points
from tools.scene_manifest import Transform
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot

QUICK = SamplerSettings(surface_points=120, approaches=8, max_grasps=8, check_points=500)


def test_tcp_rotation_points_along_the_approach_and_closes_along_y() -> None:
    """A straight-down grasp closing along world x: the TCP's z points down, its y along x."""
    pose = np.eye(4)
    pose[:3, :3] = np.column_stack([(0, 0, -1.0), (1.0, 0, 0), (0, -1.0, 0)])
    rotation = tcp_rotation(pose)
    assert np.allclose(rotation[:, 2], (0, 0, -1)) and np.allclose(rotation[:, 1], (1, 0, 0))
    assert np.isclose(np.linalg.det(rotation), 1.0)


def test_ik_keeps_grasps_within_reach_only() -> None:
    """A 4 x 6 x 8 cm box on the floor 50 cm in front of the Franka keeps reachable grasps;
    2 m away none."""
    hulls = [trimesh.creation.box((0.04, 0.06, 0.08)).vertices]
    grasps = sample_grasps(hulls, FRANKA_GRIPPER, settings=QUICK)
    kinematics = ArmKinematics(sim_robot("franka_panda"), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
    reachable = ik_reachable(kinematics)
    none = np.zeros((0, 3))
    near = object_pose(Transform(position=(0.5, 0.0, 0.04)))
    kept = scene_clear(grasps, FRANKA_GRIPPER, near, none, 0.0, reachable)
    assert 0 < len(kept) <= len(grasps)
    far = object_pose(Transform(position=(2.0, 0.0, 0.04)))
    assert len(scene_clear(grasps, FRANKA_GRIPPER, far, none, 0.0, reachable)) == 0


def test_neighbour_points_cover_its_faces_where_it_stands() -> None:
    """A 10 cm cube turned 90 degrees about z and moved: points on its faces, about 5 mm apart."""
    cube = [trimesh.creation.box((0.1, 0.1, 0.1)).vertices]
    pose = object_pose(
        Transform(position=(1.0, 2.0, 0.05), rotation_wxyz=(0.7071068, 0, 0, 0.7071068))
    )
    points = world_points(cube, pose)
    assert len(points) >= 2000
    local = points - (1.0, 2.0, 0.05)
    assert np.allclose(np.abs(local).max(axis=1), 0.05, atol=1e-6)
    assert len(world_points([], pose)) == 0
