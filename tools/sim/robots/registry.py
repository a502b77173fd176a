"""Simulated robots by name (`ROBOT=`): the one place a robot type maps to its model."""

from __future__ import annotations

from tools.robots import ROBOTS, robot_description
from tools.sim.robots.base import SimRobot
from tools.sim.robots.franka.robot import FRANKA_ROBOT
from tools.sim.robots.xarm6.robot import XARM6_ROBOT

SIM_ROBOTS: dict[str, SimRobot] = {r.name: r for r in (FRANKA_ROBOT, XARM6_ROBOT)}
assert set(SIM_ROBOTS) == set(ROBOTS), "every described robot has a model"


def sim_robot(name: str) -> SimRobot:
    """The simulated robot of a type name.

    Raises:
        ConfigError: the name is not a supported robot (field ROBOT).
    """
    robot_description(name)  # one error for an unknown name
    return SIM_ROBOTS[name]
