"""Robot descriptions: the facts every job needs about an arm, in one place, without an engine.

Ingest (where the base stands), the task specifier (which objects and goals are in reach),
the episode randomization (where targets may be scattered) and the simulation backends
(joint limits, gripper) read the same `RobotDescription`. Importing this package loads
neither MuJoCo nor pxr, so jobs that only plan (ingest, the fingerprint) can use it.
"""

from tools.robots.description import (
    FRANKA_PANDA,
    ROBOTS,
    XARM6,
    JointLimits,
    RobotDescription,
    robot_description,
)
from tools.robots.selection import DEFAULT_ROBOT, RobotType, known_robot_type

__all__ = [
    "DEFAULT_ROBOT",
    "FRANKA_PANDA",
    "ROBOTS",
    "XARM6",
    "JointLimits",
    "RobotDescription",
    "RobotType",
    "known_robot_type",
    "robot_description",
]
