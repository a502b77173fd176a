"""Genie Sim's on-disk formats, both directions: the asset/task export and the recorded episodes."""

from tools.geniesim_format import assets, results
from tools.geniesim_format.robots import (
    DEFAULT_ROBOT,
    ROBOTS,
    SUPPORTED_ROBOTS,
    GenieSimRobot,
    UnsupportedRobotError,
    genie_sim_robot,
    robot_for_meta_type,
)

__all__ = [
    "DEFAULT_ROBOT",
    "ROBOTS",
    "SUPPORTED_ROBOTS",
    "GenieSimRobot",
    "UnsupportedRobotError",
    "assets",
    "genie_sim_robot",
    "results",
    "robot_for_meta_type",
]
