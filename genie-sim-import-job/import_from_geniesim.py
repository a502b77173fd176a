"""Cloud Run entrypoint of the Genie Sim import job.

Usage (environment):
    SCENE_ID=<id> BUCKET=<bucket> python -m genie_sim_import_job.import_from_geniesim
    SCENE_ID=<id> SCENE_DIR=<folder> python -m genie_sim_import_job.import_from_geniesim
Optional: GENIESIM_RESULTS (scene-relative archive, default geniesim/results.tar.gz),
MIN_SUCCESS_RATE, VIDEO_CODEC, GENIESIM_MAX_UNPACKED_GB, FORCE.
Exit codes: 0 success, 1 failure (too few good episodes), 2 bad configuration or input
(no archive, unsafe or corrupt archive).
"""

from __future__ import annotations

from genie_sim_import_job.step import STEP
from tools.job_runner import run_job_main


def main() -> None:
    """Validate the configuration, run the import, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
