"""Registration of the `episodes` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from pathlib import Path

from episode_generation_job.episode_layout import SUMMARY_PATH
from episode_generation_job.job import run_episodes
from episode_generation_job.run_fingerprint import fingerprint_for
from episode_generation_job.settings import EpisodeSettings
from tools.config import JobSettings
from tools.scene_layout import ASSETS_DIR, EPISODES_DIR, MANIFEST_PATH, REPLICATOR_DIR, USD_DIR
from tools.steps import StepContext, StepSpec, Validation


def validate_episodes(ctx: StepContext) -> Validation:
    """The dataset checks (`validation.validate_episodes`), loaded only when validating."""
    from episode_generation_job import validation

    return validation.validate_episodes(ctx)


def episodes_fingerprint(scene_dir: Path, settings: JobSettings) -> str:
    """The run fingerprint, for the runner's skip decision: a scene.usda, manifest, bundle
    config or robot asset changed in place reruns the step even when no marker changed."""
    if not isinstance(settings, EpisodeSettings):
        settings = EpisodeSettings.model_validate(settings.model_dump())
    return fingerprint_for(scene_dir, settings).digest


STEP = StepSpec(
    name="episodes",
    job="episode-generation-job",
    run=run_episodes,
    settings_cls=EpisodeSettings,
    depends_on=("replicator",),  # the runner pulls usd in through it
    # assets/ too: scene.usda references assets/<id>/<id>.usda (staged on Cloud Run).
    inputs=(MANIFEST_PATH, f"{ASSETS_DIR}/", f"{USD_DIR}/", f"{REPLICATOR_DIR}/"),
    outputs=(f"{EPISODES_DIR}/", SUMMARY_PATH),
    validate=validate_episodes,
    description="scene.usda + bundle + Panda -> randomized pick-and-place episodes (LeRobot v3.0)",
    order=50,
    output_fingerprint=episodes_fingerprint,
)
