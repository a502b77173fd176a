"""Benchmark the simready + usd steps on mock scenes: cold hull cache, then warm.

Usage:
    python bench/bench_simready.py                              # kitchen, no extra objects
    python bench/bench_simready.py --extra-objects 0 250 1000   # cost against scene size
    python bench/bench_simready.py --environment warehouse --extra-objects 20 --keep DIR

For each size: generates a scene with fixtures.generate_mock_regen3d, ingests it, then runs
simready with an empty hull cache followed by the usd step (cold), and both again on the
result (warm: every object's geometry from the cache, same bytes). Prints the times per step,
hull statistics and the bulk-density range, and with several sizes the warm cost per object,
so growth can be read off directly. Exits 1 when a warm run is not byte-identical or still
misses the cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fixtures.mock_regen3d import ENVIRONMENTS, generate_mock_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from simready_job.simready import SimreadyOptions, SimreadyReport, run_simready
from tools.scene_manifest import load_manifest
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene


@dataclass(frozen=True)
class Pass:
    """Times of one simready + usd pass."""

    simready_s: float
    usd_s: float
    report: SimreadyReport

    @property
    def total_s(self) -> float:
        """simready + usd."""
        return self.simready_s + self.usd_s


def _assets(scene: Path) -> dict[str, bytes]:
    files = sorted(p for p in (scene / "assets").rglob("*") if p.is_file())
    return {p.relative_to(scene).as_posix(): p.read_bytes() for p in files}


def _pass(scene: Path, options: SimreadyOptions) -> Pass:
    started = time.perf_counter()
    report = run_simready(scene, options)
    simready_s = time.perf_counter() - started
    started = time.perf_counter()
    assemble_scene(scene, AssemblyOptions())
    return Pass(simready_s, time.perf_counter() - started, report)


def _print_hulls(scene: Path) -> None:
    manifest = load_manifest(scene)
    counts = [len(o.asset.collision_paths) for o in manifest.objects]
    densities = [o.physics.density_kg_m3 or 0.0 for o in manifest.objects if o.physics]
    print(
        f"  hulls per object: mean {statistics.mean(counts):.1f}, max {max(counts)}; "
        f"bulk density {min(densities):.0f}..{max(densities):.0f} kg/m^3"
    )


def _bench_size(root: Path, environment: str, extra: int, seed: int) -> tuple[Pass, Pass, bool]:
    name = f"{environment}_{seed}_{extra}"
    scene = generate_mock_scene(name, root, environment, extra, seed)
    ingest_scene(scene, IngestOptions(seed=seed))
    options = SimreadyOptions(cache_dir=root / f"hull-cache-{name}")
    cold = _pass(scene, options)
    # assets/ holds the hulls and the asset USDs: both passes must write the same bytes.
    first = _assets(scene)
    warm = _pass(scene, options)
    warm_misses = warm.report.cache_misses + warm.report.object_cache_misses
    same = _assets(scene) == first and warm_misses == 0
    report = cold.report
    print(f"scene {name}: {report.objects} objects, {report.ready} ready, "
          f"dropped {report.dropped}")  # fmt: skip
    print(f"  methods {report.methods}; {report.hulls} hulls, "
          f"max {report.max_hull_vertices} vertices")  # fmt: skip
    for label, run in (("cold", cold), ("warm", warm)):
        print(f"  {label}: simready {run.simready_s:7.2f} s + usd {run.usd_s:6.2f} s = "
              f"{run.total_s:7.2f} s  (objects from cache {run.report.object_cache_hits}, "
              f"decompositions from cache {run.report.cache_hits}, "
              f"computed {run.report.cache_misses})")  # fmt: skip
    print(f"  warm run byte-identical and all from cache: {same}")
    _print_hulls(scene)
    return cold, warm, same


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--environment", default="kitchen", choices=ENVIRONMENTS)
    parser.add_argument(
        "--extra-objects", type=int, nargs="+", default=[0], help="objects beyond the recipe"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the scenes and caches under this folder")
    args = parser.parse_args(argv)
    rows: list[tuple[int, Pass, Pass]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-simready-") as tmp:
        root = args.keep or Path(tmp)
        for extra in args.extra_objects:
            cold, warm, same = _bench_size(root, args.environment, extra, args.seed)
            rows.append((cold.report.objects, cold, warm))
            ok = ok and same
    if len(rows) > 1:
        print("objects  cold total s  warm total s  warm ms/object  cold s/object")
        for objects, cold, warm in rows:
            per_object_ms = 1000 * warm.total_s / objects
            print(f"{objects:7d}  {cold.total_s:12.1f}  {warm.total_s:12.1f}  "
                  f"{per_object_ms:14.1f}  {cold.total_s / objects:13.2f}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
