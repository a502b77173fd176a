"""Cloud Run entrypoint of the simready job.

Usage (environment): SCENE_ID=<id> BUCKET=<bucket> python -m simready_job.prepare_simready_assets
                 or: SCENE_ID=<id> SCENE_DIR=<folder> python -m simready_job.prepare_simready_assets
Optional: SIMREADY_* (see simready-job/README.md), SEED, FORCE, GEMINI_API_KEY / OPENAI_API_KEY
(or Secret Manager through GOOGLE_CLOUD_PROJECT) for the optional LLM estimate.
Exit codes: 0 success, 1 failure, 2 bad configuration or input.
"""

from __future__ import annotations

from simready_job.step import STEP
from tools.job_runner import run_job_main


def main() -> None:
    """Validate the configuration, run the step, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
