"""Whole camera episodes per hour: no cameras, RGB, RGB+depth, RGB+depth+segmentation, with two
cameras (scene, wrist) at 128² and 256², measured side by side in one run.

Usage:
    python bench/bench_render_datasets.py [--scene-dir DIR] [--episodes N] [--seed S]
                                          [--sizes 128,256]

Each case runs the same episode slots (fresh seeds: SEED = --seed, default 61) through the
job's EpisodeSession (physics, control, rendering of every recorded frame) and writes every
episode into a part dataset with the job's writer (H.264 videos, lossless depth and
segmentation columns), so the figure is what one shard worker sustains. Rendering uses
MUJOCO_GL (egl by default: Mesa llvmpipe on a CPU, the GPU's EGL where there is one).
Prints per case: episodes/h (wall and CPU), seconds per episode split into simulation+render
and dataset writing, and the bytes per episode the layers add. The machine's load average is
printed first: on a shared machine the wall figures move with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas  # noqa: F401  # imported once per process by the writer: not an episode's cost

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.cameras import CameraSpec, Modality
from episode_generation_job.dataset import open_part, write_episode
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.testing import write_tabletop_usd
from tools.lerobot import Provenance
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest

CASES: dict[str, tuple[Modality, ...]] = {
    "rgb": ("rgb",),
    "rgb+depth": ("rgb", "depth"),
    "rgb+depth+seg": ("rgb", "depth", "segmentation"),
}
PROVENANCE = Provenance(source="blueprint-episodes", backend="mujoco", seed=61)


def run_case(
    scene_dir: Path, specs: tuple[CameraSpec, ...], episodes: int, seed: int, out: Path
) -> dict[str, float]:
    """Seconds per successful episode (wall, CPU, simulate, write) and bytes per episode."""
    manifest = load_manifest(scene_dir)
    config = CameraConfig(specs=specs) if specs else None
    backend = open_backend("mujoco", scene_dir / SCENE_USD_PATH, manifest, config)
    session = EpisodeSession(backend, manifest)
    session.attempt(0, 0, seed + 1000, render=bool(specs))  # warm-up: renderers, caches
    shutil.rmtree(out, ignore_errors=True)
    writer = None
    simulate = write = 0.0
    kept = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for slot in range(episodes):
        started = time.perf_counter()
        record = session.attempt(slot, 0, seed, render=bool(specs))
        simulate += time.perf_counter() - started
        if not record.verdict.success:
            continue
        started = time.perf_counter()
        if writer is None:
            names = [s.name for s in specs]
            writer = open_part(out, PROVENANCE, names, "h264", recording=record.cameras)
        write_episode(writer, record, "bench", {"episode_key": f"slot-{slot}"})
        write += time.perf_counter() - started
        kept += 1
    if writer is not None:
        started = time.perf_counter()
        writer.finalize()
        write += time.perf_counter() - started
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    session.close()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if kept else 0
    per = max(kept, 1)
    return {"wall": wall / per, "cpu": cpu / per, "sim": simulate / per, "write": write / per,
            "bytes": size / per, "kept": kept}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-dir", type=Path)
    parser.add_argument("--episodes", type=int, default=3, help="slots per case")
    parser.add_argument("--seed", type=int, default=61)
    parser.add_argument("--sizes", default="128,256")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    scene_dir = args.scene_dir or write_tabletop_usd(scratch / "tabletop")
    print(f"MUJOCO_GL={os.environ.get('MUJOCO_GL', 'egl')}  load average {os.getloadavg()}")
    print(f"{'case':>22} {'ep/h wall':>10} {'ep/h CPU':>9} {'sim+render s':>13}"
          f" {'write s':>8} {'MB/episode':>11} {'kept':>5}")  # fmt: skip
    cases: list[tuple[str, tuple[CameraSpec, ...]]] = [("no cameras", ())]
    for size in (int(s) for s in args.sizes.split(",")):
        for name, modalities in CASES.items():
            specs = tuple(
                CameraSpec(name=c, mount=c, width=size, height=size, modalities=modalities)
                for c in ("scene", "wrist")
            )
            cases.append((f"2 x {size}² {name}", specs))
    for label, specs in cases:
        r = run_case(scene_dir, specs, args.episodes, args.seed, scratch / "part")
        print(f"{label:>22} {3600 / r['wall']:>10.0f} {3600 / r['cpu']:>9.0f} {r['sim']:>13.2f}"
              f" {r['write']:>8.2f} {r['bytes'] / 1e6:>11.2f} {int(r['kept']):>5}",
              flush=True)  # fmt: skip
    print(f"load average after {os.getloadavg()}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
