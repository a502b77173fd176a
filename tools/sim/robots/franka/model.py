"""Build the Franka Panda as a MuJoCo MjSpec from the URDF the `pybullet` wheel ships."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mujoco
import numpy as np

from tools.sim.robots import urdf_spec
from tools.sim.robots.franka import constants as franka

# Finger pads replace the finger meshes' convex hulls for contact: flat, high-friction faces.
_PAD_HALF = (0.0105, 0.005, 0.009)
_PAD_CENTRE_Z = 0.045
_BAD_UV_MESHES = ("link5", "link6")
_LINK_GYRATION_RADIUS = 0.07  # the URDF's 0.1 kg m^2 everywhere is far too large for fingers


def asset_dir() -> Path:
    """Folder of the Panda URDF and meshes inside the installed `pybullet` wheel.

    Returns:
        The `pybullet_data/franka_panda` folder.

    Raises:
        ConfigError: `pybullet` (which ships the model) is not installed.
    """
    return franka.DESCRIPTION.asset_dir()


def _add_pads(spec: mujoco.MjSpec) -> None:
    urdf_spec.disable_contacts(spec, franka.FINGER_BODIES)
    for body_name, pad, sign in zip(
        franka.FINGER_BODIES, franka.FINGER_PAD_GEOMS, (1.0, -1.0), strict=True
    ):
        pos = (0.0, sign * _PAD_HALF[1], _PAD_CENTRE_Z)
        urdf_spec.add_pad(
            spec.body(body_name), pad, _PAD_HALF, pos, franka.PAD_FRICTION, franka.PAD_CONTACT
        )


def build_franka_spec(wrist_camera: bool = True) -> mujoco.MjSpec:
    """The Panda (7-DoF arm + hand) with position actuators, gravity compensation and a TCP site.

    Args:
        wrist_camera: add a camera on the hand looking along the fingers.

    Returns:
        A fresh MjSpec whose root body is `panda_link0` at the origin.
    """
    # link5/link6's visual texture coordinates are malformed: drawn from their hulls instead.
    swaps = [(f"meshes/visual/{n}.obj", f"meshes/collision/{n}.obj") for n in _BAD_UV_MESHES]
    spec = urdf_spec.load_urdf_spec(asset_dir(), franka.URDF_NAME, "panda", mesh_swaps=swaps)
    spec.modelname = franka.ROBOT_TYPE
    urdf_spec.compensate_gravity(spec)
    for body in spec.bodies:
        if body.name != "world" and body.mass > 0:
            moment = body.mass * _LINK_GYRATION_RADIUS**2
            body.fullinertia = [moment, moment, moment, 0.0, 0.0, 0.0]
    _add_pads(spec)
    gains = (franka.ARM_KP, franka.ARM_KV, franka.ARM_FORCE)
    urdf_spec.add_arm_actuators(
        spec, franka.ARM_JOINTS, franka.ARM_ACTUATORS, gains, franka.ARM_ARMATURE
    )
    urdf_spec.add_gripper_actuator(
        spec,
        franka.GRIPPER_ACTUATOR,
        franka.FINGER_JOINTS[0],  # the URDF's <mimic> couples the second finger (an equality)
        (franka.GRIPPER_KP, franka.GRIPPER_KV, franka.GRIPPER_FORCE),
        (0.0, franka.FINGER_MAX),
    )
    for joint_name in franka.FINGER_JOINTS:
        spec.joint(joint_name).armature = 0.01
    # MuJoCo cameras look along -z: flipped about x it looks along the fingers.
    camera = (
        franka.WRIST_CAMERA,
        franka.WRIST_CAMERA_POS,
        franka.WRIST_CAMERA_QUAT,
        franka.WRIST_CAMERA_FOVY_DEG,
    )
    urdf_spec.add_tcp(
        spec.body(franka.HAND_BODY),
        (franka.GRIP_SITE, franka.GRIP_SITE_OFFSET),
        camera if wrist_camera else None,
    )
    return spec


def attach_franka(
    scene: mujoco.MjSpec,
    position: Sequence[float],
    rotation_wxyz: Sequence[float],
    *,
    prefix: str = franka.PREFIX,
    wrist_camera: bool = True,
) -> None:
    """Attach a Panda to `scene` with its base at a world pose (before compiling).

    Args:
        scene: the scene spec to add the robot to.
        position: base position in the world, metres.
        rotation_wxyz: base orientation, unit quaternion.
        prefix: name prefix for every robot element.
        wrist_camera: add the hand camera.
    """
    robot = build_franka_spec(wrist_camera=wrist_camera)
    frame = scene.worldbody.add_frame(
        pos=list(position), quat=list(np.asarray(rotation_wxyz, dtype=float))
    )
    scene.attach(robot, prefix=prefix, frame=frame)
