"""Benchmark the simready step on a mock scene: cold hull cache, then warm.

Usage:
    python bench/bench_simready.py                              # kitchen, no extra objects
    python bench/bench_simready.py --environment warehouse --extra-objects 20 --keep DIR

Generates a scene with fixtures.generate_mock_regen3d, ingests it, runs simready with an
empty hull cache (cold) and again on the result (warm: every decomposition from the cache,
same bytes), and prints both times, hull statistics and the bulk-density range.
Exits 1 when the warm run is not byte-identical or still misses the cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fixtures.mock_regen3d import ENVIRONMENTS, generate_mock_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from simready_job.simready import SimreadyOptions, SimreadyReport, run_simready
from tools.scene_manifest import load_manifest


def _assets(scene: Path) -> dict[str, bytes]:
    files = sorted(p for p in (scene / "assets").rglob("*") if p.is_file())
    return {p.relative_to(scene).as_posix(): p.read_bytes() for p in files}


def _timed(scene: Path, options: SimreadyOptions) -> tuple[SimreadyReport, float]:
    started = time.perf_counter()
    report = run_simready(scene, options)
    return report, time.perf_counter() - started


def _print_hulls(scene: Path) -> None:
    manifest = load_manifest(scene)
    counts = [len(o.asset.collision_paths) for o in manifest.objects]
    densities = [o.physics.density_kg_m3 or 0.0 for o in manifest.objects if o.physics]
    print(
        f"hulls per object: mean {statistics.mean(counts):.1f}, max {max(counts)}; "
        f"bulk density {min(densities):.0f}..{max(densities):.0f} kg/m^3"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--environment", default="kitchen", choices=ENVIRONMENTS)
    parser.add_argument("--extra-objects", type=int, default=0, help="objects beyond the recipe")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the scene and cache under this folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-simready-") as tmp:
        root = args.keep or Path(tmp)
        name = f"{args.environment}_{args.seed}_{args.extra_objects}"
        scene = generate_mock_scene(name, root, args.environment, args.extra_objects, args.seed)
        ingest_scene(scene, IngestOptions(seed=args.seed))
        cache = root / f"hull-cache-{name}"
        options = SimreadyOptions(cache_dir=cache)
        cold, cold_s = _timed(scene, options)
        first = _assets(scene)
        warm, warm_s = _timed(scene, options)
        same = _assets(scene) == first
        print(f"scene {name}: {cold.objects} objects, {cold.ready} ready, dropped {cold.dropped}")
        print(f"methods {cold.methods}; {cold.hulls} hulls, max {cold.max_hull_vertices} vertices")
        print(f"cold: {cold_s:7.2f} s  ({cold.decomposed_parts} decompositions, cache misses "
              f"{cold.cache_misses})")  # fmt: skip
        print(f"warm: {warm_s:7.2f} s  (cache hits {warm.cache_hits}, misses "
              f"{warm.cache_misses}); same bytes: {same}")  # fmt: skip
        _print_hulls(scene)
        return 0 if same and warm.cache_misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
