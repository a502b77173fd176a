"""Registration of the `simready` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from simready_job.collision import CollisionParams
from simready_job.decomposition import DecompositionParams
from simready_job.hull_cache import default_cache_dir
from simready_job.room_colliders import PlaneParams
from simready_job.settings import SimreadySettings
from simready_job.simready import SimreadyOptions, run_simready
from simready_job.validation import validate_simready
from tools.scene_layout import ASSETS_DIR
from tools.steps import StepContext, StepResult, StepSpec


def options_from_settings(settings: SimreadySettings) -> SimreadyOptions:
    """The step options a configuration describes.

    Args:
        settings: the validated job settings.

    Returns:
        The options (cache folder defaulted to ~/.cache/blueprint-pipeline/hulls).
    """
    decomposition = DecompositionParams(
        max_hulls=settings.SIMREADY_MAX_HULLS,
        max_hull_vertices=settings.SIMREADY_MAX_HULL_VERTICES,
        concavity=settings.SIMREADY_CONCAVITY,
    )
    return SimreadyOptions(
        collision=CollisionParams(settings.SIMREADY_CONVEX_RATIO, decomposition),
        planes=PlaneParams(slab_thickness_m=settings.SIMREADY_ROOM_SLAB_M),
        cache_dir=settings.SIMREADY_CACHE_DIR or default_cache_dir(),
        min_success_rate=settings.SIMREADY_MIN_SUCCESS_RATE,
        llm=settings.SIMREADY_LLM,
        llm_model=settings.SIMREADY_LLM_MODEL,
        llm_base_url=settings.SIMREADY_LLM_BASE_URL,
        llm_timeout_s=settings.SIMREADY_LLM_TIMEOUT_S,
        workers=settings.SIMREADY_WORKERS,
        articulation=settings.SIMREADY_ARTICULATION,
    )


def run(ctx: StepContext) -> StepResult:
    """Physics and collision hulls for every object of the manifest (`assets/simready.json`)."""
    settings = ctx.settings
    assert isinstance(settings, SimreadySettings)
    report = run_simready(ctx.scene_dir, options_from_settings(settings), storage=ctx.storage)
    return report.as_dict()


STEP = StepSpec(
    name="simready",
    job="simready-job",
    run=run,
    settings_cls=SimreadySettings,
    depends_on=("regen3d",),
    inputs=(f"{ASSETS_DIR}/",),
    outputs=(f"{ASSETS_DIR}/",),
    validate=validate_simready,
    description="mass, inertia, friction and convex collision hulls for every object",
    order=20,
)
