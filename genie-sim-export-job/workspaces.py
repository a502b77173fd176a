"""Genie Sim workspaces from support surfaces, and the task frame (`origin`) and robot pose."""

# Genie Sim lays objects out in axis-aligned rectangles of a task's `origin` frame (its SPACE
# mode), resting on the rectangle's bottom face; positions in a task JSON are relative to
# `origin`. Each support surface that carries exported objects gets one workspace: the part of
# its top nearest the robot, at most WINDOW_HALF_M from the centre each way, and no deeper than
# the Genie Sim robot reaches from where it stands (`robot.reach_m`, `robot.base_standoff_m`).


from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from genie_sim_export_job.scene_geometry import FloatArray, ObjectGeometry
from tools.geniesim_format import GenieSimRobot
from tools.geniesim_format.assets import WORKSPACE_HEIGHT_M, prim_safe
from tools.rotations import yaw_quat

EDGE_MARGIN_M = 0.03  # keep laid-out objects this far from a support's edge
WINDOW_HALF_M = 0.45  # a workspace spans at most 0.9 m each way (Genie Sim's tables: ~0.45x0.8)
MIN_HALF_M = 0.02
ROBOT_JITTER_M = 0.05  # `random.delta_position` of the robot's initial pose


@dataclass(frozen=True)
class Workspace:
    """A rectangle on a support's top, in the world (Z-up)."""

    workspace_id: str
    support_id: str
    centre: tuple[float, float]
    half_extents: tuple[float, float]
    yaw: float
    surface_z: float


@dataclass(frozen=True)
class TaskFrame:
    """A task's `origin`: on the floor under a workspace centre, turned like its support."""

    position: tuple[float, float, float]
    yaw: float

    def to_local(self, point: FloatArray) -> FloatArray:
        """A world point in this frame."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        d = np.asarray(point, dtype=np.float64) - np.asarray(self.position)
        return np.array([c * d[0] + s * d[1], -s * d[0] + c * d[1], d[2]])

    @property
    def quaternion(self) -> list[float]:
        """[w, x, y, z] of the frame's yaw."""
        return list(yaw_quat(self.yaw))


def reach_window(
    window: FloatArray, half: FloatArray, robot_local: FloatArray, robot: GenieSimRobot
) -> FloatArray:
    """The window with its depth (along the support axis the robot stands beyond) cut so its
    far corners stay within the robot's reach from `base_standoff_m` outside the near edge."""
    depth_axis = int(np.argmax(np.abs(robot_local) / np.maximum(half, 1e-9)))
    lateral = float(window[1 - depth_axis])
    near = robot.base_standoff_m + EDGE_MARGIN_M
    far = math.sqrt(max(robot.reach_m[1] ** 2 - lateral**2, 0.0)) - near
    out = np.array(window, dtype=np.float64)
    out[depth_axis] = max(min(out[depth_axis], far / 2), MIN_HALF_M)
    return out


def workspace_for(
    support: ObjectGeometry, robot_xy: tuple[float, float], robot: GenieSimRobot
) -> Workspace:
    """The workspace of one support: its shrunk top, clipped to a window nearest the robot
    that the Genie Sim robot reaches across.

    Args:
        support: the support's geometry.
        robot_xy: the scene's robot base position (world x, y): the side to stand on.
        robot: the Genie Sim robot (its reach and standoff).

    Returns:
        The workspace.
    """
    half = np.maximum(support.half_extents[:2] - EDGE_MARGIN_M, MIN_HALF_M)
    robot_local = support.local_xy((*robot_xy, 0.0))
    window = reach_window(np.minimum(half, WINDOW_HALF_M), half, robot_local, robot)
    centre_local = np.clip(robot_local, -half + window, half - window)
    c, s = math.cos(support.yaw), math.sin(support.yaw)
    x = support.centre[0] + c * centre_local[0] - s * centre_local[1]
    y = support.centre[1] + s * centre_local[0] + c * centre_local[1]
    return Workspace(
        f"ws_{prim_safe(support.object_id)}",
        support.object_id,
        (float(x), float(y)),
        (float(window[0]), float(window[1])),
        support.yaw,
        support.top,
    )


def workspace_config(workspace: Workspace, frame: TaskFrame) -> dict[str, Any]:
    """The workspace as a SPACE entry of `scene.function_space_objects`, in `frame`.

    The rectangle must be axis-aligned in the frame: a turned support gets the largest
    axis-aligned rectangle that fits inside its window.
    """
    delta = (workspace.yaw - frame.yaw + math.pi / 4) % (math.pi / 2) - math.pi / 4
    quarter_turns = round((workspace.yaw - frame.yaw - delta) / (math.pi / 2))
    a, b = workspace.half_extents
    if quarter_turns % 2:
        a, b = b, a
    c, s = abs(math.cos(delta)), abs(math.sin(delta))
    k = min(1.0, a / (a * c + b * s), b / (a * s + b * c))
    centre = frame.to_local(np.array([*workspace.centre, 0.0]))
    return {
        "position": [
            round(float(centre[0]), 6),
            round(float(centre[1]), 6),
            round(workspace.surface_z + WORKSPACE_HEIGHT_M / 2, 6),
        ],
        "quaternion": [1.0, 0.0, 0.0, 0.0],
        "size": [round(2 * k * a, 6), round(2 * k * b, 6), WORKSPACE_HEIGHT_M],
    }


def task_frame(workspace: Workspace) -> TaskFrame:
    """The `origin` of a task whose target is laid out in `workspace`."""
    return TaskFrame((workspace.centre[0], workspace.centre[1], 0.0), workspace.yaw)


def robot_init_pose(
    workspace: Workspace,
    support: ObjectGeometry,
    robot_xy: tuple[float, float],
    robot: GenieSimRobot,
    frame: TaskFrame,
) -> dict[str, Any]:
    """Where the robot starts: facing the workspace from the side the scene's robot stands on,
    `robot.base_standoff_m` outside the support's edge (`robot.robot_init_pose`, in `frame`).
    """
    centre = np.array(workspace.centre)
    forward = centre - np.asarray(robot_xy, dtype=np.float64)
    if np.linalg.norm(forward) < 1e-6:
        forward = np.array([math.cos(support.yaw), math.sin(support.yaw)])
    forward = forward / np.linalg.norm(forward)
    local_dir = support.local_xy((support.centre[0] + forward[0], support.centre[1] + forward[1]))
    local_centre = support.local_xy((*workspace.centre, 0.0))
    # Walking back from the centre towards the robot, the first edge crossed on each axis.
    exits = [
        (h + math.copysign(1.0, d) * p) / abs(d)
        for h, p, d in zip(support.half_extents[:2], local_centre, local_dir, strict=True)
        if abs(d) > 1e-9
    ]
    distance = max(0.0, min(exits)) + robot.base_standoff_m
    position = np.array([*(centre - forward * distance), 0.0])
    local = frame.to_local(position)
    yaw = math.atan2(forward[1], forward[0]) - frame.yaw
    return {
        "position": [round(float(v), 6) for v in local],
        "quaternion": [round(v, 9) for v in yaw_quat(yaw)],
        "random": {"delta_position": [ROBOT_JITTER_M, ROBOT_JITTER_M, 0.0]},
    }


def workspaces_for(
    geometry: Mapping[str, ObjectGeometry],
    supports: set[str],
    robot_xy: tuple[float, float],
    robot: GenieSimRobot,
) -> dict[str, Workspace]:
    """One workspace per support id, by support id."""
    return {s: workspace_for(geometry[s], robot_xy, robot) for s in sorted(supports)}
