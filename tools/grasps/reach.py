"""Grasps in a scene: the object's cached grasps placed where it stands, kept where the gripper
clears the neighbours and the support and the arm reaches the pose with IK."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from tools.grasps.hulls import build_hulls, sample_surface
from tools.rotations import quat_to_matrix
from tools.scene_manifest import Transform
from tools.sim.robots.kinematics import ArmKinematics

FloatArray = NDArray[np.float64]
IK_ITERATIONS = 150  # from home, a wrist turned half round needs more than the planner's 60
_SWAP = np.diag([-1.0, -1.0, 1.0])  # TCP half a turn about its z (the approach)


def tcp_rotation(grasp_pose: FloatArray) -> FloatArray:
    """The TCP rotation of a grasp pose: the TCP's z is the approach and its y the closing
    direction (the episodes' convention), the grasp frame's x and y."""
    approach, closing = grasp_pose[:3, 0], grasp_pose[:3, 1]
    return np.column_stack([np.cross(closing, approach), closing, approach])


def ik_reachable(
    kinematics: ArmKinematics,
    start_qpos: Sequence[float] | None = None,
    position_tol: float = 5e-3,
    rotation_tol: float = 0.05,
) -> Callable[[FloatArray], bool]:
    """An IK check of world grasp poses for `antipodal.scene_clear`: the TCP at the grasp
    point with the grasp's rotation, or the fingers swapped (turned half a turn about the
    approach), solved from `start_qpos` (the arm's home pose)."""
    start = np.asarray(kinematics.robot.home_qpos if start_qpos is None else start_qpos)

    def reachable(pose: FloatArray) -> bool:
        rotation = tcp_rotation(pose)
        for turned in (rotation, rotation @ _SWAP):  # a parallel gripper's two finger orders
            result = kinematics.solve(pose[:3, 3], turned, start, iterations=IK_ITERATIONS)
            if result.converged(position_tol, rotation_tol):
                return True
        return False

    return reachable


def object_pose(transform: Transform) -> FloatArray:
    """The 4x4 pose of an object's (unscaled) asset frame in the world."""
    pose = np.eye(4)
    pose[:3, :3] = np.asarray(quat_to_matrix(transform.rotation_wxyz), dtype=float)
    pose[:3, 3] = transform.position
    return pose


def world_points(
    vertex_sets: Sequence[FloatArray], pose: FloatArray, spacing: float = 0.005, seed: int = 0
) -> FloatArray:
    """Surface points of an object's hulls about `spacing` apart, moved to its world pose (a
    neighbour's obstacle points for `antipodal.scene_clear`)."""
    hulls = build_hulls(vertex_sets)
    if not hulls:
        return np.zeros((0, 3))
    area = sum(float(np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1).sum())
               for t in (h.triangles for h in hulls)) / 2  # fmt: skip
    count = max(8, int(area / spacing**2))
    local, _ = sample_surface(hulls, count, np.random.default_rng(seed))
    return np.asarray(local @ pose[:3, :3].T + pose[:3, 3])
