"""Cloud Run entrypoint of the replicator job.

Usage (environment):
    SCENE_ID=<id> BUCKET=<bucket> python -m replicator_job.generate_replicator_bundle
    SCENE_ID=<id> SCENE_DIR=<folder> python -m replicator_job.generate_replicator_bundle
Optional: SEED, REPLICATOR_* (see README), FORCE.
Exit codes: 0 success, 1 failure, 2 bad configuration or input.
"""

from __future__ import annotations

from replicator_job.step import STEP
from tools.job_runner import run_job_main


def main() -> None:
    """Validate the configuration, write the replicator bundle, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
