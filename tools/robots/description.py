"""What a robot arm can reach and hold: one frozen record per supported arm."""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

from tools.errors import ConfigError


@dataclass(frozen=True)
class JointLimits:
    """Per-joint magnitudes a motion may use: velocity (rad/s), acceleration (rad/s²)."""

    velocity: tuple[float, ...]
    acceleration: tuple[float, ...]


@dataclass(frozen=True)
class RobotDescription:
    """Reach, gripper and joint facts of one arm on its base, in metres and radians.

    Distances are horizontal, from the axis of the first joint, unless named otherwise.

    Attributes:
        robot_type: the name datasets record (`meta/info.json` robot_type).
        asset_package: the PyPI package that ships the model files.
        asset_subdir: the model's folder inside that package's data.
        datasheet_reach_m: maximum reach from the shoulder, as the maker states it.
        shoulder_height_m: the shoulder (second joint's axis) above the base.
        reach_radius_m: usable reach of a top-down hand from the first joint's axis.
        min_reach_m: closer than this the arm folds into itself.
        target_band_m: where objects to pick are kept or scattered: top-down grasps near the
            edges of [min_reach_m, reach_radius_m] fail several times more often.
        goal_band_m: where free goal squares on the work surface are looked for: the target
            band shrunk by half a goal square each side, so a placed object stays inside it.
        gripper_max_width_m: the fingers' full opening.
        grasp_clearance_m: the open fingers need this much more than the object's width.
        arm_lower: lower joint limits.
        arm_upper: upper joint limits.
        max_joint_velocity: the maker's joint speed limits, rad/s.
        max_joint_acceleration: the maker's joint acceleration limits, rad/s².
        motion_limit_fraction: the share of those limits planned motions use (data collection
            keeps a margin: demonstrations at a real arm's limits are jerky and hard to replay).
        rim_max_moment_kg_m: the heaviest load moment (mass times the lever from the pinch to
            the centre of mass) a pinch of a container's wall carries, measured in MuJoCo
            (`bench/bench_rim_moment.py`), less the episodes' +20 % mass randomization.
    """

    robot_type: str
    asset_package: str
    asset_subdir: str
    datasheet_reach_m: float
    shoulder_height_m: float
    reach_radius_m: float
    min_reach_m: float
    target_band_m: tuple[float, float]
    goal_band_m: tuple[float, float]
    gripper_max_width_m: float
    grasp_clearance_m: float
    arm_lower: tuple[float, ...]
    arm_upper: tuple[float, ...]
    max_joint_velocity: tuple[float, ...]
    max_joint_acceleration: tuple[float, ...]
    motion_limit_fraction: float
    rim_max_moment_kg_m: float

    def __post_init__(self) -> None:
        if not self.min_reach_m < self.reach_radius_m <= self.datasheet_reach_m:
            raise ValueError(f"{self.robot_type}: need min_reach < reach_radius <= datasheet")
        for name, (low, high) in (("target", self.target_band_m), ("goal", self.goal_band_m)):
            if not self.min_reach_m <= low < high <= self.reach_radius_m:
                raise ValueError(f"{self.robot_type}: {name} band outside the usable reach")
        if len(self.arm_lower) != len(self.arm_upper):
            raise ValueError(f"{self.robot_type}: joint limits of different lengths")
        for name, limits in (
            ("max_joint_velocity", self.max_joint_velocity),
            ("max_joint_acceleration", self.max_joint_acceleration),
        ):
            if len(limits) != len(self.arm_lower) or min(limits) <= 0.0:
                raise ValueError(f"{self.robot_type}: {name} must be one positive value a joint")
        if not 0.0 < self.motion_limit_fraction <= 1.0:
            raise ValueError(f"{self.robot_type}: motion_limit_fraction must be in (0, 1]")
        if self.rim_max_moment_kg_m <= 0.0:
            raise ValueError(f"{self.robot_type}: rim_max_moment_kg_m must be positive")

    @property
    def max_grasp_width_m(self) -> float:
        """The widest object a grasp across it may hold."""
        return self.gripper_max_width_m - self.grasp_clearance_m

    @property
    def motion_limits(self) -> JointLimits:
        """The joint velocity and acceleration planned motions stay within."""
        share = self.motion_limit_fraction
        return JointLimits(
            tuple(share * v for v in self.max_joint_velocity),
            tuple(share * a for a in self.max_joint_acceleration),
        )

    def asset_dir(self) -> Path:
        """Folder of the arm's URDF and meshes in the installed package (engine-free: the
        episodes' run fingerprint hashes it before Kit starts; the MuJoCo builders load it).

        Raises:
            ConfigError: the package that ships the model is not installed.
        """
        data = self.asset_package + "_data"  # pybullet ships its models as pybullet_data
        spec = importlib.util.find_spec(data)
        if spec is None or spec.origin is None:
            raise ConfigError(
                "robot model", f"{data} not found", hint=f"pip install {self.asset_package}"
            )
        return Path(spec.origin).parent / self.asset_subdir

    def shoulder_distance(self, dx: float, dy: float, height: float) -> float:
        """Distance from the shoulder to a point `height` above the base, offset (dx, dy)."""
        return math.hypot(math.hypot(dx, dy), height - self.shoulder_height_m)


