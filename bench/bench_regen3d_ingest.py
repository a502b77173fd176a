"""Benchmark the regen3d ingest's accuracy and speed against mock 3D-RE-GEN scenes.

Usage:
    python bench/bench_regen3d_ingest.py                       # 3 environments x seeds 0-2
    python bench/bench_regen3d_ingest.py --seeds 0 1 --extra-objects 1000 --keep DIR

Generates each scene with fixtures.generate_mock_regen3d, ingests it, compares the manifest
with ground_truth.json and prints one row per scene: gravity error, metric-scale error, the
worst position error after the best rigid alignment on the floor (raw, then with the
scale error divided out, then beyond what the scale error explains), the worst yaw error
and the ingest time. Then it times the ingest of one scene with --extra-objects extra
objects (goal < 30 s). Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.evaluation import SceneErrors, evaluate_scene
from regen3d_ingest_job.ingest import IngestOptions, IngestSummary, ingest_scene

ENVIRONMENTS = ("kitchen", "office", "warehouse")
GOALS = {"gravity_deg": 1.0, "scale": 0.05, "position_m": 0.02, "yaw_deg": 3.0, "big_s": 30.0}
HEADER = (
    f"{'scene':<14}{'objs':>5}{'drop':>5}{'grav°':>8}{'scale%':>8}{'spread%':>8}"
    f"{'pos cm':>8}{'free cm':>8}{'excess':>8}{'yaw°':>7}{'ingest s':>9}"
)


def run_scene(root: Path, environment: str, seed: int, extra: int) -> tuple[IngestSummary, float]:
    """Generate and ingest one scene; returns the summary and the ingest's wall time."""
    scene_dir = generate_mock_scene(f"{environment}_{seed}_{extra}", root, environment, extra, seed)
    started = time.perf_counter()
    summary = ingest_scene(scene_dir, IngestOptions(seed=seed))
    return summary, time.perf_counter() - started


def row(summary: IngestSummary, errors: SceneErrors, seconds: float) -> str:
    """One table row."""
    return (
        f"{summary.scene_id:<14}{summary.objects:>5}{len(summary.dropped):>5}"
        f"{errors.gravity_deg:>8.4f}{100 * errors.scale_error:>+8.2f}"
        f"{100 * summary.metric_scale_spread:>8.2f}{100 * errors.max_position_m:>8.2f}"
        f"{100 * errors.max_position_scale_free_m:>8.4f}"
        f"{100 * errors.max_excess_position_m:>8.4f}{errors.max_yaw_deg:>7.3f}{seconds:>9.2f}"
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
    return found


def main() -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--extra-objects", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="write scenes here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-regen3d-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(HEADER)
        failed: list[str] = []
        rigid_within = 0
        total = 0
        for environment in ENVIRONMENTS:
            for seed in args.seeds:
                summary, seconds = run_scene(root, environment, seed, 0)
                errors = evaluate_scene(root / summary.scene_id)
                print(row(summary, errors, seconds))
                failed += [f"{summary.scene_id}: {m}" for m in misses(errors)]
                rigid_within += sum(o.position_m <= GOALS["position_m"] for o in errors.objects)
                total += len(errors.objects)
        print(f"objects within 2 cm after rigid alignment alone: {rigid_within}/{total}")
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
