"""One Genie Sim task JSON (TASK_CONFIG_GUIDE.md): objects, scene, robot, stages, recording."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genie_sim_export_job.scene_geometry import ObjectGeometry
from genie_sim_export_job.tasks import ExportTask
from genie_sim_export_job.workspaces import (
    Workspace,
    robot_init_pose,
    task_frame,
    workspace_config,
)
from tools.geniesim_format import GenieSimRobot
from tools.geniesim_format.assets import (
    CHECKER_DISTANCE,
    GRIPPER_ID,
    RECORDING_FPS,
    RULE_LESS_THAN,
    background_dir,
    background_usd,
    task_name,
)

PICK_UP_DISTANCE_M = 0.1
MIN_PICK_CHECK_M = 0.08  # object centre to gripper centre while held (Genie Sim's examples)
MIN_PLACE_CHECK_M = 0.05


@dataclass(frozen=True)
class ExportedObject:
    """An exported object as the task JSONs name it.

    Attributes:
        object_id: manifest id.
        gs_object_id: Genie Sim object id (prim-safe).
        data_info_dir: its folder relative to `$SIM_ASSETS`.
        workspace_id: the workspace it is laid out in.
        mass_kg: its mass.
        name: its English name (also used as the Chinese name: no translation is available).
        half_size: half extents of Aligned.usd (its origin is the box centre).
        support_z: height of its support point above its centre (where things put on it land).
    """

    object_id: str
    gs_object_id: str
    data_info_dir: str
    workspace_id: str
    mass_kg: float
    name: str
    half_size: tuple[float, float, float]
    support_z: float

    def entry(self) -> dict[str, Any]:
        """The object's entry in `objects.*`."""
        return {
            "object_id": self.gs_object_id,
            "data_info_dir": self.data_info_dir,
            "workspace_id": self.workspace_id,
            "mass": round(self.mass_kg, 6),
            "english_semantic_name": [self.name],
            "chinese_semantic_name": [self.name],
        }


def _stages(target: ExportedObject, goal: ExportedObject) -> list[dict[str, Any]]:
    hx, hy, hz = target.half_size
    pick_check = max(MIN_PICK_CHECK_M, (hx * hx + hy * hy + hz * hz) ** 0.5 + 0.02)
    place_check = max(MIN_PLACE_CHECK_M, 0.8 * min(goal.half_size[:2]))
    pick_text = f"pick up the {target.name}"
    place_text = f"put the {target.name} on the {goal.name}"
    return [
        {
            "action": "pick",
            "action_description": {"action_text": pick_text, "english_action_text": pick_text},
            "active": {"object_id": GRIPPER_ID, "primitive": None},
            "passive": {"object_id": target.gs_object_id, "primitive": None},
            "extra_params": {
                "arm": "auto",
                "disable_upside_down": False,
                "flip_grasp": False,
                "grasp_offset": 0.0,
                "pick_up_distance": PICK_UP_DISTANCE_M,
            },
            "checker": [
                {
                    "checker_name": CHECKER_DISTANCE,
                    "params": {
                        "object_id": target.gs_object_id,
                        "target_id": GRIPPER_ID,
                        "rule": RULE_LESS_THAN,
                        "value": round(pick_check, 4),
                    },
                }
            ],
        },
        {
            "action": "place",
            "action_description": {"action_text": place_text, "english_action_text": place_text},
            "active": {"object_id": target.gs_object_id, "primitive": None},
            "passive": {"object_id": goal.gs_object_id, "primitive": None},
            "extra_params": {"arm": "auto", "place_with_origin_orientation": True},
            "checker": [
                {
                    "checker_name": CHECKER_DISTANCE,
                    "params": {
                        "object_id": target.gs_object_id,
                        "target_id": goal.gs_object_id,
                        "target_offset": {
                            "frame": "world",
                            "position": [0.0, 0.0, round(goal.support_z + hz, 4)],
                        },
                        "rule": RULE_LESS_THAN,
                        "value": round(place_check, 4),
                    },
                }
            ],
        },
    ]


def task_config(
    scene_id: str,
    task: ExportTask,
    objects: Mapping[str, ExportedObject],
    workspaces: Mapping[str, Workspace],
    geometry: Mapping[str, ObjectGeometry],
    robot: GenieSimRobot,
    robot_xy: tuple[float, float],
    episodes: int,
) -> dict[str, Any]:
    """The task JSON of one task.

    Args:
        scene_id: the scene.
        task: target, goal and instruction.
        objects: every exported object, by manifest id (the others are laid out as
            `scene_objects` so the scene keeps them).
        workspaces: workspaces by support id.
        geometry: measured geometry, by id (for the supports).
        robot: the Genie Sim robot.
        robot_xy: where the scene's robot stands (the side it faces the work surface from).
        episodes: `recording_setting.num_of_episode`.

    Returns:
        The JSON document.
    """
    target, goal = objects[task.target_id], objects[task.goal_id]
    by_workspace = {w.workspace_id: w for w in workspaces.values()}
    home = by_workspace[target.workspace_id]
    frame = task_frame(home)
    others: dict[str, list[dict[str, Any]]] = {}
    for oid in sorted(objects):
        if oid not in (task.target_id, task.goal_id):
            others.setdefault(objects[oid].workspace_id, []).append(objects[oid].entry())
    used = {target.workspace_id, goal.workspace_id, *others}
    name = task_name(scene_id, task.task_id)
    return {
        "task": name,
        "origin": {"position": list(frame.position), "quaternion": frame.quaternion},
        "objects": {
            "task_related_objects": [target.entry(), goal.entry()],
            "scene_objects": [
                {"sample": {"num": len(entries)}, "workspace_id": ws, "available_objects": entries}
                for ws, entries in sorted(others.items())
            ],
            "attach_objects": [],
            "fix_objects": [],
            "constraints": None,
        },
        "scene": {
            "scene_id": background_dir(scene_id),
            "scene_info_dir": background_dir(scene_id),
            "scene_usd": background_usd(scene_id),
            "function_space_objects": {
                ws: workspace_config(by_workspace[ws], frame) for ws in sorted(used)
            },
        },
        "robot": {
            "arm": robot.arm,
            "robot_id": robot.robot_id,
            "robot_cfg": robot.robot_cfg,
            "robot_init_pose": robot_init_pose(
                home, geometry[home.support_id], robot_xy, robot, frame
            ),
        },
        "stages": _stages(target, goal),
        "task_description": {
            "task_name": task.instruction,
            "english_task_name": task.instruction,
            "init_scene_text": "the robot stands at a surface with objects on it",
        },
        "recording_setting": {
            "camera_list": list(robot.camera_prims),
            "fps": RECORDING_FPS,
            "num_of_episode": episodes,
        },
    }