FRANKA_PANDA = RobotDescription(
    robot_type="franka_panda",
    asset_package="pybullet",  # pybullet_data/franka_panda, Apache-2.0
    asset_subdir="franka_panda",
    datasheet_reach_m=0.855,  # Franka Emika Panda datasheet
    shoulder_height_m=0.333,  # joint-2 axis above the base (Panda DH parameters)
    reach_radius_m=0.80,
    min_reach_m=0.25,
    target_band_m=(0.30, 0.68),
    goal_band_m=(0.35, 0.65),
    gripper_max_width_m=0.08,  # each finger travels 0..4 cm
    grasp_clearance_m=0.004,
    arm_lower=(-2.9671, -1.8326, -2.9671, -3.1416, -2.9671, -0.0873, -2.9671),
    arm_upper=(2.9671, 1.8326, 2.9671, 0.0, 2.9671, 3.8223, 2.9671),
    # Franka Emika Panda datasheet ("Robot and interface specifications": joint space limits).
    max_joint_velocity=(2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61),
    max_joint_acceleration=(15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0),
    motion_limit_fraction=0.5,
    # A 0.52 kg bowl pinched 7.5 cm from its centre of mass turned 16 degrees in the pads (its
    # wall's flare) up to 0.049 kg m and 27 degrees at 0.058; every carry ended on its goal.
    rim_max_moment_kg_m=0.04,
)

XARM6 = RobotDescription(
    robot_type="xarm6",
    asset_package="pybullet",  # pybullet_data/xarm (xarm_ros), BSD-3-Clause: docs/ROBOTS.md
    asset_subdir="xarm",
    datasheet_reach_m=0.70,  # UFactory xArm6 datasheet
    shoulder_height_m=0.267,  # joint-2 axis above the base (URDF joint1 origin)
    # Top-down TCP poses solve from 0.18 to 0.72 m at the base's height and to 0.64 m 30 cm
    # above it (IK sweep on the model); the bands keep the Franka's margins to those edges.
    reach_radius_m=0.65,
    min_reach_m=0.20,
    target_band_m=(0.25, 0.55),
    goal_band_m=(0.30, 0.50),
    gripper_max_width_m=0.089,  # the pads' gap at the drive joint's 0 (tests read the model)
    grasp_clearance_m=0.004,
    # URDF <limit>s of joint1..joint6 (tests read them back from the URDF).
    arm_lower=(-6.28318530718, -2.059, -3.927, -6.28318530718, -1.69297, -6.28318530718),
    arm_upper=(6.28318530718, 2.0944, 0.19198, 6.28318530718, 3.14159265359, 6.28318530718),
    # Speed: the URDF <limit velocity="3.14"> of every joint (the xArm6 manual's 180 deg/s).
    # Acceleration: the xArm Python SDK's joint acceleration ceiling, 20 rad/s²
    # (`xarm/x3/base.py` `_max_joint_acc`); UFactory publish no per-joint figure.
    max_joint_velocity=(3.14,) * 6,
    max_joint_acceleration=(20.0,) * 6,
    # 0.45 keeps joints under the 1.5 rad/s the model's 32 N m wrist joints follow: near the
    # wrist's singular poses a 0.5 m/s TCP move asks 3 rad/s of them.
    motion_limit_fraction=0.45,
    # The same bowl up to 1.04 kg (0.078 kg m) turned no further than its wall's flare (14
    # degrees) in the pads and ended on its goal: the xArm's pads squeeze it with 23-25 N.
    rim_max_moment_kg_m=0.065,
)

ROBOTS: dict[str, RobotDescription] = {r.robot_type: r for r in (FRANKA_PANDA, XARM6)}


def robot_description(name: str) -> RobotDescription:
    """The description of a supported robot by its type name.

    Raises:
        ConfigError: the name is not a supported robot.
    """
    try:
        return ROBOTS[name]
    except KeyError:
        raise ConfigError(
            "ROBOT", f"must be one of {', '.join(sorted(ROBOTS))}", hint="see tools/robots"
        ) from None
