"""Registration of the `geniesim-import` step: the job function for Cloud Run and the runner."""

from __future__ import annotations

from genie_sim_import_job.importer import LEROBOT_SUBDIR, STEP_NAME, ImportOptions, import_results
from genie_sim_import_job.settings import GenieSimImportSettings
from tools.config import JobSettings
from tools.geniesim_format.results import DEFAULT_RESULTS_PATH
from tools.lerobot import validate_dataset
from tools.scene_layout import GENIESIM_IMPORT_DIR, SCENE_USD_PATH
from tools.steps import Check, StepContext, StepResult, StepSpec, Validation, checks_report

_GIB = 2**30


def run(ctx: StepContext) -> StepResult:
    """Import the Genie Sim results archive into `geniesim/import/` (LeRobot v3.0)."""
    settings = ctx.settings
    assert isinstance(settings, GenieSimImportSettings)
    options = ImportOptions(
        results_path=settings.GENIESIM_RESULTS,
        min_success_rate=settings.MIN_SUCCESS_RATE,
        codec=settings.VIDEO_CODEC,
        max_unpacked_bytes=int(settings.GENIESIM_MAX_UNPACKED_GB * _GIB),
    )
    return import_results(ctx.scene_dir, ctx.storage, options)


def validate_import(ctx: StepContext) -> Validation:
    """The imported dataset passes `tools.lerobot.validate_dataset`."""
    root = ctx.scene_dir / GENIESIM_IMPORT_DIR / LEROBOT_SUBDIR
    problems = validate_dataset(root) if root.is_dir() else [f"{root.name}: missing"]
    detail = f"{len(problems)} problem(s)" if problems else "LeRobot v3.0 dataset valid"
    check = Check("geniesim_import_dataset", not problems, detail, problems=tuple(problems[:50]))
    return checks_report([check])


def results_archive(settings: JobSettings) -> str:
    """The results archive the step waits for: Genie Sim writes it, not the pipeline."""
    assert isinstance(settings, GenieSimImportSettings)
    return settings.GENIESIM_RESULTS


STEP = StepSpec(
    name=STEP_NAME,
    job="genie-sim-import-job",
    run=run,
    settings_cls=GenieSimImportSettings,
    # scene.usda too (when present): the dataset's provenance records its sha256.
    inputs=(DEFAULT_RESULTS_PATH, SCENE_USD_PATH),
    outputs=(f"{GENIESIM_IMPORT_DIR}/",),
    validate=validate_import,
    description="Genie Sim results archive -> LeRobot v3.0 dataset (geniesim/import/lerobot)",
    order=70,
    awaits=results_archive,
)
