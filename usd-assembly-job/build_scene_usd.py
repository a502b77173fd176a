"""Cloud Run entrypoint of the usd assembly job.

Usage (environment): SCENE_ID=<id> BUCKET=<bucket> python -m usd_assembly_job.build_scene_usd
                 or: SCENE_ID=<id> SCENE_DIR=<folder> python -m usd_assembly_job.build_scene_usd
Optional: RENDER_PREVIEW, PREVIEW_MAX_SIDE, MUJOCO_GL (egl | osmesa), FORCE (see README).
Exit codes: 0 success, 1 failure, 2 bad configuration or input.
"""

from __future__ import annotations

from tools.job_runner import run_job_main
from usd_assembly_job.step import STEP


def main() -> None:
    """Validate the configuration, assemble the scene USD, exit with its code."""
    run_job_main(STEP)


if __name__ == "__main__":
    main()
