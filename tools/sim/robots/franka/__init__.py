"""The Franka Panda robot family: constants, MuJoCo model builder and kinematics."""

from tools.sim.robots.franka import constants
from tools.sim.robots.franka.kinematics import FrankaKinematics, IkResult
from tools.sim.robots.franka.model import asset_dir, attach_franka, build_franka_spec
from tools.sim.robots.franka.robot import FRANKA_ROBOT

__all__ = [
    "FRANKA_ROBOT",
    "FrankaKinematics",
    "IkResult",
    "asset_dir",
    "attach_franka",
    "build_franka_spec",
    "constants",
]
