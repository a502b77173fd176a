"""Workspaces from support surfaces, the task frame and the robot's start pose."""

from __future__ import annotations

import math

import numpy as np
import trimesh

from genie_sim_export_job.scene_geometry import ObjectGeometry
from genie_sim_export_job.workspaces import (
    WINDOW_HALF_M,
    robot_init_pose,
    task_frame,
    workspace_config,
    workspace_for,
)
from tools.geniesim_format import ROBOTS


def _table(yaw: float, half: tuple[float, float]) -> ObjectGeometry:
    box = trimesh.creation.box((2 * half[0], 2 * half[1], 0.8))
    return ObjectGeometry(
        "table_1",
        box,
        np.eye(3),
        np.zeros(3),
        yaw,
        np.array([1.0, 2.0, 0.4]),
        np.array([half[0], half[1], 0.4]),
    )


def test_long_counter_window_faces_the_robot() -> None:
    """A 3 m counter: the workspace is at most 0.9 m wide, centred in front of the robot."""
    counter = _table(0.0, (1.5, 0.3))
    ws = workspace_for(counter, (0.2, 1.0), ROBOTS["G2"])
    assert math.isclose(ws.half_extents[0], WINDOW_HALF_M)
    assert math.isclose(ws.centre[0], 0.2, abs_tol=1e-9) and math.isclose(ws.surface_z, 0.8)


def test_turned_support_gets_an_inscribed_axis_aligned_rectangle() -> None:
    """In a frame turned 30 degrees from the support, the rectangle shrinks to fit inside."""
    table = _table(math.radians(30), (0.3, 0.3))
    ws = workspace_for(table, (1.0, 0.0), ROBOTS["G2"])
    frame = task_frame(ws)
    aligned = workspace_config(ws, frame)
    turned = workspace_config(ws, type(frame)(frame.position, 0.0))
    assert np.allclose(aligned["size"][:2], [0.54, 0.54])
    assert turned["size"][0] < aligned["size"][0]
    assert math.isclose(aligned["position"][2], 0.9)  # top + half the 0.2 m height


def test_robot_stands_outside_the_edge_facing_the_workspace() -> None:
    """The robot starts beyond the table edge by its standoff, looking at the workspace."""
    table = _table(0.0, (0.5, 0.4))
    ws = workspace_for(table, (1.0, 0.5), ROBOTS["G2"])
    frame = task_frame(ws)
    pose = robot_init_pose(ws, table, (1.0, 0.5), ROBOTS["G2"], frame)
    x, y, _ = pose["position"]
    assert math.isclose(
        y, -(0.4 + ROBOTS["G2"].base_standoff_m) - (ws.centre[1] - 2.0), abs_tol=1e-6
    )
    assert math.isclose(x, 0.0, abs_tol=1e-6)
    w, _, _, z = pose["quaternion"]
    assert math.isclose(2 * math.atan2(z, w), math.pi / 2, abs_tol=1e-6)


def test_workspace_depth_stays_within_the_robots_reach() -> None:
    """A deep table: the workspace's far corners are within the robot's reach from its start."""
    table = _table(0.0, (0.5, 0.6))
    for robot in ROBOTS.values():
        ws = workspace_for(table, (1.0, 0.0), robot)
        frame = task_frame(ws)
        pose = robot_init_pose(ws, table, (1.0, 0.0), robot, frame)
        config = workspace_config(ws, frame)
        base = np.array(pose["position"][:2])
        centre, size = np.array(config["position"][:2]), np.array(config["size"][:2])
        corners = [centre + size / 2 * np.array([sx, sy]) for sx in (-1, 1) for sy in (-1, 1)]
        distances = [float(np.linalg.norm(c - base)) for c in corners]
        assert max(distances) <= robot.reach_m[1] + 1e-6, robot.robot_id
        assert min(abs(c[1] - base[1]) for c in corners) >= robot.reach_m[0] - 0.05
