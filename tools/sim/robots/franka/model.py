"""Build the Franka Panda as a MuJoCo MjSpec from the URDF the `pybullet` wheel ships."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from pathlib import Path

import mujoco
import numpy as np

from tools.errors import ConfigError
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
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "robot model", "pybullet_data not found", hint="pip install pybullet==3.2.7"
        )
    return Path(spec.origin).parent / franka.ASSET_SUBDIR


def _urdf_text(root: Path) -> str:
    text = (root / franka.URDF_NAME).read_text()
    text = text.replace("package://", f"{root.as_posix()}/")
    for link in _BAD_UV_MESHES:  # their texture coordinates are malformed; drawn from the hulls
        text = text.replace(f"meshes/visual/{link}.obj", f"meshes/collision/{link}.obj")
    compiler = (
        '<mujoco><compiler strippath="false" discardvisual="false" fusestatic="false"/></mujoco>'
    )
    start = text.index("<robot")
    end = text.index(">", start) + 1
    return text[:start] + '<robot name="panda">' + compiler + text[end:]


def _add_pads(spec: mujoco.MjSpec) -> None:
    for body_name, pad, sign in zip(
        franka.FINGER_BODIES, franka.FINGER_PAD_GEOMS, (1.0, -1.0), strict=True
    ):
        body = spec.body(body_name)
        for geom in body.geoms:
            geom.contype, geom.conaffinity = 0, 0
        body.add_geom(
            name=pad,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=list(_PAD_HALF),
            pos=[0.0, sign * _PAD_HALF[1], _PAD_CENTRE_Z],
            friction=list(franka.PAD_FRICTION),
            condim=4,
            rgba=[0.2, 0.2, 0.2, 1.0],
            group=3,
        )


def _add_actuators(spec: mujoco.MjSpec) -> None:
    for joint_name, act, kp, kv, force in zip(
        franka.ARM_JOINTS,
        franka.ARM_ACTUATORS,
        franka.ARM_KP,
        franka.ARM_KV,
        franka.ARM_FORCE,
        strict=True,
    ):
        joint = spec.joint(joint_name)
        joint.armature = franka.ARM_ARMATURE
        actuator = spec.add_actuator(name=act, target=joint_name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_position(kp=kp, kv=kv)
        actuator.forcerange = [-force, force]
        actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.ctrlrange = joint.range
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    # The URDF's <mimic> already couples the second finger to the first (an equality).
    gripper = spec.add_actuator(
        name=franka.GRIPPER_ACTUATOR,
        target=franka.FINGER_JOINTS[0],
        trntype=mujoco.mjtTrn.mjTRN_JOINT,
    )
    gripper.set_to_position(kp=franka.GRIPPER_KP, kv=franka.GRIPPER_KV)
    gripper.forcerange = [-franka.GRIPPER_FORCE, franka.GRIPPER_FORCE]
    gripper.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    gripper.ctrlrange = [0.0, franka.FINGER_MAX]
    gripper.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    for joint_name in franka.FINGER_JOINTS:
        spec.joint(joint_name).armature = 0.01


def build_franka_spec(*, wrist_camera: bool = True) -> mujoco.MjSpec:
    """The Panda (7-DoF arm + hand) with position actuators, gravity compensation and a TCP site.

    Args:
        wrist_camera: add a camera on the hand looking along the fingers.

    Returns:
        A fresh MjSpec whose root body is `panda_link0` at the origin.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the visual OBJs lack some texture coordinates
        spec = mujoco.MjSpec.from_string(_urdf_text(asset_dir()))
    spec.modelname = franka.ROBOT_TYPE
    for body in spec.bodies:
        if body.name == "world":
            continue
        body.gravcomp = 1.0
        if body.mass > 0:
            moment = body.mass * _LINK_GYRATION_RADIUS**2
            body.fullinertia = [moment, moment, moment, 0.0, 0.0, 0.0]
    _add_pads(spec)
    _add_actuators(spec)
    hand = spec.body(franka.HAND_BODY)
    hand.add_site(
        name=franka.GRIP_SITE, pos=[0.0, 0.0, franka.GRIP_SITE_OFFSET], size=[0.005, 0, 0]
    )
    if wrist_camera:
        # MuJoCo cameras look along -z: flipped about x it looks along the fingers.
        hand.add_camera(
            name=franka.WRIST_CAMERA,
            pos=list(franka.WRIST_CAMERA_POS),
            quat=list(franka.WRIST_CAMERA_QUAT),
            fovy=franka.WRIST_CAMERA_FOVY_DEG,
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
