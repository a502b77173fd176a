"""ROBOT in the replicator: the workspace regions are the selected arm's reach, recorded."""

from __future__ import annotations

import numpy as np
import pytest

from replicator_job.bundle import category_sizes
from replicator_job.placement_regions import RegionParams, compute_regions
from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
from replicator_job.settings import ReplicatorSettings
from replicator_job.step import options_from_settings
from tools.config import load_settings
from tools.errors import ConfigError
from tools.randomization.config import DistractorConfig
from tools.randomization.layout import REGIONS_JSON_PATH
from tools.randomization.regions import RegionsFile
from tools.robots import DEFAULT_ROBOT, XARM6
from tools.scene_manifest import load_manifest


def test_robot_setting_picks_the_reach_and_refuses_unknown_arms(tmp_path):
    """ROBOT=xarm6 bounds the workspace by the xArm's reach; an unknown arm is one line."""
    env = {"SCENE_ID": "s1", "SCENE_DIR": str(tmp_path)}
    default = options_from_settings(load_settings(ReplicatorSettings, env)).regions
    assert (default.reach_min_m, default.reach_max_m, default.robot) == (
        DEFAULT_ROBOT.min_reach_m,
        DEFAULT_ROBOT.reach_radius_m,
        DEFAULT_ROBOT.robot_type,
    )
    xarm = options_from_settings(load_settings(ReplicatorSettings, {**env, "ROBOT": "xarm6"}))
    assert (xarm.regions.reach_min_m, xarm.regions.reach_max_m) == (0.20, 0.65)
    assert xarm.regions.robot == "xarm6" and "robot" not in xarm.regions.as_dict()
    with pytest.raises(ConfigError, match=r"ROBOT.*must be one of franka_panda, xarm6"):
        load_settings(ReplicatorSettings, {**env, "ROBOT": "ur5e"})


def test_workspace_regions_follow_the_robot(usd_scene):
    """The same scene gives the xArm workspace parts within its 0.65 m reach, less area than the
    Franka's 0.80 m, from the same support regions."""
    manifest = load_manifest(usd_scene)
    geometry = read_object_geometry(open_scene_stage(usd_scene / "usd" / "scene.usda"))
    sizes = category_sizes(manifest, DistractorConfig())
    by_robot = {
        robot.robot_type: compute_regions(geometry, manifest, sizes, RegionParams.for_robot(robot))
        for robot in (DEFAULT_ROBOT, XARM6)
    }
    base = np.asarray(manifest.robot.base_pose.position[:2])

    def workspace(robot: str) -> list:
        return [r for r in by_robot[robot] if r.kind == "workspace"]

    for region in workspace("xarm6"):
        radii = np.linalg.norm(np.asarray(region.exterior) - base, axis=1)
        assert radii.max() <= XARM6.reach_radius_m + 1e-6
    xarm_area = sum(r.area_m2 for r in workspace("xarm6"))
    franka_area = sum(r.area_m2 for r in workspace(DEFAULT_ROBOT.robot_type))
    assert 0 < xarm_area < franka_area
    supports = [r for r in by_robot["xarm6"] if r.kind != "workspace"]
    assert supports == [r for r in by_robot[DEFAULT_ROBOT.robot_type] if r.kind != "workspace"]


def test_the_regions_file_names_the_robot(bundle_scene):
    """placement_regions.json records the arm its workspace regions were cut for."""
    regions = RegionsFile.model_validate_json((bundle_scene / REGIONS_JSON_PATH).read_text())
    assert regions.robot == DEFAULT_ROBOT.robot_type
    assert regions.parameters["reach_max_m"] == DEFAULT_ROBOT.reach_radius_m
