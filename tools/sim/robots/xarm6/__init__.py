"""The UFactory xArm6 with the xArm gripper: constants, MuJoCo model builder, robot record."""

from tools.sim.robots.xarm6 import constants
from tools.sim.robots.xarm6.model import asset_dir, build_xarm6_spec, opening_table, urdf_path
from tools.sim.robots.xarm6.robot import XARM6_ROBOT, drive_angle

__all__ = [
    "XARM6_ROBOT",
    "asset_dir",
    "build_xarm6_spec",
    "constants",
    "drive_angle",
    "opening_table",
    "urdf_path",
]
