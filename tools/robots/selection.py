"""The `ROBOT` setting: which arm a job plans for, its default, and the check of its value.

Every job that reads ROBOT (the replicator's workspace regions, the episodes) takes the type
and the default from here, so an unknown name fails the same way everywhere.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator

from tools.robots.description import FRANKA_PANDA, ROBOTS, RobotDescription

DEFAULT_ROBOT: Final[RobotDescription] = FRANKA_PANDA  # what an unset ROBOT selects


def known_robot_type(value: str) -> str:
    """The value if it names a supported robot.

    Raises:
        ValueError: not one of `ROBOTS` (pydantic reports it under the field's name).
    """
    if value not in ROBOTS:
        raise ValueError(f"must be one of {', '.join(sorted(ROBOTS))}")
    return value


RobotType = Annotated[str, AfterValidator(known_robot_type)]
