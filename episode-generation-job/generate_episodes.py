"""Cloud Run entrypoint of the episode job.

Usage:
    SCENE_ID=kitchen SCENE_DIR=/data/scenes/kitchen NUM_EPISODES=12 \
        python -m episode_generation_job.generate_episodes [--workers N]

`--workers N` is the same as WORKERS=N (local parallel shard processes). Every variable is
documented in `episode_generation_job.settings.EpisodeSettings` and the job's README.
Exit codes: 0 ok, 1 failure (retryable: a rerun resumes), 2 bad configuration or input.
"""

from __future__ import annotations

import argparse
import os

from episode_generation_job.backends.isaacsim_app import run_in_kit, wants_isaac_sim
from episode_generation_job.step import STEP
from tools.job_runner import run_job_main


def main(argv: list[str] | None = None) -> None:
    """Read the command line and environment, then run the step (exits the process)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, help="local shard processes (env WORKERS)")
    args = parser.parse_args(argv)
    if args.workers is not None:
        os.environ["WORKERS"] = str(args.workers)
    os.environ.setdefault("MUJOCO_GL", "egl")  # headless rendering; a GPU's EGL when present
    if wants_isaac_sim(os.environ):  # Kit first; closed after the job, its exit code kept
        run_in_kit(lambda: run_job_main(STEP))
    run_job_main(STEP)


if __name__ == "__main__":
    main()
