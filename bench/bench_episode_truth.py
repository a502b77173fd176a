"""Episode truth: do the episodes the step keeps really succeed, on mock scenes never tuned on?

Usage:
    python bench/bench_episode_truth.py [--scenes kitchen:11,office:12,...] [--episodes N]
                                        [--workdir DIR] [--enough N] [--json PATH]

For each scene: generate it with the mock generator, run the pipeline through `episodes` with
the step's validation (`tools.run_local_pipeline --steps episodes --validate`, no cameras:
the judge needs none), then print attempts, successes and failure reasons from
`reports/episodes_summary.json`, and re-judge every kept episode from the dataset files alone
with the independent check below, counting false successes.

The independent check is written separately from `episode_generation_job.success` and is
stricter where it can be: it reads the parquet files with pyarrow only and requires
- a rise of >= 3 cm and a final tilt <= 15 degrees from the recorded first and last frames;
- speeds <= 1 cm/s over the last half second, both finite differences of the recorded target
  and goal positions and the recorded simulator speeds (angular <= 0.25 rad/s);
- a direct contact carrying load between the target and the goal (no support through
  another object), the target's centre in the goal footprint, and its bottom on the surface
  ("on", +-3 cm) or at least 1 cm below the rim ("in").
Scenes where no task is feasible are listed as such (the generator's layout decides).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ENVIRONMENTS = ("kitchen", "office", "warehouse")
DEFAULT_SCENES = [f"{env}:{seed}" for env in ENVIRONMENTS for seed in range(11, 17)]
FPS = 30
WINDOW = 15  # frames: the last half second
MAX_TILT_DEG, MAX_SPEED, MAX_ANGULAR, MIN_LIFT = 15.0, 0.01, 0.25, 0.03
ROUND = {
    "apple", "orange", "lemon", "lime", "peach", "plum", "apricot", "nectarine", "tangerine",
    "mandarin", "grapefruit", "tomato", "onion", "fruit", "ball", "tennis_ball", "baseball",
    "golf_ball",
}  # fmt: skip


def _up(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])


def _inside(record: dict[str, Any], xy: np.ndarray) -> bool:
    region = record["goal_region"]
    d = xy - np.asarray(region["centre"])
    c, s = math.cos(region["yaw"]), math.sin(region["yaw"])
    local = np.abs([c * d[0] + s * d[1], -s * d[0] + c * d[1]])
    return bool(np.all(local <= np.asarray(region["half_extents"]) + 1e-9))


def round_objects(scene: Path) -> set[str]:
    """Objects with no base to stand on, decided here from the manifest alone (not from the
    step's record): round fruit and balls (category or label) whose three dimensions agree
    within 25 %."""
    path = scene / "assets" / "scene_manifest.json"
    if not path.is_file():
        return set()
    found = set()
    for obj in json.loads(path.read_text()).get("objects", []):
        dims = [
            float(d) * float(s)
            for d, s in zip(obj["dimensions"], obj["transform"]["scale"], strict=True)
        ]
        names = (obj.get("category", ""), (obj.get("semantics") or {}).get("label", ""))
        if (
            {str(n).lower().replace(" ", "_") for n in names} & ROUND
            and min(dims) > 0
            and max(dims) / min(dims) <= 1.25
        ):
            found.add(obj["id"])
    return found


def independent_problems(
    env: np.ndarray, record: dict[str, Any], round_targets: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """Why a kept episode is not a real success, from its frames and final-state record (a
    round target's tilt is not a failure: it has no base)."""
    problems = []
    target, goal = record["target_id"], record["goal_id"]
    if env[:, 2].max() - env[0, 2] < MIN_LIFT:
        problems.append("not lifted")
    tilt = math.degrees(math.acos(float(np.clip(_up(env[0, 3:7]) @ _up(env[-1, 3:7]), -1, 1))))
    end = np.asarray(record["end"][target])
    tilt_end = math.degrees(math.acos(float(np.clip(_up(env[0, 3:7]) @ _up(end[3:7]), -1, 1))))
    if max(tilt, tilt_end) > MAX_TILT_DEG and target not in round_targets:
        problems.append(f"tilted {max(tilt, tilt_end):.1f} deg")
    for name, cols in (("target", slice(0, 3)), ("goal", slice(7, 10))):
        steps = np.linalg.norm(np.diff(env[-WINDOW - 1 :, cols], axis=0), axis=1) * FPS
        if steps.max() > MAX_SPEED:
            problems.append(f"{name} moving {steps.max() * 100:.1f} cm/s in the recorded frames")
    speeds = record["target_speeds"]
    if max(speeds["linear"], default=math.inf) > MAX_SPEED:
        problems.append("simulator target speed above 1 cm/s")
    if max(speeds["angular"], default=math.inf) > MAX_ANGULAR:
        problems.append("simulator target spin above 0.25 rad/s")
    if record["target_contacts"].get(goal, 0.0) <= 0.0:
        problems.append("no contact with the goal")
    if not _inside(record, end[:2]):
        problems.append("centre outside the goal footprint")
    bottom = end[2] - record["target_bottom_offset"]
    region = record["goal_region"]
    if region["relation"] == "in":
        if not region["bottom_z"] - 0.02 <= bottom <= region["surface_z"] - 0.01:
            problems.append("bottom not inside the container")
    elif abs(bottom - region["surface_z"]) > 0.03:
        problems.append("bottom not on the goal surface")
    return problems


def rejudge_dataset(root: Path) -> tuple[int, list[str], dict[str, int]]:
    """(episodes, false-success descriptions, relation counts) of a LeRobot dataset folder."""
    if not (root / "meta/episodes").is_dir():
        return 0, [], {"in": 0, "on": 0}  # nothing kept: no dataset
    episodes = pa.concat_tables(
        [pq.read_table(p) for p in sorted((root / "meta/episodes").rglob("*.parquet"))]
    ).to_pylist()
    frames = pa.concat_tables(
        [pq.read_table(p) for p in sorted((root / "data").rglob("*.parquet"))]
    )
    index = np.asarray(frames.column("episode_index").to_pylist())
    round_targets = round_objects(root.parent.parent)  # <scene>/episodes/lerobot
    env_all = np.asarray(frames.column("observation.environment_state").to_pylist(), dtype=float)
    false, relations = [], {"in": 0, "on": 0}
    for row in episodes:
        env = env_all[index == row["episode_index"]]
        raw = row.get("final_state")
        if not isinstance(raw, str):
            false.append(f"episode {row['episode_index']}: no final state recorded")
            continue
        record = json.loads(raw)
        relations[record["goal_region"]["relation"]] += 1
        problems = independent_problems(env, record, round_targets)
        if problems:
            task = row["tasks"][0]
            false.append(f"episode {row['episode_index']} ({task}): {'; '.join(problems)}")
    return len(episodes), false, relations


def run_scene(
    env: str, seed: int, workdir: Path, episodes: int, reuse: bool = False
) -> dict[str, Any]:
    """Generate one mock scene, run the episodes step on it, and re-judge what it kept.

    With `reuse`, a scene folder already holding a step summary is only re-judged."""
    scene_id = f"{env}_{seed}"
    scene = workdir / scene_id
    if reuse and (scene / "reports/episodes_summary.json").exists():
        return _judge_scene(scene, {"scene": scene_id, "seconds": None})
    if reuse and (scene / "bench_run.log").exists():
        return {"scene": scene_id, "seconds": None, "error": _failure(scene)}
    py = sys.executable
    subprocess.run(
        [py, "-m", "fixtures.generate_mock_regen3d", "--scene-id", scene_id, "--output-dir",
         str(workdir), "--environment", env, "--seed", str(seed)],
        check=True, capture_output=True,
    )  # fmt: skip
    settings = {"NUM_EPISODES": str(episodes), "CAMERAS": "", "MIN_SUCCESS_RATE": "0"}
    started = time.monotonic()
    run = subprocess.run(
        [py, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene), "--steps", "episodes",
         "--validate"],
        capture_output=True, text=True, env={**os.environ, **settings},
    )  # fmt: skip
    (scene / "bench_run.log").write_text(run.stdout + run.stderr)
    out: dict[str, Any] = {"scene": scene_id, "seconds": round(time.monotonic() - started, 1)}
    if not (scene / "reports/episodes_summary.json").exists():
        out["error"] = _failure(scene)
        return out
    return _judge_scene(scene, out)


def _failure(scene: Path) -> str:
    lines = (scene / "bench_run.log").read_text().splitlines()
    tail = [line for line in lines if "FAILED" in line]
    return tail[-1].split("FAILED:", 1)[-1].strip() if tail else "no summary"


def _judge_scene(scene: Path, out: dict[str, Any]) -> dict[str, Any]:
    """Add the step's figures and the independent re-judge of the scene's dataset to `out`."""
    summary = json.loads((scene / "reports/episodes_summary.json").read_text())
    kept, false, relations = rejudge_dataset(scene / "episodes/lerobot")
    report_path = scene / "reports/validation_report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    step_checks = (report.get("steps", {}).get("episodes") or {}).get("checks", [])
    rejudged: dict[str, Any] = next(
        (c for c in step_checks if c.get("name") == "outcomes_from_state"), {}
    )
    out.update(
        attempts=summary["episodes_succeeded"] + summary["failed_attempts"],
        successes=summary["episodes_succeeded"],
        reasons=summary["failure_reasons"],
        kept=kept,
        relations=relations,
        false_successes=len(false),
        false_detail=false,
        step_rejudge_ok=rejudged.get("ok"),
    )
    return out


def _print(results: list[dict[str, Any]]) -> None:
    head = f"{'scene':<14}{'attempts':>9}{'succ':>6}{'rate':>7}{'in/on':>7}{'false':>7}{'step':>6}"
    print(head + "  failure reasons")
    for r in results:
        if "error" in r:
            print(f"{r['scene']:<14}  -- {r['error'][:100]}")
            continue
        rate = r["successes"] / r["attempts"] if r["attempts"] else 0.0
        inon = f"{r['relations']['in']}/{r['relations']['on']}"
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items()) or "-"
        step = {True: "ok", False: "FAIL"}.get(r["step_rejudge_ok"], "-")
        print(
            f"{r['scene']:<14}{r['attempts']:>9}{r['successes']:>6}{rate:>7.0%}{inon:>7}"
            f"{r['false_successes']:>7}{step:>6}  {reasons}"
        )
        for line in r["false_detail"]:
            print(f"    false success: {line}")
    ran = [r for r in results if "error" not in r]
    attempts = sum(r["attempts"] for r in ran)
    successes = sum(r["successes"] for r in ran)
    false = sum(r["false_successes"] for r in ran)
    print(
        f"{len(ran)} scenes with episodes: {successes}/{attempts} attempts succeeded, "
        f"{sum(r['kept'] for r in ran)} kept episodes re-judged, {false} false successes"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default=",".join(DEFAULT_SCENES), help="env:seed,...")
    parser.add_argument("--episodes", type=int, default=8, help="NUM_EPISODES per scene")
    parser.add_argument("--workdir", type=Path, help="keep scenes here (default: a temp dir)")
    parser.add_argument("--enough", type=int, default=0, help="stop after N scenes with episodes")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--reuse", action="store_true", help="re-judge scenes already run")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="episode_truth_"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for item in args.scenes.split(","):
        env, seed = item.split(":")
        result = run_scene(env, int(seed), workdir, args.episodes, args.reuse)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "false_detail"}), flush=True)
        if args.enough and sum("error" not in r for r in results) >= args.enough:
            break
    _print(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    false = sum(r.get("false_successes", 0) for r in results)
    return 1 if false else 0


if __name__ == "__main__":
    sys.exit(main())
