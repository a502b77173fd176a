"""Shared steps that turn a `pybullet_data` URDF into a MuJoCo MjSpec for a gripper arm.

Each robot folder's `model.py` keeps only what differs (pads, exclusions, inertia fixes); the
order of these steps is part of the model (element order), so builders call them in one order:
load, name, gravity compensation, pads, actuators, TCP site and camera.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mujoco

# Keep the URDF's visual meshes and static bodies: the renderer and the names rely on them.
_COMPILER = 'strippath="false" discardvisual="false" fusestatic="false"'
_PAD_RGBA = (0.2, 0.2, 0.2, 1.0)


@dataclass(frozen=True)
class PadContact:
    """How a finger pad meets what it grasps (MuJoCo's per-geom contact parameters).

    Attributes:
        solref: (time constant s, damping ratio): how fast a penetration is pushed back.
        solimp: (dmin, dmax, width m, midpoint, power): how hard the contact is as it deepens.
        priority: above the object's, the pad's friction and softness alone apply (no mixing).
    """

    solref: tuple[float, float]
    solimp: tuple[float, float, float, float, float]
    priority: int = 1


# MuJoCo Menagerie's finger pads (ufactory_xarm7, robotiq_2f85): a stiff (4 ms), critically
# damped, hard contact. With MuJoCo's default softness (20 ms) a pinched can or apple crept
# round the pinch axis while carried and left the pads, and a released stapler kept rocking.
STIFF_PAD_CONTACT = PadContact((0.004, 1.0), (0.95, 0.99, 0.001, 0.5, 2.0))


def load_urdf_spec(
    root: Path,
    urdf_name: str,
    robot_name: str,
    *,
    extra_compiler: str = "",
    mesh_swaps: Sequence[tuple[str, str]] = (),
) -> mujoco.MjSpec:
    """Parse a URDF into an MjSpec with absolute mesh paths and MuJoCo compiler options.

    Args:
        root: the folder holding the URDF (its `package://` prefix resolves here).
        urdf_name: the URDF file name.
        robot_name: the `<robot name>` written into the parsed text.
        extra_compiler: more `<compiler>` attributes, e.g. `balanceinertia="true"`.
        mesh_swaps: (old, new) mesh paths replaced in the text before parsing.

    Returns:
        A fresh MjSpec named `robot_name`.
    """
    text = (root / urdf_name).read_text()
    text = text.replace("package://", f"{root.as_posix()}/")
    for old, new in mesh_swaps:
        text = text.replace(old, new)
    attributes = f"{_COMPILER} {extra_compiler}" if extra_compiler else _COMPILER
    compiler = f"<mujoco><compiler {attributes}/></mujoco>"
    start = text.index("<robot")
    end = text.index(">", start) + 1
    text = text[:start] + f'<robot name="{robot_name}">' + compiler + text[end:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # visual OBJs lacking texture coordinates warn
        return mujoco.MjSpec.from_string(text)


def add_pad(
    body: mujoco.MjsBody,
    name: str,
    half_size: Sequence[float],
    pos: Sequence[float],
    friction: Sequence[float],
    contact: PadContact | None = None,
) -> None:
    """Add a finger pad: a flat, high-friction box that alone touches grasped objects.

    Args:
        body: the finger body.
        name: the pad geom's name.
        half_size: box half extents, metres.
        pos: box centre in the finger's frame, metres.
        friction: sliding, torsional, rolling.
        contact: the pad's own contact softness (None: MuJoCo's defaults).
    """
    geom = body.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=list(half_size),
        pos=list(pos),
        friction=list(friction),
        condim=4,
        rgba=list(_PAD_RGBA),
        group=3,
    )
    if contact is not None:
        geom.solref = list(contact.solref)
        geom.solimp = list(contact.solimp)
        geom.priority = contact.priority


def add_arm_actuators(
    spec: mujoco.MjSpec,
    joints: Sequence[str],
    actuators: Sequence[str],
    gains: tuple[Sequence[float], Sequence[float], Sequence[float]],
    armature: float,
) -> None:
    """One position actuator per arm joint, limited to the joint's range and effort.

    Args:
        spec: the robot spec.
        joints: arm joint names, base to wrist.
        actuators: actuator names, one per joint.
        gains: (kp, kv, force limit) per joint.
        armature: reflected rotor inertia added to every arm joint.
    """
    kps, kvs, forces = gains
    for joint_name, act, kp, kv, force in zip(joints, actuators, kps, kvs, forces, strict=True):
        joint = spec.joint(joint_name)
        joint.armature = armature
        _position_actuator(spec, act, joint_name, (kp, kv, force), joint.range)


def add_gripper_actuator(
    spec: mujoco.MjSpec,
    name: str,
    drive_joint: str,
    gains: tuple[float, float, float],
    ctrl_range: Sequence[float],
) -> None:
    """The gripper's position actuator on its drive joint (the URDF's <mimic> couples the rest).

    Args:
        spec: the robot spec.
        name: the actuator's name.
        drive_joint: the joint it drives.
        gains: (kp, kv, force limit).
        ctrl_range: the drive joint's commanded range.
    """
    _position_actuator(spec, name, drive_joint, gains, ctrl_range)


def _position_actuator(
    spec: mujoco.MjSpec,
    name: str,
    joint_name: str,
    gains: tuple[float, float, float],
    ctrl_range: Sequence[float],
) -> None:
    kp, kv, force = gains
    actuator = spec.add_actuator(name=name, target=joint_name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
    actuator.set_to_position(kp=kp, kv=kv)
    actuator.forcerange = [-force, force]
    actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    actuator.ctrlrange = list(ctrl_range)
    actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE


def add_tcp(
    hand: mujoco.MjsBody,
    site: tuple[str, float],
    camera: tuple[str, Sequence[float], Sequence[float], float] | None,
) -> None:
    """The TCP site on the hand's z axis and, optionally, a wrist camera.

    Args:
        hand: the hand (gripper base) body.
        site: (name, offset along the hand's z in metres).
        camera: (name, position, quaternion wxyz, vertical field of view in degrees), or None.
    """
    site_name, offset = site
    hand.add_site(name=site_name, pos=[0.0, 0.0, offset], size=[0.005, 0, 0])
    if camera is not None:
        name, pos, quat, fovy = camera
        hand.add_camera(name=name, pos=list(pos), quat=list(quat), fovy=fovy)


def compensate_gravity(spec: mujoco.MjSpec) -> None:
    """Gravity compensation on every robot body: the position actuators hold no weight."""
    for body in spec.bodies:
        if body.name != "world":
            body.gravcomp = 1.0


def disable_contacts(spec: mujoco.MjSpec, bodies: Sequence[str]) -> None:
    """Stop the mesh geoms of `bodies` from touching anything (the pads touch instead)."""
    for name in bodies:
        for geom in spec.body(name).geoms:
            geom.contype, geom.conaffinity = 0, 0
