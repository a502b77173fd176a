"""Benchmark the regen3d ingest's accuracy and speed against mock 3D-RE-GEN scenes.

Usage:
    python bench/bench_regen3d_ingest.py                       # 3 environments x seeds 0-2
    python bench/bench_regen3d_ingest.py --seeds 0 1 --extra-objects 1000 --keep DIR
    python bench/bench_regen3d_ingest.py --profile realistic --densities 0.5 1 2

Generates each scene with fixtures.generate_mock_regen3d, ingests it, compares the manifest
with ground_truth.json and prints one row per scene: gravity error, metric-scale error, the
worst position error after the best rigid alignment on the floor (raw, then with the
scale error divided out, then beyond what the scale error explains), the worst yaw error,
the worst tilt from upright and the ingest time. Then, for the fast profile, it times the
ingest of one scene with --extra-objects extra objects (goal < 30 s); for the realistic
profile (dense, seam-split, tilted input like real 3D-RE-GEN output), every scene must
ingest in under 10 s and the kitchen scene of the first seed is ingested at each of
--densities, printing seconds per 100,000 triangles so the growth with density shows.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.evaluation import SceneErrors, evaluate_scene
from regen3d_ingest_job.glb import parse_glb
from regen3d_ingest_job.ingest import IngestOptions, IngestSummary, ingest_scene
from regen3d_ingest_job.regen3d_layout import ROOM_GLB

ENVIRONMENTS = ("kitchen", "office", "warehouse")
GOALS = {
    "gravity_deg": 1.0,
    "scale": 0.05,
    "position_m": 0.02,
    "yaw_deg": 3.0,
    "tilt_deg": 2.0,
    "big_s": 30.0,
    "realistic_s": 10.0,
}
HEADER = (
    f"{'scene':<16}{'objs':>5}{'drop':>5}{'grav°':>8}{'scale%':>8}{'spread%':>8}"
    f"{'pos cm':>8}{'free cm':>8}{'excess':>8}{'yaw°':>7}{'tilt°':>7}{'ingest s':>9}"
)


def run_scene(
    root: Path, environment: str, seed: int, extra: int, profile: str = "fast", density: float = 1
) -> tuple[IngestSummary, float]:
    """Generate and ingest one scene; returns the summary and the ingest's wall time."""
    name = (
        f"{environment}_{seed}_{extra}"
        if profile == "fast"
        else f"{environment}_{seed}_d{round(density * 100)}"
    )
    scene_dir = generate_mock_scene(name, root, environment, extra, seed, profile, density)
    started = time.perf_counter()
    summary = ingest_scene(scene_dir, IngestOptions(seed=seed))
    return summary, time.perf_counter() - started


def triangles(scene_dir: Path) -> int:
    """Triangles the ingest read: every posed object GLB and the room mesh."""
    meshes = [*(scene_dir / "regen3d/output/glb").glob("*.glb"), scene_dir / ROOM_GLB]
    return sum(len(parse_glb(p.read_bytes()).faces) for p in meshes if p.is_file())


def row(summary: IngestSummary, errors: SceneErrors, seconds: float) -> str:
    """One table row."""
    return (
        f"{summary.scene_id:<16}{summary.objects:>5}{len(summary.dropped):>5}"
        f"{errors.gravity_deg:>8.4f}{100 * errors.scale_error:>+8.2f}"
        f"{100 * summary.metric_scale_spread:>8.2f}{100 * errors.max_position_m:>8.2f}"
        f"{100 * errors.max_position_scale_free_m:>8.4f}"
        f"{100 * errors.max_excess_position_m:>8.4f}{errors.max_yaw_deg:>7.3f}"
        f"{errors.max_tilt_deg:>7.3f}{seconds:>9.2f}"
    )


def misses(errors: SceneErrors) -> list[str]:
    """The accuracy goals this scene misses (positions are judged net of the scale error)."""
    found = []
    if errors.gravity_deg > GOALS["gravity_deg"]:
        found.append("gravity")
    if abs(errors.scale_error) > GOALS["scale"]:
        found.append("scale")
    if errors.max_position_scale_free_m > GOALS["position_m"]:
        found.append("position")
    if errors.max_yaw_deg > GOALS["yaw_deg"]:
        found.append("yaw")
    if errors.max_tilt_deg > GOALS["tilt_deg"]:
        found.append("tilt")
    if errors.missing:
        found.append("lost " + ", ".join(errors.missing))
    return found


def scaling(root: Path, seed: int, densities: list[float]) -> None:
    """Ingest one realistic scene at several mesh densities; print seconds per 100k triangles."""
    print(f"{'density':>8}{'triangles':>11}{'ingest s':>10}{'s/100k tri':>12}")
    for density in densities:
        summary, seconds = run_scene(root, "kitchen", seed, 0, "realistic", density)
        count = triangles(root / summary.scene_id)
        print(f"{density:>8.2f}{count:>11,}{seconds:>10.2f}{seconds / count * 1e5:>12.3f}")


def main() -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--extra-objects", type=int, default=1000)
    parser.add_argument("--profile", choices=("fast", "realistic"), default="fast")
    parser.add_argument("--densities", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--keep", type=Path, help="write scenes here instead of a temp dir")
    args = parser.parse_args()
    realistic = args.profile == "realistic"
    with tempfile.TemporaryDirectory(prefix="bench-regen3d-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(HEADER)
        failed: list[str] = []
        rigid_within = 0
        total = 0
        for environment in ENVIRONMENTS:
            for seed in args.seeds:
                summary, seconds = run_scene(root, environment, seed, 0, args.profile)
                errors = evaluate_scene(root / summary.scene_id)
                print(row(summary, errors, seconds))
                failed += [f"{summary.scene_id}: {m}" for m in misses(errors)]
                if realistic and seconds >= GOALS["realistic_s"]:
                    failed.append(f"{summary.scene_id}: {seconds:.1f} s")
                rigid_within += sum(o.position_m <= GOALS["position_m"] for o in errors.objects)
                total += len(errors.objects)
        print(f"objects within 2 cm after rigid alignment alone: {rigid_within}/{total}")
        if realistic:
            scaling(root, args.seeds[0], args.densities)
        else:
            summary, seconds = run_scene(root, "kitchen", 0, args.extra_objects)
            print(
                f"big scene: {summary.objects} objects (--extra-objects {args.extra_objects}) "
                f"ingested in {seconds:.2f} s (goal < {GOALS['big_s']:.0f} s)"
            )
            if seconds >= GOALS["big_s"]:
                failed.append("big scene too slow")
    verdict = "all goals met (positions judged net of the scale error)"
    print(verdict if not failed else "missed: " + "; ".join(failed))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
