"""The export: scene manifest + USD -> Genie Sim's task JSONs and `$SIM_ASSETS` tree."""

# Writes into a staging folder beside `geniesim/export/` and swaps it in at the end, so a failed
# run leaves the previous export untouched and a rerun never mixes old and new files.


from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from genie_sim_export_job.aligned_usd import AlignedPhysics, write_aligned_usd
from genie_sim_export_job.articulated import add_articulation
from genie_sim_export_job.asset_index import asset_index, file_hashes
from genie_sim_export_job.background import write_background
from genie_sim_export_job.grasps import GRASP_CLEARANCE, object_grasps
from genie_sim_export_job.object_files import (
    interaction,
    object_parameters,
    support_point,
    write_grasp_pickle,
    write_json,
)
from genie_sim_export_job.scene_geometry import ObjectGeometry, scene_geometry
from genie_sim_export_job.scene_graph import scene_graph
from genie_sim_export_job.task_config import ExportedObject, task_config
from genie_sim_export_job.tasks import FREE_ROLES, ExportTask, object_name, select_tasks
from genie_sim_export_job.workspaces import workspaces_for
from tools.errors import InputError
from tools.geniesim_format import GenieSimRobot, genie_sim_robot
from tools.geniesim_format import assets as fmt
from tools.grasps.gripper_model import generic_gripper
from tools.scene_layout import GENIESIM_EXPORT_DIR, MANIFEST_PATH, SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, SceneObject, SimRole, load_manifest
from tools.sim import usd_layout
from tools.tasks.sampled_grasps import gripper_sampled_grasps
from tools.tasks.scene_tasks import SceneTasks, load_scene_tasks
from tools.tasks.supports import holds

STATIC_MASS_KG = 1000.0  # what Genie Sim's own tasks give objects that must not move


@dataclass(frozen=True)
class ExportOptions:
    """How to export (from the job settings)."""

    robot_id: str = "G2"
    episodes_per_task: int = 10
    max_tasks: int = 8


@dataclass
class ExportSummary:
    """What the export wrote (the step result)."""

    export_dir: str
    robot: str
    tasks: list[str] = field(default_factory=list)
    skipped_tasks: dict[str, str] = field(default_factory=dict)
    objects: int = 0
    grasps: dict[str, int] = field(default_factory=dict)
    background_objects: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _write_object(
    scene_dir: Path,
    out: Path,
    scene_id: str,
    obj: SceneObject,
    geo: ObjectGeometry,
    options: ExportOptions,
    rimmed: bool = False,
) -> tuple[int, trimesh.Trimesh]:
    """Aligned.usd, object_parameters.json, interaction.json and grasps of one object
    (`rimmed`: the tasks contract carries it by its rim)."""
    robot = genie_sim_robot(options.robot_id)
    dir_name = fmt.object_dir_name(scene_id, obj.id)
    offset = geo.local_centre
    aligned = trimesh.Trimesh(geo.mesh.vertices - offset, geo.mesh.faces, process=False)
    dynamic = obj.sim_role in FREE_ROLES
    mass = obj.physics.mass_kg if obj.physics is not None and dynamic else STATIC_MASS_KG
    usd_path = obj.asset.usd_path or usd_layout.asset_usd_path(obj.id)
    write_aligned_usd(
        scene_dir / usd_path,
        out / fmt.object_dir(dir_name) / fmt.ALIGNED_USD,
        scale=np.asarray(obj.transform.scale, dtype=np.float64),
        offset=offset,
        body=AlignedPhysics(mass, dynamic, obj.physics),
        object_id=obj.id,
    )
    grasps = (
        object_grasps(scene_dir, obj, aligned, offset, robot, rimmed=rimmed) if dynamic else None
    )
    has_grasps = grasps is not None and len(grasps) > 0
    if grasps is not None and has_grasps:
        write_grasp_pickle(out / fmt.interaction_dir(dir_name) / fmt.GRASP_POSE_FILE, grasps)
    size = aligned.bounds[1] - aligned.bounds[0]
    parameters = object_parameters(obj, fmt.prim_safe(obj.id), size, mass, dynamic)
    elements = interaction(aligned, has_grasps)
    add_articulation(obj, offset, parameters, elements)
    write_json(out / fmt.object_dir(dir_name) / fmt.OBJECT_PARAMETERS, parameters)
    write_json(out / fmt.interaction_dir(dir_name) / fmt.INTERACTION_JSON, elements)
    return (len(grasps) if grasps is not None else 0), aligned


def _exportable(
    manifest: SceneManifest, scene_tasks: SceneTasks, robot: GenieSimRobot
) -> tuple[dict[str, str], set[str]]:
    """Supports by object id (the contract's), and the objects Genie Sim lays out: those on a
    support whose top is at a height the robot works at (the others stay in the background)."""
    low, high = robot.surface_height_m
    boxes = scene_tasks.object_boxes()
    supports = {  # Genie Sim lays objects out on a support's top, not on boards inside it
        oid: s
        for oid, s in scene_tasks.supports.items()
        if s is not None and low <= boxes[s].top <= high and holds(boxes[s], boxes[oid])
    }
    placeable = {o.id for o in manifest.objects if o.sim_role in FREE_ROLES and o.id in supports}
    statics = {o.id for o in manifest.objects if o.sim_role is SimRole.STATIC and o.id in supports}
    return supports, placeable | statics


