"""Episode throughput: episodes/hour without and with cameras, overhead over raw MuJoCo stepping,
and the speed-up of two shard workers over one.

Usage:
    python bench/bench_episodes.py [--scene-dir DIR] [--episodes N] [--worker-episodes N]
                                   [--repeats N]

Without --scene-dir it writes the synthetic USD tabletop (episode_generation_job.testing).
The workers speed-up is the median of alternated 1-worker/2-worker pairs; next to each pair,
the machine's own ceiling: the same CPU-bound MuJoCo loop in one process, then in two at once
(a host that shares its cores shows up there, not as a job overhead).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mujoco
import numpy as np

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.randomization import episode_seed, sample_init
from episode_generation_job.testing import write_tabletop_usd
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim.robots.franka.constants import ARM_ACTUATORS, GRIPPER_ACTUATOR, PREFIX


def _session(scene_dir: Path, cameras: CameraConfig | None) -> EpisodeSession:
    manifest = load_manifest(scene_dir)
    backend = open_backend("mujoco", scene_dir / SCENE_USD_PATH, manifest, cameras)
    return EpisodeSession(backend, manifest)


def per_episode(scene_dir: Path, episodes: int, cameras: CameraConfig | None) -> dict[str, float]:
    """Seconds per attempt (CPU and wall) and physics steps per attempt in one process."""
    session = _session(scene_dir, cameras)
    session.attempt(0, 0, 0, render=cameras is not None)  # warm-up: renderer, caches
    steps, wall, cpu, ok, raw = 0, 0.0, 0.0, 0, 0.0
    for slot in range(episodes):
        w, c = time.perf_counter(), time.process_time()
        record = session.attempt(slot, 0, 0, render=cameras is not None)
        wall += time.perf_counter() - w
        cpu += time.process_time() - c
        steps += record.physics_steps
        ok += record.verdict.success
        rng = np.random.default_rng(episode_seed(0, slot, 0))
        session.backend.reset(
            sample_init(rng, session.rest_poses, session.rest_boxes, session.supports)
        )
        raw += raw_stepping(session, record.action, record.physics_steps)
    session.close()
    return {
        "wall_s": wall / episodes,
        "cpu_s": cpu / episodes,
        "steps": steps / episodes,
        "raw_cpu_s": raw / episodes,
        "successes": ok,
    }


def raw_stepping(session: EpisodeSession, actions: np.ndarray, steps: int) -> float:
    """CPU seconds of the same number of bare mj_step calls in the same model, replaying the
    episode's actions (so contacts and the grasp cost what they cost in the episode)."""
    backend = session.backend
    model, data = backend.model, backend.data
    arm = [model.actuator(f"{PREFIX}{name}").id for name in ARM_ACTUATORS]
    gripper = model.actuator(f"{PREFIX}{GRIPPER_ACTUATOR}").id
    per_frame = max(1, steps // max(1, len(actions)))
    started = time.process_time()
    done = 0
    for action in actions:
        data.ctrl[arm] = action[:7]
        data.ctrl[gripper] = action[7] / 2
        for _ in range(per_frame):
            mujoco.mj_step(model, data)
        done += per_frame
    for _ in range(steps - done):
        mujoco.mj_step(model, data)
    return time.process_time() - started


def _job_run(scene_dir: Path, episodes: int, cameras: str, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of the whole job (start-up, shards, merge) with `workers`."""
    for folder in ("episodes", ".checkpoints", ".markers"):
        shutil.rmtree(scene_dir / folder, ignore_errors=True)
    env = dict(os.environ)
    env |= {"SCENE_ID": "bench", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": str(episodes)}
    env |= {"CAMERAS": cameras, "PREVIEW_EPISODES": "0", "FORCE": "true"}
    # The synthetic tabletop has no replicator bundle; a pipeline scene has one.
    bundled = (scene_dir / "replicator/configs").is_dir()
    env["RANDOMIZATION"] = "bundle" if bundled else "none"
    started = time.perf_counter()
    cpu_before = _children_cpu()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "episode_generation_job.generate_episodes",
            "--workers",
            str(workers),
        ],
        env=env,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, _children_cpu() - cpu_before


def workers_speedup(
    scene_dir: Path, episodes: int, cameras: str, repeats: int, ceiling_steps: int
) -> dict[str, float]:
    """The job with --workers 1 and 2, alternated `repeats` times, each pair followed by the
    machine's own ceiling (this host's speed drifts with its neighbours, so what two
    processes can gain is measured next to each pair); the median pair."""
    context = multiprocessing.get_context("spawn")
    pairs = []
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        list(pool.map(_raw_loop, [str(scene_dir)] * 2, [ceiling_steps // 10] * 2))  # warm-up
        for repeat in range(repeats):
            order = (1, 2) if repeat % 2 == 0 else (2, 1)
            runs = {w: _job_run(scene_dir, episodes, cameras, w) for w in order}
            ceiling = machine_ceiling(pool, scene_dir, ceiling_steps)
            speedup = runs[1][0] / runs[2][0]
            pairs.append((speedup, runs, ceiling, speedup / ceiling["throughput_ceiling"]))
            print(
                f"  pair {repeat + 1}: speed-up {speedup:.2f}, machine throughput ceiling "
                f"{ceiling['throughput_ceiling']:.2f}", flush=True
            )  # fmt: skip
    by_speedup = sorted(pairs, key=lambda pair: pair[0])
    speedup, runs, _, _ = by_speedup[len(pairs) // 2]
    ceilings = sorted(pair[2]["throughput_ceiling"] for pair in pairs)
    slowest = sorted(pair[2]["slowest_ceiling"] for pair in pairs)
    efficiency = sorted(pair[3] for pair in pairs)
    return {
        "speedup": speedup,
        "speedup_min": by_speedup[0][0],
        "speedup_max": by_speedup[-1][0],
        "workers_1_wall_s": runs[1][0],
        "workers_2_wall_s": runs[2][0],
        "workers_1_cpu_s": runs[1][1],
        "workers_2_cpu_s": runs[2][1],
        # What two free cores would give: the work splits in two, the extra process costs CPU.
        "speedup_if_2_free_cores": 2 * runs[1][1] / runs[2][1],
        "throughput_ceiling": ceilings[len(pairs) // 2],
        "throughput_ceiling_min": ceilings[0],
        "throughput_ceiling_max": ceilings[-1],
        "slowest_ceiling": slowest[len(pairs) // 2],
        "efficiency": efficiency[len(pairs) // 2],
    }


def _raw_loop(scene_dir: str, steps: int) -> float:
    """Wall seconds of `steps` bare mj_step calls in the episode model (after loading it)."""
    session = _session(Path(scene_dir), None)
    model, data = session.backend.model, session.backend.data
    started = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    elapsed = time.perf_counter() - started
    session.close()
    return elapsed


def machine_ceiling(pool: ProcessPoolExecutor, scene_dir: Path, steps: int) -> dict[str, float]:
    """What two processes can gain over one on this machine right now: the same CPU-bound
    MuJoCo loop run alone, then twice at once (shared cores, hyperthreads or a busy host show
    here). Throughput ceiling: both loops' speeds summed, relative to one alone (what workers
    that take slots first-come can reach); slowest ceiling: set by the slower of the two."""
    before = pool.submit(_raw_loop, str(scene_dir), steps).result()
    together = list(pool.map(_raw_loop, [str(scene_dir)] * 2, [steps] * 2))
    after = pool.submit(_raw_loop, str(scene_dir), steps).result()
    alone = (before + after) / 2  # around the pair: the host's speed drifts within seconds
    return {
        "raw_alone_s": alone,
        "raw_together_s": max(together),
        "throughput_ceiling": sum(alone / t for t in together),
        "slowest_ceiling": 2 * alone / max(together),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the three measurements and print them (and a JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-dir", type=Path)
    parser.add_argument("--episodes", type=int, default=6)
    parser.add_argument("--worker-episodes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of workers runs")
    parser.add_argument(
        "--worker-cameras", default="", help="CAMERAS for the workers run (default none)"
    )
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "egl")
    with tempfile.TemporaryDirectory(prefix="bench-episodes-") as tmp:
        scene_dir = args.scene_dir or write_tabletop_usd(Path(tmp) / "bench")
        plain = per_episode(scene_dir, args.episodes, None)
        cams = per_episode(scene_dir, args.episodes, CameraConfig(128, 128))
        steps = int(plain["steps"]) * 20
        scale = workers_speedup(
            scene_dir, args.worker_episodes, args.worker_cameras, args.repeats, steps
        )
    ratio = plain["cpu_s"] / plain["raw_cpu_s"]
    print(f"episodes/hour, no cameras (1 process):        {3600 / plain['wall_s']:8.0f}")
    print(f"episodes/hour, 2 cameras 128x128 (1 process): {3600 / cams['wall_s']:8.0f}")
    print(f"physics steps per episode:                    {plain['steps']:8.0f}")
    print(f"episode CPU / raw mj_step CPU (goal <= 1.5):  {ratio:8.2f}")
    print(f"--workers 2 speed-up over 1 (goal >= 1.7):    {scale['speedup']:8.2f}")
    print(f"  (median of {args.repeats} pairs, {scale['speedup_min']:.2f}..."
          f"{scale['speedup_max']:.2f}; whole job, {args.worker_episodes} episodes, "
          f"cameras {args.worker_cameras!r})")  # fmt: skip
    print(f"  speed-up with 2 free cores, from CPU time:  {scale['speedup_if_2_free_cores']:8.2f}")
    print(f"machine throughput ceiling, next to each pair: {scale['throughput_ceiling']:8.2f}")
    low, high = scale["throughput_ceiling_min"], scale["throughput_ceiling_max"]
    slowest = scale["slowest_ceiling"]
    print(f"  (median, {low:.2f}...{high:.2f}; two raw MuJoCo loops at once, their speeds "
          f"summed, over one alone; limited by the slower loop: {slowest:.2f})")  # fmt: skip
    print(f"job speed-up / machine ceiling, per pair:    {scale['efficiency']:8.2f}")
    result = {"no_cameras": plain, "cameras": cams, "ratio": ratio, **scale}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
