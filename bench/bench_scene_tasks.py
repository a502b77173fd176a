"""Tasks per scene from the one tasks contract: candidates, the Panda's, Genie Sim's G2 and G1.

Usage:
    python bench/bench_scene_tasks.py [--scenes kitchen:61,office:62,...] [--workdir DIR]
                                      [--json PATH]

For each (environment, seed): generate the mock scene (default profile), run the pipeline
through `replicator` (which writes `replicator/scene_tasks.json`), then print
- candidates: robot-independent candidates in the contract, and its closed containers;
- panda: the tasks the episodes step keeps at rest (an `EpisodeSession` opened as the step
  opens it, MAX_TASKS 64: the contract's candidates through the robot filter, then the plan
  check);
- g2 / g1: the tasks the Genie Sim export keeps for that robot (MAX_TASKS 64), place tasks
  and pick-ups;
- drops: with `--robots`, for each robot why candidates give no task, counted per reason
  (`drop_reasons`: the feasibility filter's "not_free", "target_out_of_reach", "too_wide",
  "too_tall", "too_short", "goal_out_of_reach", "no_free_square", then the plan check's
  "not_graspable", "unreachable", "arm_collision"), and the manipulable objects without any
  candidate ("no_goal_fits": no receptacle they fit and no work surface);
- stations: with `--robots`, what the episodes step's station search did for that robot
  (`station_trace`: spots looked at and tried, refused per reason) and, per target its
  gripper holds that got no task from the mount or any station, the search's last word
  (`pick_stations.StationSearch.untasked`).
A scene whose build fails prints the error. Seeds are printed; pick ones nobody tuned on. To
compare with an older tree, run its own counting on the same scenes (`--workdir` keeps them).
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

ENVIRONMENTS = ("kitchen", "office", "warehouse")
DEFAULT_SCENES = ",".join(f"{e}:{s}" for e in ENVIRONMENTS for s in (61, 62, 63, 64))


def build(env: str, seed: int, workdir: Path) -> Path:
    """Generate a mock scene and run the pipeline through replicator (kept if built)."""
    scene = workdir / f"{env}_{seed}"
    if (scene / ".markers/replicator.complete.json").exists():
        return scene
    subprocess.run(
        [sys.executable, "-m", "fixtures.generate_mock_regen3d", "--scene-id", scene.name,
         "--output-dir", str(workdir), "--environment", env, "--seed", str(seed)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene),
         "--steps", "replicator"],
        check=True, capture_output=True, env={**os.environ, "RENDER_PREVIEW": "false"},
    )  # fmt: skip
    return scene


def count(scene: Path) -> dict[str, Any]:
    """The figures of one built scene."""
    from episode_generation_job.job import bundle_config
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.shard_work import _open_session
    from genie_sim_export_job.export import _exportable
    from genie_sim_export_job.tasks import select_tasks
    from tools.geniesim_format import genie_sim_robot
    from tools.scene_manifest import load_manifest
    from tools.tasks.scene_tasks import load_scene_tasks

    manifest = load_manifest(scene)
    contract = load_scene_tasks(scene, manifest)
    out: dict[str, Any] = {
        "scene": scene.name,
        "candidates": len(contract.candidates),
        "closed": len(contract.closed_containers),
    }
    settings = EpisodeSettings(CAMERAS="", MAX_TASKS=64, SCENE_ID=scene.name, SCENE_DIR=scene)
    try:
        session = _open_session(scene, settings, "mujoco", bundle_config(scene, settings))
        out["panda"] = len(session.tasks)
        session.close()
    except Exception as exc:  # a scene without a Panda task is a figure, not a crash
        out["panda"] = 0
        out["panda_note"] = str(exc).splitlines()[0][:80]
    for robot_id in ("G2", "G1"):
        robot = genie_sim_robot(robot_id)
        _, exportable = _exportable(manifest, contract, robot)
        selection = select_tasks(manifest, contract, exportable, robot, max_tasks=64)
        picks = sum(t.goal_id is None for t in selection.tasks)
        out[robot_id.lower()] = f"{len(selection.tasks) - picks}+{picks}"
    return out


def drop_reasons(scene: Path, robot: str) -> dict[str, int]:
    """Why the scene's candidates give `robot` no task, counted per reason (see the module
    doc), plus "task:<skill>" (the tasks kept, by skill) and "no_goal_fits" (objects without
    a candidate)."""
    from collections import Counter

    from episode_generation_job.backends import open_backend
    from episode_generation_job.backends.base import EpisodeInit
    from episode_generation_job.episode_session import _SETTLE_FRAMES, arm_limits
    from episode_generation_job.rollout import plan_attempt
    from tools.scene_layout import SCENE_USD_PATH
    from tools.scene_manifest import SimRole, load_manifest
    from tools.sim.robots.kinematics import ArmKinematics
    from tools.tasks.feasibility import feasible_tasks
    from tools.tasks.rest_scene import scene_rims
    from tools.tasks.scene_tasks import load_scene_tasks

    manifest = load_manifest(scene)
    contract = load_scene_tasks(scene, manifest)
    backend = open_backend("mujoco", scene / SCENE_USD_PATH, manifest, None, robot=robot)
    try:
        arm = backend.robot
        free = backend.free_objects()
        poses = {o: backend.object_pose(o) for o in free}
        backend.reset(EpisodeInit(poses, arm.home_qpos, arm.open_width))
        for _ in range(_SETTLE_FRAMES):
            backend.step(arm.home_qpos, arm.open_width)
        rims = scene_rims(scene, manifest)
        dropped: dict[str, str] = {}
        tasks = feasible_tasks(
            contract, manifest, backend.robot_base, free_objects=free,
            limits=arm_limits(arm.description), max_tasks=10_000, dropped=dropped,
            rims={oid: rims[oid] for oid in contract.rim_objects if oid in rims},
        )  # fmt: skip
        kinematics = ArmKinematics(arm, backend.robot_base.position, backend.robot_base.quat_wxyz)
        counts = Counter(dropped.values())
        for task in tasks:
            verdict = plan_attempt(backend, kinematics, task, arm.open_width)
            counts[verdict if isinstance(verdict, str) else f"task:{task.skill}"] += 1
    finally:
        backend.close()
    with_candidate = {c.target_id for c in contract.candidates}
    counts["no_goal_fits"] = sum(
        o.sim_role is SimRole.MANIPULABLE and o.id not in with_candidate for o in manifest.objects
    )
    return dict(sorted(counts.items()))


def station_trace(scene: Path, robot: str) -> dict[str, Any]:
    """The episodes step's station search for `robot` (a session opened as the step opens
    it, MAX_TASKS 64): spots looked at and tried, refusals, targets left without a task."""
    from episode_generation_job.job import bundle_config
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.shard_work import _open_session

    settings = EpisodeSettings(
        CAMERAS="", MAX_TASKS=64, SCENE_ID=scene.name, SCENE_DIR=scene, ROBOT=robot
    )
    session = _open_session(scene, settings, "mujoco", bundle_config(scene, settings))
    try:
        search = session.station_search
        return {
            "tasks": len(session.tasks),
            "stations": len(set(session.task_bases)) - 1,
            "looked": search.looked,
            "tried": search.tried,
            "refused": dict(sorted(search.refused.items())),
            "untasked": dict(search.untasked),
        }
    finally:
        session.close()


def main() -> None:
    """Parse arguments, build and count every scene, print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default=DEFAULT_SCENES)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--robots", default="", help="ROBOT values: print their drop reasons")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_scene_tasks_"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    print("scene          candidates closed panda  g2(place+pick) g1(place+pick)")
    for item in args.scenes.split(","):
        env, seed = item.split(":")
        try:
            row = count(build(env, int(seed), workdir))
        except subprocess.CalledProcessError as exc:
            row = {"scene": f"{env}_{seed}", "error": (exc.stderr or b"")[-200:].decode()}
        rows.append(row)
        if "error" in row:
            print(f"{row['scene']:<14} build failed: {row['error']}")
            continue
        print(
            f"{row['scene']:<14} {row['candidates']:>10} {row['closed']:>6} {row['panda']:>5}"
            f"  {row['g2']:>14} {row['g1']:>14}  {row.get('panda_note', '')}",
            flush=True,
        )
        for robot in filter(None, args.robots.split(",")):
            row[f"drops_{robot}"] = drops = drop_reasons(workdir / row["scene"], robot)
            print(f"    {robot:<13} " + ", ".join(f"{k} {v}" for k, v in drops.items()))
            row[f"stations_{robot}"] = trace = station_trace(workdir / row["scene"], robot)
            print(f"    {'':<13} stations: " + ", ".join(f"{k} {v}" for k, v in trace.items()))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
