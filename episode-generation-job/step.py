"""Registration of the `episodes` step: the job function shared by Cloud Run and the runner."""

from __future__ import annotations

from episode_generation_job.job import run_episodes
from episode_generation_job.reports import SUMMARY_PATH
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.validation import validate_episodes
from tools.scene_layout import MANIFEST_PATH, REPLICATOR_DIR, USD_DIR
from tools.steps import StepSpec

STEP = StepSpec(
    name="episodes",
    job="episode-generation-job",
    run=run_episodes,
    settings_cls=EpisodeSettings,
    depends_on=("replicator",),  # the runner pulls usd in through it
    inputs=(MANIFEST_PATH, f"{USD_DIR}/", f"{REPLICATOR_DIR}/"),
    outputs=("episodes/", SUMMARY_PATH),
    validate=validate_episodes,
    description="scene.usda + bundle + Panda -> randomized pick-and-place episodes (LeRobot v3.0)",
    order=50,
)
