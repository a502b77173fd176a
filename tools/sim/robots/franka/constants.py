"""Franka Panda constants shared by every backend: names, home pose, limits and gains."""

from __future__ import annotations

from typing import Final

from tools.robots import FRANKA_PANDA
from tools.sim.robots.urdf_spec import STIFF_PAD_CONTACT

DESCRIPTION: Final = FRANKA_PANDA  # reach, gripper and joint facts: tools/robots
ROBOT_TYPE: Final = FRANKA_PANDA.robot_type
ASSET_PACKAGE: Final = FRANKA_PANDA.asset_package  # ships pybullet_data/franka_panda
ASSET_SUBDIR: Final = FRANKA_PANDA.asset_subdir
URDF_NAME: Final = "panda.urdf"
PREFIX: Final = "panda/"  # names of robot elements inside a scene model

ARM_JOINTS: Final = tuple(f"panda_joint{i}" for i in range(1, 8))
FINGER_JOINTS: Final = ("panda_finger_joint1", "panda_finger_joint2")
BASE_BODY: Final = "panda_link0"
HAND_BODY: Final = "panda_hand"
FINGER_BODIES: Final = ("panda_leftfinger", "panda_rightfinger")
FINGER_PAD_GEOMS: Final = ("left_pad", "right_pad")
GRIP_SITE: Final = "grip"
WRIST_CAMERA: Final = "wrist"
WRIST_CAMERA_POS: Final = (0.07, 0.0, 0.02)  # hand frame, beside the hand, behind the fingers
WRIST_CAMERA_QUAT: Final = (0.0, 1.0, 0.0, 0.0)  # flipped about x: looks along the fingers
WRIST_CAMERA_FOVY_DEG: Final = 75.0
ARM_ACTUATORS: Final = tuple(f"act_{name}" for name in ARM_JOINTS)
GRIPPER_ACTUATOR: Final = "act_gripper"

# "Ready" pose: elbow up, hand pointing down with the fingers along the base's y axis.
HOME_QPOS: Final = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
HOME_JITTER_RAD: Final = 0.05  # per-joint uniform jitter of the home pose per episode

# Joint limits of the URDF (radians), used by IK to stay feasible.
ARM_LOWER: Final = FRANKA_PANDA.arm_lower
ARM_UPPER: Final = FRANKA_PANDA.arm_upper

GRIPPER_MAX_WIDTH: Final = FRANKA_PANDA.gripper_max_width_m
FINGER_MAX: Final = GRIPPER_MAX_WIDTH / 2  # each finger travels half the opening
GRIP_SITE_OFFSET: Final = 0.1034  # from the hand frame along its z to the middle of the pads
REACH_RADIUS: Final = FRANKA_PANDA.reach_radius_m
MIN_REACH_RADIUS: Final = FRANKA_PANDA.min_reach_m
SHOULDER_HEIGHT: Final = FRANKA_PANDA.shoulder_height_m

# Position-actuator gains (N m / rad, N m s / rad) per arm joint, and the gripper's.
ARM_KP: Final = (4500.0, 4500.0, 3500.0, 3500.0, 2000.0, 2000.0, 2000.0)
ARM_KV: Final = (450.0, 450.0, 350.0, 350.0, 200.0, 200.0, 200.0)
ARM_FORCE: Final = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
ARM_ARMATURE: Final = 0.1
# The fingers close by force, as the Franka Hand's grasp action does: the gain saturates the
# drive at its force limit a few mm short of closed. At 800 a 6-9 mm mug wall was squeezed with
# 3.7 N a pad (the error to "closed" is half the wall), and the mug turned 12 degrees in the
# pads as it rose; at 8000, 10 N and 3 degrees (bench/bench_rim_moment.py).
GRIPPER_KP: Final = 8000.0
GRIPPER_KV: Final = 40.0  # overdamped at either gain (armature 0.01)
GRIPPER_FORCE: Final = 40.0  # newtons per finger
PAD_FRICTION: Final = (1.5, 0.03, 0.001)  # sliding, torsional (patch ~3 cm), rolling
PAD_CONTACT: Final = STIFF_PAD_CONTACT  # the pads' own contact softness
