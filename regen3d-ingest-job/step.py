"""Registration of the `regen3d` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from regen3d_ingest_job.settings import Regen3dIngestSettings
from regen3d_ingest_job.validation import validate_ingest
from tools.errors import ConfigError
from tools.scene_layout import ASSETS_DIR, REGEN3D_DIR
from tools.steps import StepContext, StepResult, StepSpec


def run(ctx: StepContext) -> StepResult:
    """Ingest `regen3d/` of the scene into `assets/` and `assets/scene_manifest.json`."""
    settings = ctx.settings
    assert isinstance(settings, Regen3dIngestSettings)
    try:
        options = IngestOptions(
            metric_scale=settings.METRIC_SCALE,
            reference_object=settings.REFERENCE_OBJECT,
            reference_dimension_m=settings.REFERENCE_DIMENSION_M,
            seed=settings.SEED,
        )
        summary = ingest_scene(ctx.scene_dir, options, scene_id=settings.SCENE_ID)
    except ConfigError as exc:
        # Options are named like the environment variables the operator actually set.
        raise ConfigError(exc.variable.upper(), exc.rule, hint=exc.hint) from None
    return summary.as_dict()


STEP = StepSpec(
    name="regen3d",
    job="regen3d-ingest-job",
    run=run,
    settings_cls=Regen3dIngestSettings,
    inputs=(f"{REGEN3D_DIR}/",),
    outputs=(f"{ASSETS_DIR}/",),
    validate=validate_ingest,
    description="3D-RE-GEN output -> metric Z-up assets and scene manifest",
    order=10,
)
