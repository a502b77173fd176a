"""Stand the robot of a compiled MuJoCo model at another base pose, without recompiling.

A pick-and-place task may need the robot elsewhere than the scene's base (`pick_stations`).
Recompiling the scene per station costs a USD import and a compile; moving the robot's root
body, its pedestal, the scene camera and the key light in the compiled model costs nothing,
and a replay record (a diff of every model array against the nominal model) then carries the
station by itself. Same height as the nominal base; a station facing its target may turn,
and the pedestal turns with it.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.backends.base import SCENE_CAMERA
from tools.sim.robots.base import SimRobot
from tools.tasks.geometry import Pose
from tools.tasks.robot_mount import scene_camera_pose

KEY_LIGHT = "key_light"
KEY_LIGHT_HEIGHT_M = 2.0  # as `mujoco_scene.assemble` places it above the base


def model_arrays(model: mujoco.MjModel) -> dict[str, NDArray[Any]]:
    """Every array field of a compiled model, by name (views: writing them edits the model)."""
    arrays: dict[str, NDArray[Any]] = {}
    for name in dir(model):
        if name.startswith("_"):
            continue
        value = getattr(model, name)
        if isinstance(value, np.ndarray):
            arrays[name] = value
    return arrays


def _named(model: mujoco.MjModel, kind: mujoco.mjtObj, name: str) -> int:
    return int(mujoco.mj_name2id(model, kind, name))


def move_robot(model: mujoco.MjModel, robot: SimRobot, base: Pose, pedestal: str) -> None:
    """Move the robot's root body, and what stands with it, to `base`.

    The pedestal (a world geom named `pedestal`, if any) moves under the base, turned to its
    heading; the scene
    camera and the key light keep their placement relative to it. The caller recomputes
    the derived constants (`mj_setConst`).

    Args:
        model: the compiled model (edited in place).
        robot: the mounted arm.
        base: the new base pose (same height as the mounted one, any heading).
        pedestal: the pedestal geom's name.
    """
    root = model.body(robot.scoped(robot.base_body)).id
    model.body_pos[root] = base.position
    model.body_quat[root] = base.quat_wxyz
    stand = _named(model, mujoco.mjtObj.mjOBJ_GEOM, pedestal)
    if stand >= 0:
        # Turned with the base: a station facing its target has its own heading, and its
        # footprint was checked clear of the furniture turned so (`base_placement._blocked`).
        model.geom_pos[stand][:2] = base.position[:2]
        half_yaw = base.yaw / 2
        model.geom_quat[stand] = (np.cos(half_yaw), 0.0, 0.0, np.sin(half_yaw))
    camera = _named(model, mujoco.mjtObj.mjOBJ_CAMERA, SCENE_CAMERA)
    if camera >= 0:
        pose = scene_camera_pose(base)
        model.cam_pos[camera] = pose.position
        model.cam_quat[camera] = pose.quat_wxyz
    light = _named(model, mujoco.mjtObj.mjOBJ_LIGHT, KEY_LIGHT)
    if light >= 0:
        x, y, z = base.position
        model.light_pos[light] = np.array([x, y, z + KEY_LIGHT_HEIGHT_M])
