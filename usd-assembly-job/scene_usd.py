"""Assembly of `usd/scene.usda`: objects referencing their assets, physics, camera, robot, light."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pxr import Gf, Usd, UsdGeom, UsdLux, UsdSemantics

from tools.errors import ManifestError
from tools.provenance import tool_versions
from tools.scene_layout import MANIFEST_PATH, SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, SceneObject, SimRole
from tools.sim import usd_layout as layout
from tools.sim.rolling_friction import author_rolling_friction
from usd_assembly_job import physics_usd
from usd_assembly_job.articulation_usd import define_articulation
from usd_assembly_job.camera_usd import define_camera
from usd_assembly_job.room_floor import ensure_floor_collider
from usd_assembly_job.usd_files import new_stage, set_pose

GENERATOR = "usd-assembly-job"
SUN_INTENSITY = 3000.0
SUN_ANGLE_DEG = 0.53
SKY_INTENSITY = 400.0
# The sun comes from above and behind the default view: pitched 40 degrees off the vertical.
SUN_ROTATION_XYZ_DEG = (40.0, 0.0, 30.0)


@dataclass(frozen=True)
class SceneSummary:
    """What the scene stage contains."""

    usd_path: str
    objects: int
    rigid_bodies: int
    colliders: int
    prim_names: dict[str, str]


def check_ready(manifest: SceneManifest) -> None:
    """Check that simready filled what the USD needs; collects every problem.

    Args:
        manifest: the scene manifest.

    Raises:
        ManifestError: dynamic objects without physics, or colliding objects without hulls.
    """
    problems: list[str] = []
    for obj in manifest.objects:
        if physics_usd.is_dynamic(obj) and obj.physics is None:
            problems.append(f"objects.{obj.id}.physics: required for a {obj.sim_role} object")
        if obj.sim_role != SimRole.BACKGROUND and not obj.asset.collision_paths:
            problems.append(f"objects.{obj.id}.asset.collision_paths: no collision hulls")
    if problems:
        raise ManifestError(MANIFEST_PATH, problems)


def _asset_reference(object_id: str) -> str:
    scene_folder = posixpath.dirname(SCENE_USD_PATH)
    return posixpath.relpath(layout.asset_usd_path(object_id), scene_folder)


def _define_object(stage: Usd.Stage, obj: SceneObject, name: str) -> tuple[int, int]:
    """Author one object; returns (number of rigid bodies, number of colliders)."""
    path = f"{layout.OBJECTS_PATH}/{name}"
    xform = UsdGeom.Xform.Define(stage, path)
    set_pose(xform, obj.transform.position, obj.transform.rotation_wxyz)
    prim = xform.GetPrim()
    prim.SetCustomDataByKey(layout.OBJECT_ID_KEY, obj.id)
    prim.SetCustomDataByKey(layout.SIM_ROLE_KEY, str(obj.sim_role))
    labels = UsdSemantics.LabelsAPI.Apply(prim, layout.SEMANTIC_CLASS_TAXONOMY)
    labels.CreateLabelsAttr([obj.category])
    asset = UsdGeom.Xform.Define(stage, f"{path}/{layout.ASSET_CHILD}")
    asset.AddScaleOp().Set(Gf.Vec3f(*obj.transform.scale))
    asset.GetPrim().GetReferences().AddReference(_asset_reference(obj.id))
    dynamic = physics_usd.is_dynamic(obj)
    if dynamic:
        physics_usd.apply_rigid_body(prim, obj)
    links = 0
    if obj.articulation is not None:
        links = define_articulation(stage, path, obj)
    material = physics_usd.define_physics_material(
        stage, f"{layout.PHYSICS_MATERIALS_PATH}/{name}", obj.physics
    )
    if dynamic:
        author_rolling_friction(material.GetPrim())
    colliders = physics_usd.collider_prims(prim)
    for collider in colliders:
        physics_usd.bind_physics_material(collider, material)
    return dynamic + links, len(colliders)


def _define_robot_base(stage: Usd.Stage, manifest: SceneManifest) -> None:
    base = UsdGeom.Xform.Define(stage, layout.ROBOT_BASE_PATH)
    set_pose(base, manifest.robot.base_pose.position, manifest.robot.base_pose.rotation_wxyz)
    base.GetPrim().SetCustomDataByKey(layout.ROBOT_TYPE_KEY, manifest.robot.type)
    if manifest.robot.work_surface is not None:
        base.GetPrim().SetCustomDataByKey(layout.WORK_SURFACE_KEY, manifest.robot.work_surface)


def _define_lights(stage: Usd.Stage) -> None:
    UsdGeom.Scope.Define(stage, layout.LIGHTS_PATH)
    sun = UsdLux.DistantLight.Define(stage, f"{layout.LIGHTS_PATH}/Sun")
    sun.CreateIntensityAttr(SUN_INTENSITY)
    sun.CreateAngleAttr(SUN_ANGLE_DEG)
    sun.AddRotateXYZOp().Set(Gf.Vec3f(*SUN_ROTATION_XYZ_DEG))
    sky = UsdLux.DomeLight.Define(stage, f"{layout.LIGHTS_PATH}/Sky")
    sky.CreateIntensityAttr(SKY_INTENSITY)


def _provenance(manifest: SceneManifest, manifest_sha256: str) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "scene_id": manifest.scene_id,
        "manifest_path": MANIFEST_PATH,
        "manifest_sha256": manifest_sha256,
        "manifest_schema_version": manifest.schema_version,
        "tool_versions": dict(sorted(tool_versions().items())),
    }


def build_scene_stage(
    scene_dir: Path, manifest: SceneManifest, manifest_sha256: str
) -> SceneSummary:
    """Write `usd/scene.usda` for a manifest whose asset USDs already exist.

    Args:
        scene_dir: the scene folder.
        manifest: the manifest (asset.usd_path as it will be saved).
        manifest_sha256: sha256 of the manifest file that sits beside this USD.

    Returns:
        Counts and the object id -> prim name map.

    Raises:
        ManifestError: the manifest lacks physics or hulls the USD needs.
    """
    check_ready(manifest)
    names = layout.unique_prim_names([o.id for o in manifest.objects])
    bodies = colliders = 0
    with new_stage(scene_dir / SCENE_USD_PATH) as stage:
        world = UsdGeom.Xform.Define(stage, layout.WORLD_PATH)
        stage.SetDefaultPrim(world.GetPrim())
        stage.GetRootLayer().customLayerData = {
            layout.PROVENANCE_KEY: _provenance(manifest, manifest_sha256)
        }
        physics_usd.define_physics_scene(stage)
        UsdGeom.Xform.Define(stage, layout.OBJECTS_PATH)
        UsdGeom.Scope.Define(stage, layout.PHYSICS_MATERIALS_PATH)
        for obj in manifest.objects:
            dynamic, count = _define_object(stage, obj, names[obj.id])
            bodies += dynamic
            colliders += count
        colliders += ensure_floor_collider(stage, manifest)
        if manifest.camera is not None:
            define_camera(stage, manifest.camera)
        _define_robot_base(stage, manifest)
        _define_lights(stage)
    return SceneSummary(SCENE_USD_PATH, len(manifest.objects), bodies, colliders, names)


def stage_provenance(stage: Usd.Stage) -> dict[str, Any]:
    """The provenance dict recorded in a scene stage's customLayerData (empty if none).

    Args:
        stage: an opened scene stage.

    Returns:
        The recorded provenance.
    """
    data = stage.GetRootLayer().customLayerData or {}
    value = data.get(layout.PROVENANCE_KEY, {})
    return dict(value) if isinstance(value, dict) else {}
