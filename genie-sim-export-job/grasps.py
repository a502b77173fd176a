"""An exported object's grasp poses: the grasps the episodes use (`tools.tasks.object_grasps`)
first, then the antipodal sampler's ranked grasps on its collision hulls (`tools.grasps`).

The episodes' grasp: a top-down pinch across the narrow side of the object's box when it fits
the Genie Sim gripper, else a pinch of its rim when the tasks contract lists one, else a side
grasp of a tall narrow one. The sampler's (top, angled and side approaches, rims and handles;
collision-free against the object, best first) fill the file up to Genie Sim's 60 grasps
(more would make it run its grasp NMS). All are written in Genie Sim's convention
(GraspNet-style: each 4x4 pose in the asset frame, x the approach, y the closing direction,
z = x cross y, origin between the fingers; Genie Sim turns this frame into its gripper frame).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import trimesh
from numpy.typing import NDArray

from tools.geniesim_format import GenieSimRobot
from tools.geniesim_format.assets import MAX_GRASPS
from tools.grasps.antipodal import DEFAULT_SETTINGS, AntipodalGrasps
from tools.grasps.cache import cached_grasps, load_hull_vertices
from tools.grasps.gripper_model import generic_gripper
from tools.scene_manifest import SceneObject
from tools.tasks.object_grasps import object_grasp_poses
from tools.tasks.rims import load_rim

FloatArray = NDArray[np.float64]
# The opening a pinch keeps beyond the object's width: the widest object a Genie Sim gripper
# is asked to close across is its full opening less this.
GRASP_CLEARANCE = 0.01
_FLIP = np.diag([1.0, -1.0, -1.0, 1.0])  # the same grasp, fingers swapped


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


def sampled_grasps(
    scene_dir: Path, obj: SceneObject, robot: GenieSimRobot
) -> AntipodalGrasps | None:
    """The sampler's grasps of an object's OBJ collision hulls (asset frame) for the robot's
    gripper, with its material's friction, mass and centre of mass (None: no hulls, or scaled)."""
    if any(abs(s - 1.0) >= 1e-9 for s in obj.transform.scale):
        return None  # the hulls are the unscaled asset's
    hulls = load_hull_vertices(scene_dir, obj.asset.collision_paths)
    if not hulls:
        return None
    gripper = generic_gripper(robot.robot_id, robot.gripper_max_width_m, GRASP_CLEARANCE)
    settings, com = DEFAULT_SETTINGS, None
    if obj.physics is not None:
        friction = max(obj.physics.static_friction, 0.05)
        settings = replace(settings, friction=friction, mass_kg=obj.physics.mass_kg)
        com = obj.physics.center_of_mass
    return cached_grasps(hulls, gripper, com, settings)[0]


def _with_sampled(
    found: GraspSet, sampled: AntipodalGrasps | None, offset: FloatArray, bounds: FloatArray
) -> GraspSet:
    """The episodes' grasps, then the best sampled ones (moved from the asset frame into the
    exported one, inside its box) in both finger orders, up to `MAX_GRASPS`."""
    room = (MAX_GRASPS - len(found)) // 2
    if sampled is None or room <= 0 or not len(sampled):
        return found
    poses = sampled.poses.copy()
    poses[:, :3, 3] -= offset
    inside = np.all((poses[:, :3, 3] >= bounds[0]) & (poses[:, :3, 3] <= bounds[1]), axis=1)
    poses, openings = poses[inside][:room], sampled.openings[inside][:room]
    both = np.stack([p for pose in poses for p in (pose, pose @ _FLIP)]).reshape(-1, 4, 4)
    return GraspSet(
        np.concatenate([found.poses, both]),
        np.concatenate([found.widths, np.repeat(openings, 2)]),
    )


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
        The episodes' grasps then the sampler's, both finger orders (empty when none fits).
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
    sampled = sampled_grasps(scene_dir, obj, robot)
    return _with_sampled(
        GraspSet(poses, found.openings), sampled, np.asarray(offset), aligned.bounds
    )
