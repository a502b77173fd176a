"""Where the robot and cameras go in a scene, shared by every backend (engine-independent)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tools.rotations import matrix_to_quat
from tools.scene_manifest import SceneManifest
from tools.tasks.geometry import FloatArray, ObjectBox, Pose

PEDESTAL_HALF_XY = 0.09
CAMERA_DISTANCE = 1.35  # scene camera: from the robot base, across the work surface
CAMERA_HEIGHT = 0.75  # above the base
CAMERA_TARGET_AHEAD = 0.45  # the point it looks at, ahead of the base
CAMERA_FOVY_DEG = 60.0


@dataclass(frozen=True)
class Pedestal:
    """A static box the robot stands on: centre and half extents."""

    centre: tuple[float, float, float]
    half_extents: tuple[float, float, float]


def mount_pose(manifest: SceneManifest, boxes: Mapping[str, ObjectBox]) -> Pose:
    """The Panda base pose: the manifest's floor position and heading, raised to the work top.

    A floor-standing Panda cannot reach down onto a counter; like real lab setups, it stands
    on a pedestal whose top is flush with its work surface.

    Args:
        manifest: gives the base pose and the work surface.
        boxes: measured object boxes.

    Returns:
        The base pose in the world.
    """
    robot = manifest.robot
    x, y, z = robot.base_pose.position
    surface = robot.work_surface
    if surface is not None and surface in boxes:
        z = max(z, boxes[surface].top)
    return Pose.of((x, y, z), robot.base_pose.rotation_wxyz)


def pedestal(manifest: SceneManifest, base: Pose) -> Pedestal | None:
    """The box under a raised base (None when the base stands on the floor)."""
    floor = manifest.robot.base_pose.position[2]
    height = base.position[2] - floor
    if height <= 0.01:
        return None
    half = height / 2 - 0.002  # a hair below the base: no contact with link 0
    return Pedestal(
        (base.position[0], base.position[1], floor + half),
        (PEDESTAL_HALF_XY, PEDESTAL_HALF_XY, half),
    )


def scene_camera(base: Pose) -> tuple[FloatArray, FloatArray]:
    """Scene camera facing the robot across its work surface.

    Args:
        base: the robot base pose.

    Returns:
        (eye position, 3x3 rotation whose columns are the camera's x right, y up, z backwards),
        the convention shared by MuJoCo and USD cameras (both look along -z).
    """
    heading = base.yaw
    forward = np.array([math.cos(heading), math.sin(heading), 0.0])
    origin = np.asarray(base.position, dtype=float)
    target = origin + CAMERA_TARGET_AHEAD * forward
    eye = origin + CAMERA_DISTANCE * forward + np.array([0.0, 0.0, CAMERA_HEIGHT])
    look = target - eye
    look /= np.linalg.norm(look)
    right = np.cross(look, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, look)
    return eye, np.column_stack([right, up, -look])


def scene_camera_pose(base: Pose) -> Pose:
    """The nominal scene camera (`scene_camera`) as a pose.

    Args:
        base: the robot base pose.

    Returns:
        Its eye position and orientation (camera looks down its -z, +y up).
    """
    eye, rotation = scene_camera(base)
    return Pose.of([float(v) for v in eye], matrix_to_quat(rotation))
