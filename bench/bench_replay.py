"""Replay certificate figures: generate episodes on mock scenes, replay every kept one, and print
per episode the largest `observation.state`, object pose and final qpos errors.

Usage:
    python bench/bench_replay.py [--scenes kitchen:3,office:2,kitchen:7] [--episodes N]
                                 [--cameras] [--out DIR]

Each scene is a fresh mock scene (`fixtures/generate_mock_regen3d.py`, fast profile) taken
through ingest, simready, usd and replicator, then the episodes step (bundle randomization,
no cameras unless --cameras) in this process, and the replay
(`python -m episode_generation_job.replay`) in this process too, after the step's own backend
is gone. Prints one JSON line per scene at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from episode_generation_job.replay import replay_episodes
from episode_generation_job.replay_sim import TOLERANCE
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from fixtures.generate_mock_regen3d import generate_mock_scene
from tools.config import load_settings
from tools.errors import InputError
from tools.job_runner import execute_step
from tools.run_local_pipeline import run_pipeline
from tools.scene_layout import LEROBOT_DIR


def _scene(out: Path, environment: str, seed: int) -> Path:
    scene_dir = generate_mock_scene(
        f"{environment}-{seed}", out, environment=environment, seed=seed
    )
    if not run_pipeline(scene_dir, steps=["replicator"])["ok"]:
        raise SystemExit(f"{environment} seed {seed}: the pipeline up to replicator failed")
    return scene_dir


def _episodes(scene_dir: Path, episodes: int, cameras: bool) -> dict[str, object]:
    env = {
        "SCENE_ID": scene_dir.name,
        "SCENE_DIR": str(scene_dir),
        "NUM_EPISODES": str(episodes),
        "CAMERAS": "scene,wrist" if cameras else "",
        "PREVIEW_EPISODES": "0",
        "MIN_SUCCESS_RATE": "0",
        "FORCE": "true",
    }
    result: dict[str, object] = execute_step(STEP, load_settings(EpisodeSettings, env)).result
    return result


def main() -> int:
    """Run the bench; exit 1 when an episode diverged beyond the tolerance."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default="kitchen:3,office:2,kitchen:7")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--cameras", action="store_true", help="record 128x128 videos too")
    parser.add_argument("--out", type=Path, help="scene folder parent (default: a temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "egl")
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-replay-"))
    lines = []
    worst = 0.0
    for item in args.scenes.split(","):
        environment, seed = item.split(":")
        scene_dir = _scene(out, environment, int(seed))
        try:
            kept = _episodes(scene_dir, args.episodes, args.cameras)["episodes_succeeded"]
        except InputError as exc:  # e.g. no feasible task in this scene: nothing to replay
            print(f"{scene_dir.name}: no episodes ({exc})")
            continue
        start = time.perf_counter()
        results = replay_episodes(scene_dir / LEROBOT_DIR)
        seconds = time.perf_counter() - start
        for r in results:
            print(
                f"{scene_dir.name} episode {r.episode_index}: {r.frames} frames, state "
                f"{r.state_error:.3g}, poses {r.pose_error:.3g}, final qpos "
                f"{r.final_qpos_error:.3g}"
            )
        scene_worst = max((r.worst for r in results), default=0.0)
        worst = max(worst, scene_worst)
        lines.append(
            {
                "scene": scene_dir.name,
                "kept": kept,
                "replayed": len(results),
                "max_state_error": max((r.state_error for r in results), default=None),
                "max_pose_error": max(
                    (max(r.pose_error, r.final_qpos_error) for r in results), default=None
                ),
                "replay_seconds": round(seconds, 2),
            }
        )
    for line in lines:
        print(json.dumps(line))
    print(f"largest error over all scenes: {worst:.3g} (tolerance {TOLERANCE:g})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main())
