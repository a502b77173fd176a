"""A parallel gripper as boxes in its grasp frame, for collision tests of sampled grasps.

Grasp frame (Genie Sim's, GraspNet-style): x the approach direction, y the closing direction
between the fingers, z = x cross y, origin the point between the pads' centres. Every part is
an axis-aligned box in that frame: the two fingers at a given opening, and the palm (hand body
and wrist) behind them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tools.robots import FRANKA_PANDA, XARM6, RobotDescription

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GripperModel:
    """Sizes of a two-finger parallel gripper, metres.

    Attributes:
        name: which gripper (a robot type, or a Genie Sim robot id).
        max_opening: the fingers' full opening.
        clearance: the open fingers need this much more than the object's width.
        pad_half_width: half the finger's width across the closing plane (grasp z).
        finger_thickness: a finger's thickness along the closing direction.
        tip_ahead: how far the fingertips reach past the grasp point along the approach.
        finger_length: from the fingertips back to the palm, along the approach.
        palm_half_width: half the palm's size along the closing direction.
        palm_half_thickness: half the palm's size across the closing plane (grasp z).
        palm_depth: how far the palm and wrist reach back along the approach.
    """

    name: str
    max_opening: float
    clearance: float
    pad_half_width: float
    finger_thickness: float
    tip_ahead: float
    finger_length: float
    palm_half_width: float
    palm_half_thickness: float
    palm_depth: float

    def __post_init__(self) -> None:
        sizes = asdict(self)
        del sizes["name"]
        bad = [k for k, v in sizes.items() if not v > 0]
        if bad:
            raise ValueError(f"gripper {self.name}: {', '.join(bad)} must be > 0")
        if self.finger_length <= self.tip_ahead:
            raise ValueError(f"gripper {self.name}: finger_length must exceed tip_ahead")

    @property
    def max_width(self) -> float:
        """The widest object a grasp closes across."""
        return self.max_opening - self.clearance

    def parameters(self) -> dict[str, float | str]:
        """Every size by name (the grasp cache's key includes them)."""
        return asdict(self)

    def boxes(self, opening: float) -> FloatArray:
        """(3, 2, 3) boxes as (low, high) corners in the grasp frame: two fingers, palm."""
        palm_front = self.tip_ahead - self.finger_length
        half_z, inner = self.pad_half_width, opening / 2
        outer = inner + self.finger_thickness
        return np.array(
            [
                [[palm_front, inner, -half_z], [self.tip_ahead, outer, half_z]],
                [[palm_front, -outer, -half_z], [self.tip_ahead, -inner, half_z]],
                [
                    [
                        palm_front - self.palm_depth,
                        -self.palm_half_width,
                        -self.palm_half_thickness,
                    ],
                    [palm_front, self.palm_half_width, self.palm_half_thickness],
                ],
            ]
        )


# Franka hand: the episodes' hand box (`episode_generation_job.grasp`: 7 x 22 cm, its bottom
# 3.5 cm behind the TCP, fingers 3 cm wide reaching 1.2 cm past it), the wrist behind it.
FRANKA_GRIPPER = GripperModel(
    name=FRANKA_PANDA.robot_type,
    max_opening=FRANKA_PANDA.gripper_max_width_m,
    clearance=FRANKA_PANDA.grasp_clearance_m,
    pad_half_width=0.011,
    finger_thickness=0.012,
    tip_ahead=0.012,
    finger_length=0.047,
    palm_half_width=0.11,
    palm_half_thickness=0.035,
    palm_depth=0.12,
)

# xArm gripper (the MuJoCo model's pads, `tools.sim.robots.xarm6.constants`): 2 cm pads whose
# centres are the TCP, the four-bar's knuckles about 5 cm behind, a 9 x 6 cm gripper body.
XARM_GRIPPER = GripperModel(
    name=XARM6.robot_type,
    max_opening=XARM6.gripper_max_width_m,
    clearance=XARM6.grasp_clearance_m,
    pad_half_width=0.012,
    finger_thickness=0.012,
    tip_ahead=0.012,
    finger_length=0.055,
    palm_half_width=0.075,
    palm_half_thickness=0.035,
    palm_depth=0.12,
)

GRIPPERS: dict[str, GripperModel] = {g.name: g for g in (FRANKA_GRIPPER, XARM_GRIPPER)}


def gripper_for(robot: RobotDescription) -> GripperModel:
    """The gripper model of a supported robot (`tools.robots`)."""
    return GRIPPERS[robot.robot_type]


def generic_gripper(name: str, max_opening: float, clearance: float) -> GripperModel:
    """A gripper known only by its opening (a Genie Sim robot's): the Franka hand's other
    sizes, which are typical of 8-10 cm parallel grippers."""
    return replace(FRANKA_GRIPPER, name=name, max_opening=max_opening, clearance=clearance)
