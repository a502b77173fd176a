"""An exported object's grasp poses: the grasps the episodes use (`tools.tasks.object_grasps`).

One grasp source for the dataset and Genie Sim: a top-down pinch across the narrow side of
the object's box when it fits the Genie Sim gripper, else a pinch of its rim when the tasks
contract lists one, written in Genie Sim's convention (GraspNet-style: each 4x4 pose in the
asset frame, x the approach, y the closing direction, z = x cross y, origin between the
fingers; Genie Sim turns this frame into its gripper frame itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from numpy.typing import NDArray

from tools.geniesim_format import GenieSimRobot
from tools.scene_manifest import SceneObject
from tools.tasks.object_grasps import object_grasp_poses
from tools.tasks.rims import load_rim

FloatArray = NDArray[np.float64]
# The opening a pinch keeps beyond the object's width: the widest object a Genie Sim gripper
# is asked to close across is its full opening less this.
GRASP_CLEARANCE = 0.01


@dataclass(frozen=True)
class GraspSet:
    """Grasp poses (N, 4, 4) in the asset frame and the opening each needs (N,)."""

    poses: FloatArray
    widths: FloatArray

    def __len__(self) -> int:
        return int(self.poses.shape[0])


def max_object_width(robot: GenieSimRobot) -> float:
    """The widest object the robot's gripper is asked to close across."""
    return robot.gripper_max_width_m - GRASP_CLEARANCE


def object_grasps(
    scene_dir: Path,
    obj: SceneObject,
    aligned: trimesh.Trimesh,
    offset: FloatArray,
    robot: GenieSimRobot,
    *,
    rimmed: bool,
) -> GraspSet:
    """The episodes' grasps of one object in its exported (aligned) frame.

    Args:
        scene_dir: the scene folder (collision hulls for the rim).
        obj: the object.
        aligned: its mesh in the exported frame (the scaled asset frame less `offset`).
        offset: where the exported frame's origin lies in the scaled asset frame.
        robot: the Genie Sim robot (its gripper's opening).
        rimmed: the tasks contract lists the object as carried by its rim.

    Returns:
        The grasps, both finger orders (empty when none fits).
    """
    low, high = aligned.bounds
    centre = (low + high) / 2
    unscaled = all(abs(s - 1.0) < 1e-9 for s in obj.transform.scale)  # hulls are unscaled
    rim = load_rim(scene_dir, obj.asset.collision_paths) if rimmed and unscaled else None
    found = object_grasp_poses(
        (high - low) / 2,
        obj.category,
        max_object_width(robot),
        robot.gripper_max_width_m,
        rim,
        rim_origin=np.asarray(offset, dtype=float) + centre,
    )
    poses = found.poses.copy()
    poses[:, :3, 3] += centre  # from the box-centred frame to the aligned one
    return GraspSet(poses, found.openings)
