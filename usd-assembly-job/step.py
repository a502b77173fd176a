"""Registration of the `usd` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from tools.scene_layout import ASSETS_DIR, USD_DIR
from tools.steps import StepContext, StepResult, StepSpec
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene
from usd_assembly_job.preview import PREVIEW_PATH
from usd_assembly_job.rest_simulation import RestLimits
from usd_assembly_job.settings import UsdAssemblySettings
from usd_assembly_job.validation import validate_usd


def run(ctx: StepContext) -> StepResult:
    """Write `usd/scene.usda`, the per-object asset USDs and the preview of the scene."""
    settings = ctx.settings
    assert isinstance(settings, UsdAssemblySettings)
    limits = RestLimits(
        max_seconds=settings.SETTLE_POSES_MAX_SECONDS,
        max_translation_m=settings.SETTLE_POSES_MAX_MOVE_M,
        max_rotation_deg=settings.SETTLE_POSES_MAX_TURN_DEG,
    )
    options = AssemblyOptions(
        render_preview=settings.RENDER_PREVIEW,
        preview_max_side=settings.PREVIEW_MAX_SIDE,
        settle=settings.SETTLE_POSES,
        settle_limits=limits,
        sim_timestep=settings.SIM_TIMESTEP,
    )
    return assemble_scene(ctx.scene_dir, options).as_dict()


STEP = StepSpec(
    name="usd",
    job="usd-assembly-job",
    run=run,
    settings_cls=UsdAssemblySettings,
    depends_on=("simready",),
    inputs=(f"{ASSETS_DIR}/",),
    # assets/ too: the per-object USDs and their textures; usd/ holds its manifest layer.
    outputs=(f"{USD_DIR}/", f"{ASSETS_DIR}/", PREVIEW_PATH),
    validate=validate_usd,
    description="scene manifest + meshes + hulls -> physics USD scene (usd/scene.usda)",
    order=30,
)