def _write_export(scene_dir: Path, out: Path, options: ExportOptions) -> ExportSummary:
    manifest = load_manifest(scene_dir)
    robot = genie_sim_robot(options.robot_id)
    geometry = scene_geometry(scene_dir, manifest)
    scene_tasks = load_scene_tasks(scene_dir, manifest)
    supports, candidates = _exportable(manifest, scene_tasks, robot)
    # Objects too wide for the box pinch, held by the sampler's grasps (its grasp_pose.pkl).
    gripper = generic_gripper(robot.robot_id, robot.gripper_max_width_m, GRASP_CLEARANCE)
    sampled = gripper_sampled_grasps(
        scene_dir, manifest, gripper, scene_tasks.object_boxes(), scene_tasks.rim_objects
    )
    selection = select_tasks(
        manifest, scene_tasks, candidates, robot, max_tasks=options.max_tasks, sampled=sampled
    )
    free = {o.id for o in manifest.objects if o.sim_role in FREE_ROLES}
    goals = {t.goal_id for t in selection.tasks if t.goal_id is not None}
    exported = sorted((candidates & free) | goals)
    base = manifest.robot.base_pose.position
    robot_xy = (float(base[0]), float(base[1]))
    workspaces = workspaces_for(geometry, {supports[o] for o in exported}, robot_xy, robot)
    summary = ExportSummary(GENIESIM_EXPORT_DIR, robot.robot_id, objects=len(exported))
    summary.skipped_tasks = dict(selection.skipped)
    objects: dict[str, ExportedObject] = {}
    for oid in exported:
        obj = manifest.object(oid)
        count, aligned = _write_object(
            scene_dir, out, manifest.scene_id, obj, geometry[oid], options,
            oid in scene_tasks.rim_objects,
        )  # fmt: skip
        summary.grasps[fmt.prim_safe(oid)] = count
        support = support_point(aligned)
        half = (aligned.bounds[1] - aligned.bounds[0]) / 2
        objects[oid] = ExportedObject(
            oid,
            fmt.prim_safe(oid),
            fmt.object_dir(fmt.object_dir_name(manifest.scene_id, oid)),
            workspaces[supports[oid]].workspace_id,
            obj.physics.mass_kg if obj.physics is not None else STATIC_MASS_KG,
            object_name(manifest, oid),
            (float(half[0]), float(half[1]), float(half[2])),
            float(support[2]),
            articulated=obj.articulation is not None,
        )
    tasks: list[ExportTask] = []
    for task in selection.tasks:
        if summary.grasps.get(fmt.prim_safe(task.target_id), 0) == 0:
            summary.skipped_tasks[task.task_id] = "no grasp of the target fits the gripper"
        else:
            tasks.append(task)
    if not tasks:
        raise InputError(
            MANIFEST_PATH,
            "no task Genie Sim can run: it needs a graspable object and an object to place it on",
            hint=f"derived tasks were skipped: {summary.skipped_tasks or 'none derived'}",
        )
    names = []
    for task in tasks:
        config = task_config(
            manifest.scene_id, task, objects, workspaces, geometry, robot, robot_xy,
            options.episodes_per_task,
        )  # fmt: skip
        write_json(out / fmt.task_file(config["task"]), config)
        names.append(config["task"])
    summary.tasks = names
    background = write_background(
        scene_dir / SCENE_USD_PATH, out / fmt.background_usd(manifest.scene_id), set(exported)
    )
    summary.background_objects = list(background.kept_objects)
    gs_ids = {oid: o.gs_object_id for oid, o in objects.items()}
    graph = scene_graph(manifest, geometry, scene_tasks.supports, gs_ids)
    write_json(out / fmt.SCENE_GRAPH, graph)
    index = asset_index(manifest.scene_id, robot.robot_id, objects, tasks, names, summary)
    index["files"] = file_hashes(out)
    write_json(out / fmt.ASSET_INDEX, index)
    return summary


def export_scene(scene_dir: Path, options: ExportOptions) -> ExportSummary:
    """Export a scene for Genie Sim into `<scene_dir>/geniesim/export/`.

    Args:
        scene_dir: the scene folder (manifest, per-object USDs and usd/scene.usda present).
        options: robot, episodes per task, task count, grasp sampling.

    Returns:
        What was written.

    Raises:
        UnsupportedRobotError: the robot is not one Genie Sim's collector supports.
        InputError: the scene lacks inputs, or offers no task Genie Sim can run.
    """
    genie_sim_robot(options.robot_id)
    final = scene_dir / GENIESIM_EXPORT_DIR
    staging = final.parent / ".export-staging"
    previous = final.parent / ".export-previous"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        summary = _write_export(scene_dir, staging, options)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    shutil.rmtree(previous, ignore_errors=True)
    return summary
