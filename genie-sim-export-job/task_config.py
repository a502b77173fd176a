"""One Genie Sim task JSON (TASK_CONFIG_GUIDE.md): objects, scene, robot, stages, recording."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genie_sim_export_job.scene_geometry import ObjectGeometry
from genie_sim_export_job.task_checks import CheckedObject, stages, task_metric
from genie_sim_export_job.tasks import ExportTask
from genie_sim_export_job.workspaces import (
    Workspace,
    robot_init_pose,
    task_frame,
    workspace_config,
)
from tools.geniesim_format import GenieSimRobot
from tools.geniesim_format.articulation import IS_ARTICULATED
from tools.geniesim_format.assets import (
    RECORDING_FPS,
    background_dir,
    background_usd,
    task_name,
)

LAYOUT_FILL = 0.3  # share of a workspace's area the laid-out objects' boxes may cover


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
        articulated: it has doors or drawers (`is_articulated`, read by Genie Sim's layout).
    """

    object_id: str
    gs_object_id: str
    data_info_dir: str
    workspace_id: str
    mass_kg: float
    name: str
    half_size: tuple[float, float, float]
    support_z: float
    articulated: bool = False

    def entry(self) -> dict[str, Any]:
        """The object's entry in `objects.*`."""
        return {
            "object_id": self.gs_object_id,
            "data_info_dir": self.data_info_dir,
            "workspace_id": self.workspace_id,
            "mass": round(self.mass_kg, 6),
            "english_semantic_name": [self.name],
            "chinese_semantic_name": [self.name],
        } | ({IS_ARTICULATED: True} if self.articulated else {})

    def checked(self) -> CheckedObject:
        """What the stage checkers and task metric need of it."""
        return CheckedObject(self.gs_object_id, self.name, self.half_size, self.support_z)


def _footprint(obj: ExportedObject) -> float:
    return 4.0 * obj.half_size[0] * obj.half_size[1]


def scene_objects(
    objects: Mapping[str, ExportedObject],
    related: Sequence[ExportedObject],
    by_workspace: Mapping[str, Workspace],
) -> list[ExportedObject]:
    """The other objects laid out with a task: smallest first, while the objects of each
    workspace cover at most `LAYOUT_FILL` of it (Genie Sim's layout fails the whole task when one
    object finds no place; its templates sample a few scene objects too)."""
    used = {w: 0.0 for w in by_workspace}
    for obj in related:
        used[obj.workspace_id] += _footprint(obj)
    related_ids = {o.object_id for o in related}
    kept = []
    for obj in sorted(objects.values(), key=lambda o: (_footprint(o), o.object_id)):
        if obj.object_id in related_ids:
            continue
        half = by_workspace[obj.workspace_id].half_extents
        if used[obj.workspace_id] + _footprint(obj) <= LAYOUT_FILL * 4.0 * half[0] * half[1]:
            used[obj.workspace_id] += _footprint(obj)
            kept.append(obj)
    return sorted(kept, key=lambda o: o.object_id)


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
    """The task JSON of one task: a pick-up, or a place on or in a goal object.

    Args:
        scene_id: the scene.
        task: target, goal (None: a pick-up), shape and instruction.
        objects: every exported object, by manifest id (the others are laid out as
            `scene_objects` while they fit, see `scene_objects`).
        workspaces: workspaces by support id.
        geometry: measured geometry, by id (for the supports).
        robot: the Genie Sim robot.
        robot_xy: where the scene's robot stands (the side it faces the work surface from).
        episodes: `recording_setting.num_of_episode`.

    Returns:
        The JSON document.
    """
    target = objects[task.target_id]
    goal = objects[task.goal_id] if task.goal_id is not None else None
    related = [target] if goal is None else [target, goal]
    by_workspace = {w.workspace_id: w for w in workspaces.values()}
    home = by_workspace[target.workspace_id]
    frame = task_frame(home)
    others: dict[str, list[dict[str, Any]]] = {}
    for obj in scene_objects(objects, related, by_workspace):
        others.setdefault(obj.workspace_id, []).append(obj.entry())
    used = {o.workspace_id for o in related} | set(others)
    other_ids = [e["object_id"] for entries in others.values() for e in entries]
    checked_goal = goal.checked() if goal is not None else None
    name = task_name(scene_id, task.task_id)
    return {
        "task": name,
        "origin": {"position": list(frame.position), "quaternion": frame.quaternion},
        "objects": {
            "task_related_objects": [o.entry() for o in related],
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
            "init_arm_pose": dict(robot.init_arm_pose),
            "init_arm_pose_noise": {k: dict(v) for k, v in robot.init_arm_pose_noise.items()},
            "robot_init_pose": robot_init_pose(
                home, geometry[home.support_id], robot_xy, robot, frame
            ),
        },
        "stages": stages(task.shape, target.checked(), checked_goal),
        "task_metric": task_metric(task.shape, target.checked(), checked_goal, other_ids),
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
