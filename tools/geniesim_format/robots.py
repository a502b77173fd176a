"""The robots Genie Sim's collector ships configurations for (AgiBot G1 and G2) and their names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
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
        reach_m: (nearest, farthest) horizontal distance from the robot base to a point Genie
            Sim lays objects out at: the envelope of the workspaces in its own task templates
            for this robot (G2: 273 workspaces, G1: 124, in `tasks/geniesim_2025/`).
        surface_height_m: (lowest, highest) top of a support Genie Sim lays objects out on for
            this robot: its templates use 0.8-0.9 m (G1) and 0.8-1.0 m (G2), widened by
            0.15 m each way for the waist's travel (an estimate; shelves far above or below
            are left in the background).
        base_standoff_m: distance from the support's edge to the robot base: the templates'
            median near edge of a workspace minus our 3 cm edge margin.
        init_arm_pose: `robot.init_arm_pose` (joint name -> radians; grippers open), the pose
            most of Genie Sim's own templates for this robot start from.
        init_arm_pose_noise: `robot.init_arm_pose_noise` of those templates.
        gripper_joints: (left, right) joints whose position a recorded state calls
            `left_effector` / `right_effector`.
        meta_robot_type: `robot_type` in the meta_info.json of its recorded episodes.
        lerobot_robot_type: `robot_type` we record in an imported LeRobot dataset.
    """

    robot_id: str
    robot_cfg: str
    arm: str
    camera_prims: tuple[str, ...]
    gripper_max_width_m: float
    reach_m: tuple[float, float]
    surface_height_m: tuple[float, float]
    base_standoff_m: float
    meta_robot_type: str
    lerobot_robot_type: str
    init_arm_pose: Mapping[str, float]
    init_arm_pose_noise: Mapping[str, Mapping[str, float | str]]
    gripper_joints: tuple[str, str]


def _arm_noise(limit: float) -> dict[str, dict[str, float | str]]:
    return {".*_arm_.*": {"noise_type": "uniform", "low": -limit, "high": limit}}


# From tasks/geniesim_2025/place_object_into_box_of_specific_color/g2/..._white_g2.json (the
# pose of 200 of the 273 G2 templates) and .../g1/..._white_2_g1.json (63 of the G1 ones).
_G2_ARM_POSE: Final = {
    "idx01_body_joint1": -0.83423, "idx02_body_joint2": 1.2172, "idx03_body_joint3": 0.10025,
    "idx04_body_joint4": 0.0, "idx05_body_joint5": 0.0,
    "idx11_head_joint1": 0.0, "idx12_head_joint2": 0.0, "idx13_head_joint3": 0.11464,
    "idx21_arm_l_joint1": 0.739033, "idx22_arm_l_joint2": -0.717023,
    "idx23_arm_l_joint3": -1.524419, "idx24_arm_l_joint4": -1.537612,
    "idx25_arm_l_joint5": 0.27811, "idx26_arm_l_joint6": -0.925845,
    "idx27_arm_l_joint7": -0.839257,
    "idx61_arm_r_joint1": -0.739033, "idx62_arm_r_joint2": -0.717023,
    "idx63_arm_r_joint3": 1.524419, "idx64_arm_r_joint4": -1.537612,
    "idx65_arm_r_joint5": -0.27811, "idx66_arm_r_joint6": -0.925845,
    "idx67_arm_r_joint7": 0.839257,
    "idx41_gripper_l_outer_joint1": 0.85, "idx81_gripper_r_outer_joint1": 0.85,
}  # fmt: skip
_G1_ARM_POSE: Final = {
    "idx01_body_joint1": 0.42, "idx02_body_joint2": 0.8726646991494927,
    "idx11_head_joint1": 0.0, "idx12_head_joint2": 0.4363296423945109,
    "idx21_arm_l_joint1": -1.0743441581726074, "idx22_arm_l_joint2": 0.6110641360282898,
    "idx23_arm_l_joint3": 0.2795839011669159, "idx24_arm_l_joint4": -1.2839884757995603,
    "idx25_arm_l_joint5": 0.7304918766021729, "idx26_arm_l_joint6": 1.4953428506851196,
    "idx27_arm_l_joint7": -0.18755260109901428,
    "idx61_arm_r_joint1": 1.0743441581726074, "idx62_arm_r_joint2": -0.6110466122627258,
    "idx63_arm_r_joint3": -0.2795839011669159, "idx64_arm_r_joint4": 1.283866286277771,
    "idx65_arm_r_joint5": -0.7303872108459473, "idx66_arm_r_joint6": -1.4952731132507324,
    "idx67_arm_r_joint7": 0.18760496377944944,
    "idx41_gripper_l_outer_joint1": 1.0, "idx81_gripper_r_outer_joint1": 1.0,
}  # fmt: skip
_GRIPPER_JOINTS: Final = ("idx41_gripper_l_outer_joint1", "idx81_gripper_r_outer_joint1")


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
        reach_m=(0.41, 1.09),
        surface_height_m=(0.65, 1.05),
        base_standoff_m=0.54,
        meta_robot_type="A2D",
        lerobot_robot_type="agibot_g1",
        init_arm_pose=MappingProxyType(_G1_ARM_POSE),
        init_arm_pose_noise=MappingProxyType(_arm_noise(0.01)),
        gripper_joints=_GRIPPER_JOINTS,
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
        reach_m=(0.39, 1.04),
        surface_height_m=(0.65, 1.15),
        base_standoff_m=0.38,
        meta_robot_type="G2A",
        lerobot_robot_type="agibot_g2",
        init_arm_pose=MappingProxyType(_G2_ARM_POSE),
        init_arm_pose_noise=MappingProxyType(_arm_noise(0.05)),
        gripper_joints=_GRIPPER_JOINTS,
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
