"""Registration of the `replicator` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from replicator_job.bundle import StepOptions, build_bundle
from replicator_job.placement_regions import RegionParams
from replicator_job.policy_configs import BundleOptions
from replicator_job.settings import ReplicatorSettings
from replicator_job.validation import validate_bundle
from tools.llm_client import create_llm_client
from tools.robots import robot_description
from tools.scene_layout import ASSETS_DIR, REPLICATOR_DIR, USD_DIR
from tools.steps import StepContext, StepResult, StepSpec


def options_from_settings(settings: ReplicatorSettings) -> StepOptions:
    """The step options a configuration describes.

    Args:
        settings: the validated job settings.

    Returns:
        The options.
    """
    bundle = BundleOptions(
        seed=settings.SEED,
        max_distractors=settings.REPLICATOR_MAX_DISTRACTORS,
        per_frame=settings.per_frame,
        camera_jitter_m=settings.REPLICATOR_CAMERA_JITTER_M,
        camera_jitter_deg=settings.REPLICATOR_CAMERA_JITTER_DEG,
    )
    regions = RegionParams.for_robot(
        robot_description(settings.ROBOT),
        min_area_m2=settings.REPLICATOR_MIN_REGION_AREA_M2,
        min_clearance_m=settings.REPLICATOR_MIN_CLEARANCE_M,
    )
    return StepOptions(bundle, regions, settings.REPLICATOR_SAMPLE_EPISODES)


def run(ctx: StepContext) -> StepResult:
    """Write `replicator/`: placement regions, per-policy configs and samples, script, metadata."""
    settings = ctx.settings
    assert isinstance(settings, ReplicatorSettings)
    llm = create_llm_client(
        settings.REPLICATOR_LLM,
        model=settings.REPLICATOR_LLM_MODEL,
        timeout_s=settings.REPLICATOR_LLM_TIMEOUT_S,
    )
    return build_bundle(ctx.scene_dir, options_from_settings(settings), llm).as_dict()


STEP = StepSpec(
    name="replicator",
    job="replicator-job",
    run=run,
    settings_cls=ReplicatorSettings,
    depends_on=("usd",),
    inputs=(f"{ASSETS_DIR}/", f"{USD_DIR}/"),
    outputs=(f"{REPLICATOR_DIR}/",),
    validate=validate_bundle,
    description="scene.usda -> placement regions, randomizer configs, Replicator scripts",
    order=40,
)
