"""The scene's tasks Genie Sim runs: the shared candidates kept for the G1/G2 gripper."""

# Candidates and supports are decided once, by the replicator, in `replicator/scene_tasks.json`
# (tools.tasks.scene_tasks); the robot filter and the cap are the episodes job's
# (tools.tasks.feasibility), with the Genie Sim robot's gripper.

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from genie_sim_export_job.grasps import max_object_width
from tools.geniesim_format import GenieSimRobot
from tools.geniesim_format.assets import TASK_PICK_UP, TASK_PLACE_IN, TASK_PLACE_ON
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.feasibility import feasible_tasks
from tools.tasks.robot_mount import mount_pose
from tools.tasks.sampled_grasps import SampledGrasps
from tools.tasks.scene_tasks import SceneTasks
from tools.tasks.task_specifier import ArmLimits, PickPlaceTask, describe

FREE_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)


@dataclass(frozen=True)
class ExportTask:
    """One task to export: pick `target_id` up, or place it on or in `goal_id`.

    Attributes:
        task_id: stable id (the derivation's, `<target>-pick-up` for a pick-up).
        target_id: the object picked.
        goal_id: the object it goes on or in (None: a pick-up).
        instruction: the natural-language instruction.
        shape: one of `assets.TASK_SHAPES`.
    """

    task_id: str
    target_id: str
    goal_id: str | None
    instruction: str
    shape: str = TASK_PLACE_ON


@dataclass(frozen=True)
class TaskSelection:
    """The exported tasks and, by task id, why the others were left out."""

    tasks: tuple[ExportTask, ...]
    skipped: dict[str, str]


def object_name(manifest: SceneManifest, object_id: str) -> str:
    """An object's name in instructions (the episodes job's wording: colour and label)."""
    return describe(manifest.object(object_id))


def arm_limits(robot: GenieSimRobot) -> ArmLimits:
    """The Genie Sim robot's gripper for task feasibility: its opening less the clearance its
    grasps keep (`grasps.max_object_width`); no reach test on the scene's own robot base,
    since Genie Sim stands its robot in front of workspaces sized to its reach (see
    workspaces.py)."""
    return ArmLimits(max_object_width(robot), None)


def select_tasks(
    manifest: SceneManifest,
    scene_tasks: SceneTasks,
    exportable: set[str],
    robot: GenieSimRobot,
    *,
    max_tasks: int,
    sampled: Mapping[str, SampledGrasps] | None = None,
) -> TaskSelection:
    """The scene's candidates the Genie Sim robot's gripper can do (the episodes job's filter
    and cap), kept to those Genie Sim can run.

    Genie Sim's `place` needs an object to place onto; a goal region on a bare furniture
    surface (a table's side, a shelf board) has none, so such tasks are skipped (with the
    reason), as are tasks whose objects are not exported (no support surface to lay them out
    on). A target left with no place task becomes a pick-up task (Genie Sim's pick_*
    templates: pick it and lift it).

    Args:
        manifest: the scene contract.
        scene_tasks: the scene's supports and candidates (`replicator/scene_tasks.json`).
        exportable: ids of the objects exported as Genie Sim assets.
        robot: the Genie Sim robot (its gripper decides what is graspable).
        max_tasks: at most this many tasks are kept (MAX_TASKS).
        sampled: grasps sampled on the hulls of objects too wide for the gripper's box
            pinch (`tools.tasks.sampled_grasps`): held by them, as in the episodes.

    Returns:
        The selection.
    """
    boxes = scene_tasks.object_boxes()
    base = mount_pose(manifest, boxes)
    free = [o.id for o in manifest.objects if o.sim_role in FREE_ROLES and o.id in boxes]
    derived: list[PickPlaceTask] = feasible_tasks(
        scene_tasks,
        manifest,
        base,
        free_objects=free,
        limits=arm_limits(robot),
        max_tasks=max_tasks,
        sampled=sampled,
    )
    tasks: list[ExportTask] = []
    skipped: dict[str, str] = {}
    for task in derived:
        if task.region is not None:
            surface = task.surface.surface_id if task.surface is not None else task.goal_id
            skipped[task.task_id] = f"goal is a region of {surface}, not an object"
        elif task.target_id not in exportable or task.goal_id not in exportable:
            skipped[task.task_id] = (
                "target or goal stands on no support at a height the robot works at"
            )
        else:
            shape = TASK_PLACE_IN if task.relation == "in" else TASK_PLACE_ON
            tasks.append(
                ExportTask(task.task_id, task.target_id, task.goal_id, task.instruction, shape)
            )
    placed = {t.target_id for t in tasks}
    for target_id in dict.fromkeys(t.target_id for t in derived):
        if target_id not in placed and target_id in exportable:
            instruction = f"pick up the {object_name(manifest, target_id)}"
            tasks.append(
                ExportTask(f"{target_id}-pick-up", target_id, None, instruction, TASK_PICK_UP)
            )
    return TaskSelection(tuple(tasks), skipped)
