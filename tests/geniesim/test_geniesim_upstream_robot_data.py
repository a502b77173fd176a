"""Our record of Genie Sim's robots agrees with its robot configs (needs GENIE_SIM_SRC)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tools.geniesim_format import ROBOTS

ROBOT_CFG = "source/data_collection/config/robot_cfg"


def _robot_cfg() -> Path:
    source = os.environ.get("GENIE_SIM_SRC")
    if not source or not (Path(source) / ROBOT_CFG).is_dir():
        pytest.skip("GENIE_SIM_SRC does not point at a Genie Sim checkout")
    return Path(source) / ROBOT_CFG


@pytest.mark.parametrize("robot_id", sorted(ROBOTS))
def test_robot_record_matches_genie_sims_configs(robot_id: str) -> None:
    """The config file exists; its cameras are ours; every init_arm_pose joint, noise pattern
    and gripper joint names a joint of that robot (robot_joint_names.json)."""
    root = _robot_cfg()
    robot = ROBOTS[robot_id]
    config = json.loads((root / robot.robot_cfg).read_text())
    assert set(robot.camera_prims) <= set(config["camera"])
    names = json.loads((root / "robot_joint_names.json").read_text())[robot_id]
    joints = set(names["joint_state_order"])
    assert set(robot.init_arm_pose) <= joints
    for pattern in robot.init_arm_pose_noise:
        assert any(re.fullmatch(pattern, j) for j in joints), pattern
    assert robot.gripper_joints == (
        names["left_effector_joint_name"],
        names["right_effector_joint_name"],
    )
