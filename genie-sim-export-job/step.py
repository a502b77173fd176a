"""Registration of the `geniesim-export` step: the job function for Cloud Run and the runner."""

from __future__ import annotations

from genie_sim_export_job.export import ExportOptions, export_scene
from genie_sim_export_job.settings import GenieSimExportSettings
from genie_sim_export_job.validation import validate_export
from tools.errors import ConfigError
from tools.geniesim_format import UnsupportedRobotError
from tools.scene_layout import ASSETS_DIR, GENIESIM_EXPORT_DIR, SCENE_TASKS_PATH, USD_DIR
from tools.steps import StepContext, StepResult, StepSpec


def run(ctx: StepContext) -> StepResult:
    """Write Genie Sim's task JSONs and asset tree to `geniesim/export/`."""
    settings = ctx.settings
    assert isinstance(settings, GenieSimExportSettings)
    options = ExportOptions(
        robot_id=settings.GENIESIM_ROBOT,
        episodes_per_task=settings.GENIESIM_EPISODES_PER_TASK,
        max_tasks=settings.MAX_TASKS,
    )
    try:
        return export_scene(ctx.scene_dir, options).as_dict()
    except UnsupportedRobotError as exc:
        raise ConfigError("GENIESIM_ROBOT", str(exc)) from None


STEP = StepSpec(
    name="geniesim-export",
    job="genie-sim-export-job",
    run=run,
    settings_cls=GenieSimExportSettings,
    # what it reads: assets/ (simready physics), usd/scene.usda and the replicator's tasks
    depends_on=("replicator",),
    inputs=(f"{ASSETS_DIR}/", f"{USD_DIR}/", SCENE_TASKS_PATH),
    outputs=(f"{GENIESIM_EXPORT_DIR}/",),
    validate=validate_export,
    description="scene manifest + USD -> Genie Sim task configs and asset tree",
    order=60,
)
