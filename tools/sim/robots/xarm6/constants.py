"""UFactory xArm6 with the xArm gripper: names, home pose, gains, pads (the MuJoCo model's)."""

from __future__ import annotations

from typing import Final

from tools.robots import XARM6
from tools.sim.robots.urdf_spec import STIFF_PAD_CONTACT

DESCRIPTION: Final = XARM6  # reach, gripper and joint facts: tools/robots
ROBOT_TYPE: Final = XARM6.robot_type
URDF_NAME: Final = "xarm6_with_gripper.urdf"
PREFIX: Final = "xarm6/"  # names of robot elements inside a scene model

ARM_JOINTS: Final = tuple(f"joint{i}" for i in range(1, 7))
DRIVE_JOINT: Final = "drive_joint"
# The four-bar gripper: every joint follows the drive joint (the URDF's <mimic>, multiplier 1).
GRIPPER_JOINTS: Final = (
    DRIVE_JOINT,
    "left_finger_joint",
    "left_inner_knuckle_joint",
    "right_outer_knuckle_joint",
    "right_finger_joint",
    "right_inner_knuckle_joint",
)
DRIVE_RANGE: Final = (0.0, 0.85)  # radians: open .. closed (URDF limit)
BASE_BODY: Final = "link_base"
HAND_BODY: Final = "xarm_gripper_base_link"
FINGER_BODIES: Final = ("left_finger", "right_finger")
FINGER_PAD_GEOMS: Final = ("left_pad", "right_pad")
GRIP_SITE: Final = "grip"
WRIST_CAMERA: Final = "wrist"
WRIST_CAMERA_POS: Final = (0.07, 0.0, 0.06)  # gripper frame, beside the gripper body
WRIST_CAMERA_QUAT: Final = (0.0, 1.0, 0.0, 0.0)  # flipped about x: looks along the fingers
WRIST_CAMERA_FOVY_DEG: Final = 75.0
ARM_ACTUATORS: Final = tuple(f"act_{name}" for name in ARM_JOINTS)
GRIPPER_ACTUATOR: Final = "act_gripper"

# Finger geometry in the finger link's frame (axes parallel to the gripper base at any
# opening: the four-bar keeps the fingers parallel). The inner face of the finger mesh's tip
# lies 25.97 mm inside the finger origin (y), its last 2 cm span z 0.041..0.061.
PAD_HALF: Final = (0.010, 0.004, 0.010)
PAD_INNER_Y: Final = 0.02597
PAD_CENTRE_Z: Final = 0.050
# The TCP sits where the pad centres meet an object about 5 cm wide: closing moves the
# fingertips 12 mm further out along the approach, most of it before contact.
GRIP_SITE_Z: Final = 0.1615

# "Ready" pose: elbow up, gripper pointing down with the fingers along the base's y axis.
HOME_QPOS: Final = (0.0, -0.35, -0.95, 0.0, 1.3, 0.0)
HOME_JITTER_RAD: Final = 0.05

ARM_KP: Final = (3000.0, 3000.0, 2500.0, 1500.0, 1500.0, 1000.0)
ARM_KV: Final = (300.0, 300.0, 250.0, 150.0, 150.0, 100.0)
ARM_FORCE: Final = (50.0, 50.0, 32.0, 32.0, 32.0, 20.0)  # URDF efforts
ARM_ARMATURE: Final = 0.1
GRIPPER_KP: Final = 30.0  # N m / rad on the drive joint
GRIPPER_KV: Final = 1.0
GRIPPER_FORCE: Final = 3.0  # N m on the drive joint: about 30 N per pad (measured on the model)
PAD_FRICTION: Final = (1.5, 0.03, 0.001)
PAD_CONTACT: Final = STIFF_PAD_CONTACT  # the pads' own contact softness
