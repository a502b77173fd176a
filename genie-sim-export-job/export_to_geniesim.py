"""Cloud Run entrypoint of the Genie Sim export job.

Usage (environment):
    SCENE_ID=<id> BUCKET=<bucket> python -m genie_sim_export_job.export_to_geniesim
    SCENE_ID=<id> SCENE_DIR=<folder> python -m genie_sim_export_job.export_to_geniesim
Optional: GENIESIM_ROBOT (G1|G2, default G2), GENIESIM_EPISODES_PER_TASK, MAX_TASKS, FORCE.
Exit codes: 0 success, 1 failure, 2 bad configuration or input.
"""

from __future__ import annotations

from genie_sim_export_job.step import STEP
from tools.job_runner import run_job_main


def main() -> None:
    """Validate the configuration, run the export, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
