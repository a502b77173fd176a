"""Benchmark the simready + usd steps on mock scenes: cold hull cache, then warm.

Usage:
    python bench/bench_simready.py                              # kitchen, no extra objects
    python bench/bench_simready.py --extra-objects 0 250 1000   # cost against scene size
    python bench/bench_simready.py --environment warehouse --extra-objects 20 --keep DIR
    python bench/bench_simready.py --profile realistic --density 0.5 1   # dense scans

For each size: generates a scene with fixtures.generate_mock_regen3d, ingests it, then runs
simready with an empty hull cache followed by the usd step (cold), and both again on the
result (warm: every object's geometry from the cache, same hull and physics bytes). Prints
the times per step (wall clock, and the CPU seconds of the step with its worker processes,
which a busy shared machine does not inflate), the objects' triangles and cold simready
seconds per 100,000 triangles, hull statistics and the bulk-density range, and with several
sizes or densities a table so growth can be read off directly. Exits 1 when a warm run is
not byte-identical or still misses the cache.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import trimesh

from fixtures.mock_regen3d import ENVIRONMENTS, PROFILES, generate_mock_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from simready_job.simready import SimreadyOptions, SimreadyReport, run_simready
from tools.scene_manifest import load_manifest
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene


@dataclass(frozen=True)
class Pass:
    """Times of one simready + usd pass."""

    simready_s: float
    simready_cpu_s: float
    usd_s: float
    report: SimreadyReport
    outputs: dict[str, bytes]

    @property
    def total_s(self) -> float:
        """simready + usd."""
        return self.simready_s + self.usd_s


def _simready_outputs(scene: Path) -> dict[str, bytes]:
    """What simready writes: hull files, and each object's physics and hull paths."""
    files = sorted(p for p in (scene / "assets").rglob("collision/*") if p.is_file())
    out = {p.relative_to(scene).as_posix(): p.read_bytes() for p in files}
    for obj in load_manifest(scene).objects:
        physics = obj.physics.model_dump_json() if obj.physics else ""
        out[f"manifest:{obj.id}"] = (physics + repr(obj.asset.collision_paths)).encode()
    return out


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the geometry pool)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pass(scene: Path, options: SimreadyOptions) -> Pass:
    started, cpu = time.perf_counter(), _cpu_s()
    report = run_simready(scene, options)
    simready_s, simready_cpu_s = time.perf_counter() - started, _cpu_s() - cpu
    outputs = _simready_outputs(scene)
    started = time.perf_counter()
    assemble_scene(scene, AssemblyOptions())
    return Pass(simready_s, simready_cpu_s, time.perf_counter() - started, report, outputs)


def _triangles(scene: Path) -> int:
    """Triangles of every object's mesh (the room included), as simready reads them."""
    total = 0
    for obj in load_manifest(scene).objects:
        mesh = trimesh.load(str(scene / obj.asset.mesh_path), force="mesh", process=False)
        assert isinstance(mesh, trimesh.Trimesh)
        total += len(mesh.faces)
    return total


def _print_hulls(scene: Path) -> None:
    manifest = load_manifest(scene)
    counts = [len(o.asset.collision_paths) for o in manifest.objects]
    densities = [o.physics.density_kg_m3 or 0.0 for o in manifest.objects if o.physics]
    print(
        f"  hulls per object: mean {statistics.mean(counts):.1f}, max {max(counts)}; "
        f"bulk density {min(densities):.0f}..{max(densities):.0f} kg/m^3"
    )


@dataclass(frozen=True)
class Case:
    """One scene to generate and measure."""

    environment: str
    extra: int
    seed: int
    profile: str
    density: float

    @property
    def name(self) -> str:
        """Folder name of the scene."""
        suffix = (
            "" if self.profile == "fast" else f"_{self.profile}_d{self.density:g}".replace(".", "p")
        )
        return f"{self.environment}_{self.seed}_{self.extra}{suffix}"


def _bench_case(root: Path, case: Case) -> tuple[Pass, Pass, bool, int]:
    name = case.name
    scene = generate_mock_scene(
        name, root, case.environment, case.extra, case.seed, case.profile, case.density
    )
    ingest_scene(scene, IngestOptions(seed=case.seed))
    triangles = _triangles(scene)
    options = SimreadyOptions(cache_dir=root / f"hull-cache-{name}")
    cold = _pass(scene, options)
    # Simready's outputs must be the same bytes from the cache. (The usd step settles objects
    # and writes their resting poses into the manifest, so its second pass starts elsewhere.)
    warm = _pass(scene, options)
    warm_misses = warm.report.cache_misses + warm.report.object_cache_misses
    same = warm.outputs == cold.outputs and warm_misses == 0
    report = cold.report
    print(f"scene {name}: {report.objects} objects, {triangles:,} triangles, {report.ready} ready, "
          f"dropped {report.dropped}")  # fmt: skip
    print(f"  methods {report.methods}; {report.hulls} hulls, "
          f"max {report.max_hull_vertices} vertices")  # fmt: skip
    for label, run in (("cold", cold), ("warm", warm)):
        print(f"  {label}: simready {run.simready_s:7.2f} s (cpu {run.simready_cpu_s:6.1f} s) + "
              f"usd {run.usd_s:6.2f} s = {run.total_s:7.2f} s  (objects from cache "
              f"{run.report.object_cache_hits}, decompositions from cache "
              f"{run.report.cache_hits}, computed {run.report.cache_misses})")  # fmt: skip
    print(f"  cold simready per 100k triangles: {1e5 * cold.simready_s / triangles:.2f} s "
          f"(cpu {1e5 * cold.simready_cpu_s / triangles:.2f} s)")  # fmt: skip
    print(f"  warm simready outputs byte-identical and all from cache: {same}")
    _print_hulls(scene)
    return cold, warm, same, triangles


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--environment", default="kitchen", choices=ENVIRONMENTS)
    parser.add_argument(
        "--extra-objects", type=int, nargs="+", default=[0], help="objects beyond the recipe"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="fast", choices=PROFILES, help="mock profile")
    parser.add_argument(
        "--density",
        type=float,
        nargs="+",
        default=[1.0],
        help="realistic profile: multipliers on the 20,000-40,000 triangles per object",
    )
    parser.add_argument("--keep", type=Path, help="keep the scenes and caches under this folder")
    args = parser.parse_args(argv)
    densities = args.density if args.profile != "fast" else [1.0]
    cases = [
        Case(args.environment, extra, args.seed, args.profile, density)
        for extra in args.extra_objects
        for density in densities
    ]
    rows: list[tuple[Case, int, Pass, Pass]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-simready-") as tmp:
        root = args.keep or Path(tmp)
        for case in cases:
            cold, warm, same, triangles = _bench_case(root, case)
            rows.append((case, triangles, cold, warm))
            ok = ok and same
    if len(rows) > 1:
        print("objects  triangles  cold simready s (cpu)  s/100k tri (cpu)  "
              "cold total s  warm total s  warm ms/object")  # fmt: skip
        for _, triangles, cold, warm in rows:
            objects = cold.report.objects
            per_100k = 1e5 / triangles
            cold_s, cold_cpu = cold.simready_s, cold.simready_cpu_s
            print(f"{objects:7d}  {triangles:9,d}  {cold_s:9.1f} ({cold_cpu:6.1f})  "
                  f"{cold_s * per_100k:7.2f} ({cold_cpu * per_100k:5.2f})  "
                  f"{cold.total_s:12.1f}  {warm.total_s:12.1f}  "
                  f"{1000 * warm.total_s / objects:14.1f}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
