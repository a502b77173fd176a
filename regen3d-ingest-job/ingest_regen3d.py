"""Cloud Run entrypoint of the regen3d ingest job.

Usage (environment): SCENE_ID=<id> BUCKET=<bucket> python -m regen3d_ingest_job.ingest_regen3d
                 or: SCENE_ID=<id> SCENE_DIR=<folder> python -m regen3d_ingest_job.ingest_regen3d
Optional: METRIC_SCALE, REFERENCE_OBJECT + REFERENCE_DIMENSION_M, SEED, FORCE.
Exit codes: 0 success, 1 failure, 2 bad configuration or input.
"""

from __future__ import annotations

from regen3d_ingest_job.step import STEP
from tools.job_runner import run_job_main


def main() -> None:
    """Validate the configuration, run the ingest, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
