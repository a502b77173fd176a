"""Panda kinematics: the shared damped least-squares IK (`tools.sim.robots.kinematics`) on the
Panda's model."""

from __future__ import annotations

from collections.abc import Sequence

from tools.sim.robots.franka.robot import FRANKA_ROBOT
from tools.sim.robots.kinematics import ArmKinematics, IkResult

__all__ = ["FrankaKinematics", "IkResult"]


class FrankaKinematics(ArmKinematics):
    """`ArmKinematics` of the Panda with its base at a world pose.

    Args:
        base_position: robot base position in the world, metres.
        base_rotation_wxyz: robot base orientation.
        damping: the DLS damping factor (lambda).
    """

    def __init__(
        self,
        base_position: Sequence[float],
        base_rotation_wxyz: Sequence[float],
        *,
        damping: float = 0.02,
    ) -> None:
        super().__init__(FRANKA_ROBOT, base_position, base_rotation_wxyz, damping=damping)
