"""Whole camera episodes per hour: no cameras, RGB, RGB+depth, RGB+depth+segmentation, with two
cameras (scene, wrist) at 128² and 256², measured side by side in one run.

Usage:
    python bench/bench_render_datasets.py [--scene-dir DIR] [--episodes N] [--seed S]
                                          [--sizes 128,256] [--workers 1,auto] [--in-line]

Each case runs the same episode slots (fresh seeds: SEED = --seed, default 61) through the
job's EpisodeSession (physics, control, rendering of every recorded frame) and writes every
episode into a part dataset with the job's writer (H.264 videos, lossless depth and
segmentation columns) as the shard runner does (`write_behind`: an RGB episode k is written
while k+1 is simulated, one with depth or segmentation in line; --in-line writes every episode
before the next), so the
figure is what one shard worker sustains. With --workers N, N processes (the job's WORKERS)
each run --episodes slots of every case at the same time, and ep/h is their sum; `auto` is the
job's default (WORKERS=auto for its default 12 episodes: `local_workers.auto_workers`), and a
comma list (default `1,auto`) measures each pool in turn, then prints ep/h side by side. Rendering
uses MUJOCO_GL (egl by default: Mesa llvmpipe on a CPU, the GPU's EGL where there is one).
Prints per case: episodes/h (wall, and per CPU-second of the worker processes), seconds per
episode of simulation+render and of writing (on the writer thread), frames per episode (one
render of each camera per frame, 30 fps), bytes per episode, episodes kept. The machine's load
average, the pool and the llvmpipe thread setting are printed first: on a shared machine the
wall figures move with the load.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas  # noqa: F401  # imported once per process by the writer: not an episode's cost

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.cameras import CameraSpec, Modality
from episode_generation_job.dataset import open_part, write_episode
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.local_workers import auto_workers
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.testing import write_tabletop_usd
from episode_generation_job.write_behind import WriteBehind
from tools.cpus import available_cpus
from tools.lerobot import LeRobotDatasetWriter, Provenance
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest

CASES: dict[str, tuple[Modality, ...]] = {
    "rgb": ("rgb",),
    "rgb+depth": ("rgb", "depth"),
    "rgb+depth+seg": ("rgb", "depth", "segmentation"),
}
PROVENANCE = Provenance(source="blueprint-episodes", backend="mujoco", seed=61)


def run_case(
    scene_dir: Path,
    specs: tuple[CameraSpec, ...],
    slots: range,
    seed: int,
    out: Path,
    in_line: bool = False,
    start: Any = None,
) -> dict[str, float]:
    """Totals over the slots (seconds wall, CPU, simulate, write; bytes; frames; kept).

    Args:
        start: a barrier the pool's processes pass after their warm-up (None: alone).
    """
    manifest = load_manifest(scene_dir)
    config = CameraConfig(specs=specs) if specs else None
    backend = open_backend("mujoco", scene_dir / SCENE_USD_PATH, manifest, config)
    session = EpisodeSession(backend, manifest)
    session.attempt(0, 0, seed + 1000, render=bool(specs))  # warm-up: renderers, caches
    shutil.rmtree(out, ignore_errors=True)
    writer: LeRobotDatasetWriter | None = None
    totals = {"sim": 0.0, "write": 0.0, "frames": 0.0, "kept": 0.0}

    def write(writer: LeRobotDatasetWriter, record: Any, slot: int) -> None:
        started = time.perf_counter()
        write_episode(writer, record, "bench", {"episode_key": f"slot-{slot}"})
        totals["write"] += time.perf_counter() - started

    if start is not None:
        start.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    with WriteBehind(in_line=in_line) as behind:
        for slot in slots:
            started = time.perf_counter()
            record = session.attempt(slot, 0, seed, render=bool(specs))
            totals["sim"] += time.perf_counter() - started
            if not record.verdict.success:
                continue
            if writer is None:
                names = [s.name for s in specs]
                writer = open_part(out, PROVENANCE, names, "h264", recording=record.cameras)
            behind.submit(
                lambda w=writer, r=record, s=slot: write(w, r, s), in_line=record.cameras.has_layers
            )
            totals["kept"] += 1
            totals["frames"] += record.length
        behind.drain()
    if writer is not None:
        started = time.perf_counter()
        writer.finalize()
        totals["write"] += time.perf_counter() - started
    totals["wall"], totals["cpu"] = time.perf_counter() - wall, time.process_time() - cpu
    session.close()
    totals["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return totals


def _worker(args: tuple[Any, ...], results: Any) -> None:
    results.put(run_case(*args))


def run_pooled(
    workers: int, scene_dir: Path, specs: tuple[CameraSpec, ...], args: argparse.Namespace,
    scratch: Path,
) -> dict[str, float]:  # fmt: skip
    """Per successful episode: wall (pool throughput), CPU and phases summed over workers."""
    if workers == 1:
        r = run_case(scene_dir, specs, range(args.episodes), args.seed, scratch / "part",
                     args.in_line)  # fmt: skip
        runs, wall = [r], r["wall"]
    else:
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(workers), context.Queue()
        processes = []
        for w in range(workers):  # each worker its own slots, as WORKERS claims them
            slots = range(w * args.episodes, (w + 1) * args.episodes)
            job = (scene_dir, specs, slots, args.seed, scratch / f"part{w}", args.in_line, start)
            processes.append(context.Process(target=_worker, args=(job, results)))
            processes[-1].start()
        runs = [results.get() for _ in processes]
        for process in processes:
            process.join()
        wall = max(r["wall"] for r in runs)
    total = {key: sum(r[key] for r in runs) for key in runs[0]}
    per = max(total["kept"], 1)
    return {**{k: v / per for k, v in total.items()}, "wall": wall / per, "kept": total["kept"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-dir", type=Path)
    parser.add_argument("--episodes", type=int, default=3, help="slots per case and worker")
    parser.add_argument("--seed", type=int, default=61)
    parser.add_argument("--sizes", default="128,256")
    parser.add_argument(
        "--workers", default="1,auto", help="comma list of pools: N processes or auto"
    )
    parser.add_argument("--in-line", action="store_true", help="write each episode in line")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    scene_dir = args.scene_dir or write_tabletop_usd(scratch / "tabletop")
    default_workers = auto_workers(EpisodeSettings.model_fields["NUM_EPISODES"].default)
    pools = [default_workers if w == "auto" else int(w) for w in args.workers.split(",")]
    writing = "in line" if args.in_line else "RGB-only behind the simulation, layers in line"
    print(f"MUJOCO_GL={os.environ.get('MUJOCO_GL', 'egl')}  "
          f"LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', '(Mesa default)')}  "
          f"cpus={os.cpu_count()} (usable {available_cpus()})  "
          f"load average {os.getloadavg()}")  # fmt: skip
    print(f"pools: {pools} (auto = {default_workers}); writing: {writing}; "
          f"{args.episodes} slot(s) per case and process")  # fmt: skip
    cases: list[tuple[str, tuple[CameraSpec, ...]]] = [("no cameras", ())]
    for size in (int(s) for s in args.sizes.split(",")):
        for name, modalities in CASES.items():
            specs = tuple(
                CameraSpec(name=c, mount=c, width=size, height=size, modalities=modalities)
                for c in ("scene", "wrist")
            )
            cases.append((f"2 x {size}² {name}", specs))
    per_pool: dict[int, list[float]] = {}
    for workers in dict.fromkeys(pools):
        pool = f"{workers} worker process(es)" if workers > 1 else "one process, no pool"
        print(f"\n{pool}, load average {os.getloadavg()}")
        print(f"{'case':>22} {'ep/h wall':>10} {'ep/h CPU':>9} {'sim+render s':>13}"
              f" {'write s':>8} {'frames/ep':>10} {'MB/episode':>11} {'kept':>5}")  # fmt: skip
        for label, specs in cases:
            r = run_pooled(workers, scene_dir, specs, args, scratch)
            per_pool.setdefault(workers, []).append(3600 / r["wall"])
            print(f"{label:>22} {3600 / r['wall']:>10.0f} {3600 / r['cpu']:>9.0f}"
                  f" {r['sim']:>13.2f} {r['write']:>8.2f} {r['frames']:>10.0f}"
                  f" {r['bytes'] / 1e6:>11.2f} {int(r['kept']):>5}", flush=True)  # fmt: skip
    print("\nepisodes/h (wall), side by side:")
    print(f"{'case':>22}" + "".join(f" {f'{w} process(es)':>15}" for w in per_pool))
    for row, (label, _) in enumerate(cases):
        print(f"{label:>22}" + "".join(f" {v[row]:>15.0f}" for v in per_pool.values()))
    print(f"load average after {os.getloadavg()}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
