"""The scene's pick-and-place tasks: the shared derivation, kept to what Genie Sim runs."""

# The derivation itself lives in `tools.tasks.task_specifier` (one derivation for both
# data engines, the episode job uses it too).

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from genie_sim_export_job.scene_geometry import ObjectGeometry
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox
from tools.tasks.robot_mount import mount_pose
from tools.tasks.task_specifier import PickPlaceTask, derive_tasks, describe

FREE_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)


@dataclass(frozen=True)
class ExportTask:
    """One task to export: pick `target_id`, place it on `goal_id`."""

    task_id: str
    target_id: str
    goal_id: str
    instruction: str


@dataclass(frozen=True)
class TaskSelection:
    """The exported tasks and, by task id, why the others were left out."""

    tasks: tuple[ExportTask, ...]
    skipped: dict[str, str]


def _box(geometry: ObjectGeometry) -> ObjectBox:
    c, h = geometry.centre, geometry.half_extents
    return ObjectBox(
        geometry.object_id,
        (float(c[0]), float(c[1]), float(c[2])),
        (float(h[0]), float(h[1]), float(h[2])),
        geometry.yaw,
    )


def object_name(manifest: SceneManifest, object_id: str) -> str:
    """An object's name in instructions (the episodes job's wording: colour and label)."""
    return describe(manifest.object(object_id))


def select_tasks(
    manifest: SceneManifest,
    geometry: Mapping[str, ObjectGeometry],
    exportable: set[str],
    *,
    max_tasks: int,
) -> TaskSelection:
    """Derive the scene's tasks as the episodes job does and keep those Genie Sim can run.

    Genie Sim's `place` needs an object to place onto; a goal region of the bare work surface
    has none, so such tasks are skipped (with the reason), as are tasks whose objects are not
    exported (no support surface to lay them out on).

    Args:
        manifest: the scene contract.
        geometry: measured geometry of the scene's objects (at their authored poses).
        exportable: ids of the objects exported as Genie Sim assets.
        max_tasks: at most this many tasks are derived.

    Returns:
        The selection.
    """
    boxes = {oid: _box(g) for oid, g in geometry.items()}
    base = mount_pose(manifest, boxes)
    free = [o.id for o in manifest.objects if o.sim_role in FREE_ROLES and o.id in boxes]
    derived: list[PickPlaceTask] = derive_tasks(
        manifest, boxes, base, free_objects=free, max_tasks=max_tasks
    )
    tasks: list[ExportTask] = []
    skipped: dict[str, str] = {}
    for task in derived:
        if task.region is not None:
            skipped[task.task_id] = "goal is a region of the work surface, not an object"
        elif task.target_id not in exportable or task.goal_id not in exportable:
            skipped[task.task_id] = "target or goal has no support surface to lay it out on"
        else:
            tasks.append(ExportTask(task.task_id, task.target_id, task.goal_id, task.instruction))
    return TaskSelection(tuple(tasks), skipped)
