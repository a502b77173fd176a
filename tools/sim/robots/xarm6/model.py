"""Build the xArm6 + xArm gripper as a MuJoCo MjSpec from the URDF the `pybullet` wheel ships."""

from __future__ import annotations

import functools
import importlib.util
import warnings
from pathlib import Path

import mujoco
import numpy as np

from tools.errors import ConfigError
from tools.sim.robots.xarm6 import constants as xarm


def asset_dir() -> Path:
    """Folder of the xArm URDFs and meshes inside the installed `pybullet` wheel.

    Raises:
        ConfigError: `pybullet` (which ships the model) is not installed.
    """
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "robot model", "pybullet_data not found", hint="pip install pybullet==3.2.7"
        )
    return Path(spec.origin).parent / xarm.DESCRIPTION.asset_subdir


def urdf_path() -> Path:
    """The URDF file the model is built from."""
    return asset_dir() / xarm.URDF_NAME


def _urdf_text(root: Path) -> str:
    text = (root / xarm.URDF_NAME).read_text()
    text = text.replace("package://", f"{root.as_posix()}/")
    # The URDF's link2 inertia violates the triangle inequality; MuJoCo balances it.
    compiler = (
        '<mujoco><compiler strippath="false" discardvisual="false" fusestatic="false" '
        'balanceinertia="true"/></mujoco>'
    )
    start = text.index("<robot")
    end = text.index(">", start) + 1
    return text[:start] + '<robot name="xarm6">' + compiler + text[end:]


def _add_pads(spec: mujoco.MjSpec) -> None:
    gripper = {xarm.HAND_BODY, *xarm.FINGER_BODIES}
    gripper |= {"left_outer_knuckle", "left_inner_knuckle"}
    gripper |= {"right_outer_knuckle", "right_inner_knuckle"}
    for name in gripper:  # the pads alone touch objects: flat, high-friction faces
        for geom in spec.body(name).geoms:
            geom.contype, geom.conaffinity = 0, 0
    for body_name, pad, sign in zip(
        xarm.FINGER_BODIES, xarm.FINGER_PAD_GEOMS, (1.0, -1.0), strict=True
    ):
        # The left finger hangs at +y: its inner face looks to -y, the pad lies outside it.
        y = sign * (-xarm.PAD_INNER_Y + xarm.PAD_HALF[1])
        spec.body(body_name).add_geom(
            name=pad,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=list(xarm.PAD_HALF),
            pos=[0.0, y, xarm.PAD_CENTRE_Z],
            friction=list(xarm.PAD_FRICTION),
            condim=4,
            rgba=[0.2, 0.2, 0.2, 1.0],
            group=3,
        )


def _add_actuators(spec: mujoco.MjSpec) -> None:
    for joint_name, act, kp, kv, force in zip(
        xarm.ARM_JOINTS, xarm.ARM_ACTUATORS, xarm.ARM_KP, xarm.ARM_KV, xarm.ARM_FORCE, strict=True
    ):
        joint = spec.joint(joint_name)
        joint.armature = xarm.ARM_ARMATURE
        actuator = spec.add_actuator(name=act, target=joint_name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_position(kp=kp, kv=kv)
        actuator.forcerange = [-force, force]
        actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.ctrlrange = joint.range
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    # The URDF's <mimic> tags already couple the other five gripper joints (equalities).
    gripper = spec.add_actuator(
        name=xarm.GRIPPER_ACTUATOR, target=xarm.DRIVE_JOINT, trntype=mujoco.mjtTrn.mjTRN_JOINT
    )
    gripper.set_to_position(kp=xarm.GRIPPER_KP, kv=xarm.GRIPPER_KV)
    gripper.forcerange = [-xarm.GRIPPER_FORCE, xarm.GRIPPER_FORCE]
    gripper.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    gripper.ctrlrange = list(xarm.DRIVE_RANGE)
    gripper.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    for joint_name in xarm.GRIPPER_JOINTS:
        spec.joint(joint_name).armature = 0.005


def build_xarm6_spec(*, wrist_camera: bool = True) -> mujoco.MjSpec:
    """The xArm6 with its gripper, position actuators, gravity compensation and a TCP site.

    Args:
        wrist_camera: add a camera on the gripper looking along the fingers.

    Returns:
        A fresh MjSpec whose root body is `link_base` at the origin.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = mujoco.MjSpec.from_string(_urdf_text(asset_dir()))
    spec.modelname = xarm.ROBOT_TYPE
    for body in spec.bodies:
        if body.name != "world":
            body.gravcomp = 1.0
    _add_pads(spec)
    _add_actuators(spec)
    # The base is welded to the world, so MuJoCo's parent filter does not spare link 1's hull,
    # which overlaps the base's: without this the first joint is jammed.
    spec.add_exclude(bodyname1=xarm.BASE_BODY, bodyname2="link1")
    hand = spec.body(xarm.HAND_BODY)
    hand.add_site(name=xarm.GRIP_SITE, pos=[0.0, 0.0, xarm.GRIP_SITE_Z], size=[0.005, 0, 0])
    if wrist_camera:
        hand.add_camera(
            name=xarm.WRIST_CAMERA,
            pos=list(xarm.WRIST_CAMERA_POS),
            quat=list(xarm.WRIST_CAMERA_QUAT),
            fovy=xarm.WRIST_CAMERA_FOVY_DEG,
        )
    return spec


@functools.cache
def opening_table() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Drive-joint angles and the gap between the pads' inner faces at each, from the model.

    Returns:
        (angles ascending, openings descending), 35 samples over the drive joint's range.
    """
    model = build_xarm6_spec(wrist_camera=False).compile()
    data = mujoco.MjData(model)
    pads = [model.geom(n).id for n in xarm.FINGER_PAD_GEOMS]
    adrs = [model.joint(n).qposadr[0] for n in xarm.GRIPPER_JOINTS]
    angles = np.linspace(*xarm.DRIVE_RANGE, 35)
    openings = []
    for angle in angles:
        data.qpos[adrs] = angle
        mujoco.mj_kinematics(model, data)
        hand = model.body(xarm.HAND_BODY).id
        rotation = data.xmat[hand].reshape(3, 3)
        y = [float((data.geom_xpos[p] - data.xpos[hand]) @ rotation[:, 1]) for p in pads]
        openings.append(abs(y[0] - y[1]) - 2 * xarm.PAD_HALF[1])
    return tuple(float(a) for a in angles), tuple(openings)
