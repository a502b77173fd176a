"""The robots Genie Sim's collector ships configurations for (AgiBot G1 and G2) and their names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class GenieSimRobot:
    """What a task JSON needs about one of Genie Sim's robots.

    Attributes:
        robot_id: `robot.robot_id` ("G1" or "G2").
        robot_cfg: the file under Genie Sim's `config/robot_cfg/` the collector loads.
        arm: `robot.arm` ("dual": both arms available, `arm: auto` picks one per stage).
        camera_prims: the robot's camera prims, recorded by `recording_setting.camera_list`.
        gripper_max_width_m: the OmniPicker's opening used to keep grasps feasible (estimate).
        base_standoff_m: distance from the support's edge to the robot base (estimate).
        meta_robot_type: `robot_type` in the meta_info.json of its recorded episodes.
        lerobot_robot_type: `robot_type` we record in an imported LeRobot dataset.
    """

    robot_id: str
    robot_cfg: str
    arm: str
    camera_prims: tuple[str, ...]
    gripper_max_width_m: float
    base_standoff_m: float
    meta_robot_type: str
    lerobot_robot_type: str


ROBOTS: Final[dict[str, GenieSimRobot]] = {
    "G1": GenieSimRobot(
        robot_id="G1",
        robot_cfg="G1_omnipicker_fixed_dual.json",
        arm="dual",
        camera_prims=(
            "/G1/head_link2/Head_Camera",
            "/G1/gripper_r_base_link/Right_Camera",
            "/G1/gripper_l_base_link/Left_Camera",
        ),
        gripper_max_width_m=0.10,
        base_standoff_m=0.55,
        meta_robot_type="A2D",
        lerobot_robot_type="agibot_g1",
    ),
    "G2": GenieSimRobot(
        robot_id="G2",
        robot_cfg="G2_omnipicker_fixed_dual.json",
        arm="dual",
        camera_prims=(
            "/G2/head_link3/head_front_Camera",
            "/G2/gripper_r_base_link/Right_Camera",
            "/G2/gripper_l_base_link/Left_Camera",
            "/G2/head_link3/head_right_Camera",
            "/G2/head_link3/head_left_Camera",
        ),
        gripper_max_width_m=0.10,
        base_standoff_m=0.50,
        meta_robot_type="G2A",
        lerobot_robot_type="agibot_g2",
    ),
}
DEFAULT_ROBOT: Final = "G2"
SUPPORTED_ROBOTS: Final = tuple(sorted(ROBOTS))


class UnsupportedRobotError(ValueError):
    """A robot Genie Sim's collector has no configuration for; the message lists the supported."""

    def __init__(self, robot_id: str) -> None:
        super().__init__(
            f"Genie Sim's data collection supports only {', '.join(SUPPORTED_ROBOTS)}; "
            f"got {robot_id!r}"
        )
        self.robot_id = robot_id


def genie_sim_robot(robot_id: str) -> GenieSimRobot:
    """The robot with this id.

    Args:
        robot_id: "G1" or "G2" (case-sensitive, as in Genie Sim's task files).

    Returns:
        Its description.

    Raises:
        UnsupportedRobotError: any other id (the message lists the supported ones).
    """
    try:
        return ROBOTS[robot_id]
    except KeyError:
        raise UnsupportedRobotError(robot_id) from None


def robot_for_meta_type(meta_robot_type: str) -> GenieSimRobot | None:
    """The robot whose recorded meta_info.json says `robot_type: meta_robot_type` (or None)."""
    for robot in ROBOTS.values():
        if robot.meta_robot_type == meta_robot_type:
            return robot
    return None
