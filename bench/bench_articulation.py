"""Benchmark articulated furniture on mock scenes against their ground truth (issue 20).

Usage:
    python bench/bench_articulation.py                              # kitchen + office, seeds 1-3
    python bench/bench_articulation.py --environments kitchen --seeds 4 --keep /tmp/bench-art
    python bench/bench_articulation.py --seeds 61 62 63 64 --robot   # + open/close episodes

Each scene is generated with `--articulated --appliances` (designed doors and drawers in
ground_truth.json; kitchens with an oven, dishwasher and microwave, offices with a desk drawer),
run through ingest, simready (SIMREADY_ARTICULATION=true) and usd with --validate in a child
process. Per scene: designed joints found, with the right type and hinge side and an axis
within 10 deg (front frame), worst axis and limit errors, the usd step's checks (UsdValidation,
physics parse, MuJoCo load, joints holding still), then an open/close trial per joint in MuJoCo:
a compliant force at the handle along the hinge arc or the slide (no robot: the robot skills
belong to the episodes step) must open the part to >= 60 % of its range, then close it to
<= 5 %. With --robot, every open/close task the episodes step derives is also attempted once
by the Panda (`episode_generation_job.articulated_episodes`): attempts and successes per skill
and the failure reasons. Prints one row per scene and the totals as JSON; exits 1 when a goal
is missed (>= 80 % of the robot's attempts must succeed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from episode_generation_job.articulated_episodes import run_articulated_tasks
from fixtures.generate_mock_regen3d import generate_mock_scene
from simready_job.articulation_evaluation import compare_scene, summary
from tools.scene_layout import SCENE_USD_PATH, VALIDATION_REPORT_PATH
from tools.scene_manifest import SceneManifest, load_manifest
from tools.sim import JointHandle, LoadedScene, load_scene_model

MAX_FORCE_N = 40.0
GAIN_N = 150.0  # newtons per unit of open fraction short of the target
TRIAL_S = 4.0


def _drive(
    scene: LoadedScene, data: mujoco.MjData, joint: JointHandle, handle: np.ndarray, target: float
) -> float:
    """Pull at the handle (part frame = asset frame) towards `target` open fraction."""
    model = scene.model
    body = joint.body_id
    for _ in range(round(TRIAL_S / model.opt.timestep)):
        point = data.xpos[body] + data.xmat[body].reshape(3, 3) @ handle
        axis = data.xaxis[joint.joint_id]
        if joint.kind == "revolute":
            direction = np.cross(axis, point - data.xanchor[joint.joint_id])
        else:
            direction = axis.copy()
        direction /= max(float(np.linalg.norm(direction)), 1e-9)
        error = target - joint.open_fraction(data.qpos)
        force = float(np.clip(GAIN_N * error, -MAX_FORCE_N, MAX_FORCE_N)) * direction
        data.qfrc_applied[:] = 0.0
        mujoco.mj_applyFT(model, data, force, np.zeros(3), point, body, data.qfrc_applied)
        mujoco.mj_step(model, data)
    return joint.open_fraction(data.qpos)


def _trials(scene: LoadedScene, manifest: SceneManifest) -> dict[str, int]:
    opened = closed = 0
    for joint in scene.joints.values():
        articulation = manifest.object(joint.object_id).articulation
        assert articulation is not None
        child = next(j.child_part for j in articulation.joints if j.name == joint.name)
        handle = np.array(articulation.part(child).handle)
        data = scene.make_data()
        if _drive(scene, data, joint, handle, 0.8) >= 0.6:
            opened += 1
            closed += _drive(scene, data, joint, handle, 0.0) <= 0.05
    return {"attempts": len(scene.joints), "opened": opened, "closed": closed}


def _robot_episodes(scene_dir: Path, manifest: SceneManifest) -> dict[str, Any]:
    """Attempt every derived open/close task once with the Panda."""
    skills: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    for outcome in run_articulated_tasks(scene_dir / SCENE_USD_PATH, manifest):
        counts = skills.setdefault(outcome.task.skill, {"attempts": 0, "successes": 0})
        counts["attempts"] += 1
        counts["successes"] += outcome.success
        if not outcome.success:
            reasons[outcome.reason] = reasons.get(outcome.reason, 0) + 1
    return {"skills": skills, "failures": reasons}


def _run_pipeline(scene_dir: Path) -> None:
    env = {**os.environ, "SIMREADY_ARTICULATION": "true"}
    command = [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene_dir)]
    subprocess.run(
        [*command, "--steps", "usd", "--validate"], env=env, check=False, capture_output=True
    )


def bench_scene(
    root: Path, environment: str, seed: int, robot: bool = False, reuse: bool = False
) -> dict[str, Any]:
    """Generate, run and judge one scene."""
    scene_dir = root / f"{environment}_{seed}"
    if not (reuse and (scene_dir / SCENE_USD_PATH).is_file()):
        scene_dir = generate_mock_scene(
            f"{environment}_{seed}", root, environment, seed=seed, articulated=True, appliances=True
        )
        _run_pipeline(scene_dir)
    truth = json.loads((scene_dir / "ground_truth.json").read_text())
    row: dict[str, Any] = {"scene": scene_dir.name}
    manifest = load_manifest(scene_dir)
    row.update(summary(compare_scene(manifest, truth)))
    report = json.loads((scene_dir / VALIDATION_REPORT_PATH).read_text())
    checks = report.get("steps", {}).get("usd", {}).get("checks", [])
    row["usd_checks_failed"] = [c["name"] for c in checks if not c["ok"]]
    row["trials"] = _trials(load_scene_model(scene_dir / SCENE_USD_PATH), manifest)
    if robot:
        row["robot"] = _robot_episodes(scene_dir, manifest)
    return row


def _robot_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    skills: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    for row in rows:
        for skill, counts in row["robot"]["skills"].items():
            total = skills.setdefault(skill, {"attempts": 0, "successes": 0})
            for key in total:
                total[key] += counts[key]
        for reason, n in row["robot"]["failures"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    attempts = sum(c["attempts"] for c in skills.values())
    successes = sum(c["successes"] for c in skills.values())
    return {"attempts": attempts, "successes": successes, "skills": skills, "failures": reasons}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--environments", nargs="+", default=["kitchen", "office"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--keep", type=Path, help="keep the scenes in this folder")
    parser.add_argument("--robot", action="store_true", help="also run open/close episodes")
    parser.add_argument(
        "--reuse", action="store_true", help="keep scenes of --keep that have a scene.usda"
    )
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-articulation-"))
    rows = [
        bench_scene(root, env, seed, args.robot, args.reuse)
        for env in args.environments
        for seed in args.seeds
    ]
    print(f"{'scene':<12} designed found ok axis°  hinge-lim° slide-lim-m open close usd-fails")
    for row in rows:
        t = row["trials"]
        print(
            f"{row['scene']:<12} {row['designed']:>8} {row['found']:>5} {row['ok']:>2} "
            f"{row['max_axis_error_deg']:>5.1f} {row['max_hinge_limit_error_deg']:>10.1f} "
            f"{row['max_slide_limit_error_m']:>11.3f} {t['opened']:>2}/{t['attempts']:<2} "
            f"{t['closed']:>2}/{t['attempts']:<2} {','.join(row['usd_checks_failed']) or '-'}"
        )
    designed = sum(r["designed"] for r in rows)
    ok = sum(r["ok"] for r in rows)
    attempts = sum(r["trials"]["attempts"] for r in rows)
    closed = sum(r["trials"]["closed"] for r in rows)
    totals = {"designed": designed, "ok": ok, "attempts": attempts, "open_and_closed": closed}
    print(json.dumps(totals))
    failed = any(r["usd_checks_failed"] for r in rows)
    if args.robot:
        for row in rows:
            print(row["scene"], json.dumps(row["robot"]))
        robot = _robot_totals(rows)
        print(json.dumps({"robot": robot}))
        failed = failed or robot["successes"] < 0.8 * robot["attempts"]
    return int(failed or ok < designed or closed < 0.8 * attempts)


if __name__ == "__main__":
    sys.exit(main())
