"""Validation of the `usd` step: UsdValidation, UsdPhysics parse, MuJoCo load, settle, preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pxr import UsdPhysics

from tools.errors import InputError
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest, manifest_sha256
from tools.sim import LoadedScene, LoaderOptions, load_scene_model
from tools.steps import Check, StepContext, Validation
from usd_assembly_job.articulation_checks import check_joints_hold
from usd_assembly_job.isolated_parse import check_physics_parse_isolated
from usd_assembly_job.preview import PREVIEW_PATH
from usd_assembly_job.room_floor import check_floor_collider
from usd_assembly_job.scene_usd import stage_provenance
from usd_assembly_job.settings import UsdAssemblySettings
from usd_assembly_job.settle import SettleLimits, run_settle
from usd_assembly_job.usd_checks import run_usd_validation
from usd_assembly_job.usd_files import open_stage

_RELATIVE_TOLERANCE = 1e-5


def _settings(ctx: StepContext) -> UsdAssemblySettings:
    if isinstance(ctx.settings, UsdAssemblySettings):
        return ctx.settings
    return UsdAssemblySettings.model_validate(ctx.settings.model_dump())


def check_mujoco_model(scene: LoadedScene, stage: Any) -> Check:
    """Compare the MjModel's free bodies with the USD's rigid bodies and mass properties.

    Args:
        scene: the model loaded from the stage.
        stage: the scene stage.

    Returns:
        ok when every rigid body is a MuJoCo body with the USD's mass, diagonal inertia,
        principal axes and centre of mass.
    """
    problems: list[str] = []
    free = [h for h in scene.objects.values() if h.dynamic]
    model = scene.model
    worst = 0.0
    for handle in free:
        mass_api = UsdPhysics.MassAPI(stage.GetPrimAtPath(handle.prim_path))
        axes = mass_api.GetPrincipalAxesAttr().Get()
        usd = np.array([mass_api.GetMassAttr().Get(), *mass_api.GetDiagonalInertiaAttr().Get()])
        mjc = np.array([model.body_mass[handle.body_id], *model.body_inertia[handle.body_id]])
        error = float(np.max(np.abs(mjc - usd) / np.maximum(np.abs(usd), 1e-12)))
        com = np.array(mass_api.GetCenterOfMassAttr().Get(), dtype=float)
        com_error = float(np.max(np.abs(model.body_ipos[handle.body_id] - com)))
        quat = np.array([axes.GetReal(), *axes.GetImaginary()], dtype=float)
        axes_error = 1.0 - abs(float(np.dot(quat, model.body_iquat[handle.body_id])))
        worst = max(worst, error)
        if error > _RELATIVE_TOLERANCE or com_error > 1e-6 or axes_error > 1e-6:
            problems.append(f"{handle.object_id}: MuJoCo mass properties differ from the USD")
    bodies = scene.model.nbody - 1
    links = len({j.body_id for j in scene.joints.values()})
    articulated = {h.object_id for h in scene.objects.values() if not h.dynamic} & {
        j.object_id for j in scene.joints.values()
    }
    expected = len(free) + links + len(articulated)  # each articulation adds its body part
    if bodies != expected:
        problems.append(f"{bodies} MuJoCo bodies for {expected} USD rigid bodies")
    figures = {
        "bodies": bodies,
        "geoms": scene.model.ngeom,
        "meshes": scene.model.nmesh,
        "max_mass_inertia_relative_error": worst,
        "ground_plane_added": scene.ground_plane_added,
        "completed_by_loader": list(scene.completed),
    }
    detail = f"{bodies} bodies, {scene.model.ngeom} geoms"
    return Check("mujoco_load", not problems, detail, figures, tuple(problems))


def check_preview(path: Path) -> Check:
    """The preview exists, decodes, and is not a single flat colour.

    Args:
        path: the PNG.

    Returns:
        The check.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return Check("preview", False, f"{PREVIEW_PATH} missing or empty")
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    spread = float(pixels.reshape(-1, 3).std(axis=0).max())
    figures = {"width": pixels.shape[1], "height": pixels.shape[0], "std": spread}
    return Check("preview", spread > 2.0, f"std {spread:.1f}", figures)


def validate_usd(ctx: StepContext) -> Validation:
    """Validate `usd/scene.usda` against UsdValidation, the manifest and a settle test.

    Args:
        ctx: the step context (settings give the settle limits and whether a preview is due).

    Returns:
        {"ok": bool, "checks": [...]} with each check's figures and problems.
    """
    settings = _settings(ctx)
    checks: list[Check] = []
    try:
        manifest = load_manifest(ctx.scene_dir, through="usd")
        stage = open_stage(ctx.scene_dir / SCENE_USD_PATH)
    except (InputError, FileNotFoundError) as exc:
        failed = Check("scene_usd", False, f"cannot open the scene: {exc}")
        return {"ok": False, "checks": [failed.as_dict()]}
    stages = {"scene": stage}
    for obj in manifest.objects:
        if obj.asset.usd_path and (ctx.scene_dir / obj.asset.usd_path).is_file():
            stages[obj.asset.usd_path] = open_stage(ctx.scene_dir / obj.asset.usd_path)
    checks.append(run_usd_validation(stages))
    recorded = stage_provenance(stage).get("manifest_sha256")
    current = manifest_sha256(ctx.scene_dir)
    checks.append(Check("provenance", recorded == current, "stage records the manifest's sha256"))
    checks.append(check_physics_parse_isolated(ctx.scene_dir))
    checks.append(check_floor_collider(stage))
    try:
        scene = load_scene_model(
            ctx.scene_dir / SCENE_USD_PATH, LoaderOptions(timestep=settings.SIM_TIMESTEP)
        )
    except InputError as exc:
        checks.append(Check("mujoco_load", False, str(exc)))
    else:
        checks.append(check_mujoco_model(scene, stage))
        limits = SettleLimits(
            duration_s=settings.SETTLE_SECONDS,
            max_translation_m=settings.SETTLE_MAX_TRANSLATION_M,
            max_rotation_deg=settings.SETTLE_MAX_ROTATION_DEG,
            max_penetration_m=settings.SETTLE_MAX_PENETRATION_M,
        )
        report = run_settle(scene, limits)
        checks.append(
            Check(
                "settle",
                report.ok,
                f"{limits.duration_s:g} s, deepest contact {report.max_penetration_m * 1e3:.2f} mm",
                report.as_dict(),
                report.problems,
            )
        )
        if scene.joints:
            checks.append(check_joints_hold(scene, settings.SETTLE_SECONDS))
    if settings.RENDER_PREVIEW:
        checks.append(check_preview(ctx.scene_dir / PREVIEW_PATH))
    return {"ok": all(c.ok for c in checks), "checks": [c.as_dict() for c in checks]}
