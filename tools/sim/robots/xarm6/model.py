"""Build the xArm6 + xArm gripper as a MuJoCo MjSpec from the URDF the `pybullet` wheel ships."""

from __future__ import annotations

import functools
from pathlib import Path

import mujoco
import numpy as np

from tools.sim.robots import urdf_spec
from tools.sim.robots.xarm6 import constants as xarm


def asset_dir() -> Path:
    """Folder of the xArm URDFs and meshes inside the installed `pybullet` wheel.

    Raises:
        ConfigError: `pybullet` (which ships the model) is not installed.
    """
    return xarm.DESCRIPTION.asset_dir()


def urdf_path() -> Path:
    """The URDF file the model is built from."""
    return asset_dir() / xarm.URDF_NAME


def _add_pads(spec: mujoco.MjSpec) -> None:
    gripper = {xarm.HAND_BODY, *xarm.FINGER_BODIES}
    gripper |= {"left_outer_knuckle", "left_inner_knuckle"}
    gripper |= {"right_outer_knuckle", "right_inner_knuckle"}
    urdf_spec.disable_contacts(spec, sorted(gripper))  # the pads alone touch objects
    for body_name, pad, sign in zip(
        xarm.FINGER_BODIES, xarm.FINGER_PAD_GEOMS, (1.0, -1.0), strict=True
    ):
        # The left finger hangs at +y: its inner face looks to -y, the pad lies outside it.
        pos = (0.0, sign * (-xarm.PAD_INNER_Y + xarm.PAD_HALF[1]), xarm.PAD_CENTRE_Z)
        urdf_spec.add_pad(
            spec.body(body_name), pad, xarm.PAD_HALF, pos, xarm.PAD_FRICTION, xarm.PAD_CONTACT
        )


def build_xarm6_spec(wrist_camera: bool = True) -> mujoco.MjSpec:
    """The xArm6 with its gripper, position actuators, gravity compensation and a TCP site.

    Args:
        wrist_camera: add a camera on the gripper looking along the fingers.

    Returns:
        A fresh MjSpec whose root body is `link_base` at the origin.
    """
    # The URDF's link2 inertia violates the triangle inequality; MuJoCo balances it.
    spec = urdf_spec.load_urdf_spec(
        asset_dir(), xarm.URDF_NAME, "xarm6", extra_compiler='balanceinertia="true"'
    )
    spec.modelname = xarm.ROBOT_TYPE
    urdf_spec.compensate_gravity(spec)
    _add_pads(spec)
    gains = (xarm.ARM_KP, xarm.ARM_KV, xarm.ARM_FORCE)
    urdf_spec.add_arm_actuators(spec, xarm.ARM_JOINTS, xarm.ARM_ACTUATORS, gains, xarm.ARM_ARMATURE)
    # The URDF's <mimic> tags already couple the other five gripper joints (equalities).
    urdf_spec.add_gripper_actuator(
        spec,
        xarm.GRIPPER_ACTUATOR,
        xarm.DRIVE_JOINT,
        (xarm.GRIPPER_KP, xarm.GRIPPER_KV, xarm.GRIPPER_FORCE),
        xarm.DRIVE_RANGE,
    )
    for joint_name in xarm.GRIPPER_JOINTS:
        spec.joint(joint_name).armature = 0.005
    # The base is welded to the world, so MuJoCo's parent filter does not spare link 1's hull,
    # which overlaps the base's: without this the first joint is jammed.
    spec.add_exclude(bodyname1=xarm.BASE_BODY, bodyname2="link1")
    camera = (
        xarm.WRIST_CAMERA,
        xarm.WRIST_CAMERA_POS,
        xarm.WRIST_CAMERA_QUAT,
        xarm.WRIST_CAMERA_FOVY_DEG,
    )
    urdf_spec.add_tcp(
        spec.body(xarm.HAND_BODY),
        (xarm.GRIP_SITE, xarm.GRIP_SITE_Z),
        camera if wrist_camera else None,
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
