"""asset_index.json: what the export holds, where, and each file's sha256."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genie_sim_export_job.task_config import ExportedObject
from genie_sim_export_job.tasks import ExportTask
from tools.geniesim_format import assets as fmt
from tools.provenance import sha256_file

if TYPE_CHECKING:
    from genie_sim_export_job.export import ExportSummary


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` by POSIX relative path (the index itself excluded)."""
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != fmt.ASSET_INDEX
    }


def asset_index(
    scene_id: str,
    robot_id: str,
    objects: Mapping[str, ExportedObject],
    tasks: Sequence[ExportTask],
    task_names: Sequence[str],
    summary: ExportSummary,
) -> dict[str, Any]:
    """The index document (without `files`, added once everything else is written).

    Args:
        scene_id: the scene.
        robot_id: the Genie Sim robot of the task files.
        objects: exported objects by manifest id.
        tasks: exported tasks, in the order of `task_names`.
        task_names: their Genie Sim task names.
        summary: grasp counts, skipped tasks, background objects.

    Returns:
        The JSON document.
    """
    entries = []
    for oid in sorted(objects):
        obj = objects[oid]
        dir_name = obj.data_info_dir.rstrip("/").split("/")[-1]
        grasps = summary.grasps.get(obj.gs_object_id, 0)
        entries.append(
            {
                "object_id": oid,
                "geniesim_object_id": obj.gs_object_id,
                "data_info_dir": obj.data_info_dir,
                "aligned_usd": obj.data_info_dir + fmt.ALIGNED_USD,
                "object_parameters": obj.data_info_dir + fmt.OBJECT_PARAMETERS,
                "interaction": fmt.interaction_dir(dir_name) + fmt.INTERACTION_JSON,
                "grasp_pose": (
                    fmt.interaction_dir(dir_name) + fmt.GRASP_POSE_FILE if grasps else None
                ),
                "grasps": grasps,
                "workspace_id": obj.workspace_id,
            }
        )
    return {
        "schema_version": fmt.EXPORT_SCHEMA_VERSION,
        "format": fmt.FORMAT_REFERENCE,
        "scene_id": scene_id,
        "robot_id": robot_id,
        "sim_assets_root": ".",
        "objects": entries,
        "background": {
            "scene_usd": fmt.background_usd(scene_id),
            "kept_objects": list(summary.background_objects),
        },
        "tasks": [
            {
                "task_id": task.task_id,
                "task_name": name,
                "file": fmt.task_file(name),
                "target": task.target_id,
                "goal": task.goal_id,
                "shape": task.shape,
                "instruction": task.instruction,
            }
            for task, name in zip(tasks, task_names, strict=True)
        ],
        "skipped_tasks": dict(sorted(summary.skipped_tasks.items())),
        "scene_graph": fmt.SCENE_GRAPH,
    }
