"""Skills bench: tasks per scene and success rate on fresh mock scenes, with the truth re-judge.

Usage:
    python bench/bench_skills.py [--scenes kitchen:41,office:42,...] [--profiles fast,realistic]
                                 [--robots franka_panda,xarm6] [--episodes N] [--workdir DIR]
                                 [--json PATH] [--reuse]

For each (environment, seed, profile): generate the mock scene, run the pipeline through
`episodes` without cameras (bench_episode_truth's runner: `--validate`, MIN_SUCCESS_RATE 0),
then print
- tasks: the tasks the episodes step derives at rest (an `EpisodeSession` opened on the scene
  the pipeline built, MAX_TASKS 64), and the skills among them (`PickPlaceTask.skill`:
  place_on, place_in, stack, place_at_height; "top_pick" for code that predates skills);
- attempts, successes, rate and failure reasons from `reports/episodes_summary.json`, and per
  skill (each slot's task is the step's own: a session with the step's MAX_TASKS, slot i runs
  task i mod n; a slot not given up ended in one success);
- false successes: kept episodes the independent dataset-only check of bench_episode_truth
  refuses (must be 0).
- CPU per attempt (`--timed N` attempts re-run per scene on a fresh session): planning (layout
  draws, resets, grasp/IK planning, collision checks, judging), physics (the control steps)
  and the raw `mj_step` CPU of as many bare steps; episode CPU / raw is the speed target
  (at most 1.5x, planning excluded).
With several `--robots` each scene is built once (with the first robot) and copied for the
others, whose episodes step runs with `ROBOT=<robot>`; a summary per environment and robot
follows (tasks, skills, attempts, successes, failure reasons, episodes per hour of the step's
wall time). Seeds are printed; pick ones nobody tuned on. Run it on two trees (before/after)
to compare; `--from DIR` copies the scenes another run built there and reruns only the
episodes step, so both trees judge the same simready/usd/replicator outputs (and the bench
takes minutes, not an hour, on a busy machine); scenes `DIR` lacks are generated. With
`--retask` the copied scenes' `replicator/scene_tasks.json` is written again from their
settled stage (the replicator's own function) before the episodes step, for changes to the
task candidates.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("truth", _HERE / "bench_episode_truth.py")
assert _spec is not None and _spec.loader is not None
truth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(truth)

DEFAULT_SCENES = ",".join(f"{e}:{s}" for e in truth.ENVIRONMENTS for s in (41, 42, 43))


def derived_tasks(
    scene: Path, robot: str = "franka_panda", max_tasks: int | None = 64
) -> list[dict[str, str]]:
    """The tasks the episodes step derives on a built scene with `robot` (id and skill), in
    slot order (`max_tasks` None: the step's own MAX_TASKS)."""
    from episode_generation_job.job import bundle_config
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.shard_work import _open_session

    cap = {} if max_tasks is None else {"MAX_TASKS": max_tasks}
    settings = EpisodeSettings(CAMERAS="", SCENE_ID=scene.name, SCENE_DIR=scene, ROBOT=robot, **cap)
    session = _open_session(scene, settings, "mujoco", bundle_config(scene, settings))
    try:
        return [
            {"task_id": t.task_id, "skill": str(getattr(t, "skill", "top_pick"))}
            for t in getattr(session, "slot_tasks", session.tasks)
        ]
    finally:
        session.close()


def per_skill(scene: Path, summary: dict[str, Any], robot: str) -> dict[str, list[int]]:
    """Skill -> [successes, attempts] of the step's run, its slots mapped to their tasks."""
    slots = derived_tasks(scene, robot, max_tasks=None)
    failed: Counter[int] = Counter()
    for shard in summary.get("shards", []):
        for key in shard.get("failed_attempts", {}):
            failed[int(key.split("/")[0].removeprefix("ep-"))] += 1
    given_up = {int(k.removeprefix("ep-")) for k in summary.get("given_up", [])}
    out: dict[str, list[int]] = {}
    for slot in range(int(summary.get("requested_episodes", 0))):
        counts = out.setdefault(slots[slot % len(slots)]["skill"], [0, 0])
        succeeded = slot not in given_up
        counts[0] += int(succeeded)
        counts[1] += failed[slot] + int(succeeded)
    return out


def attempt_timing(scene: Path, robot: str, attempts: int) -> dict[str, float]:
    """CPU seconds per attempt of the first `attempts` slots, run again on a fresh session.

    `physics_s` is the CPU inside the backend's control steps, `raw_step_s` the CPU of as many
    bare `mj_step` calls on the same model, `plan_s` the rest of an attempt (layout draws,
    resets, grasp and IK planning, collision checks, judging). Empty without tasks.
    """
    import mujoco

    from episode_generation_job.job import bundle_config
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.shard_work import _open_session

    settings = EpisodeSettings(CAMERAS="", SCENE_ID=scene.name, SCENE_DIR=scene, ROBOT=robot)
    session = _open_session(scene, settings, "mujoco", bundle_config(scene, settings))
    try:
        backend: Any = session.backend
        physics = [0.0]
        step = backend.step

        def timed_step(*args: Any) -> None:
            started = time.process_time()
            step(*args)
            physics[0] += time.process_time() - started

        backend.step = timed_step
        count = min(attempts, len(session.slot_tasks))
        total, steps = 0.0, 0
        for slot in range(count):
            before, started = backend.physics_steps, time.process_time()
            session.attempt(slot, 0, 0, render=False)
            total += time.process_time() - started
            steps += backend.physics_steps - before
        if not count:
            return {}
        started = time.process_time()
        for _ in range(steps):
            mujoco.mj_step(backend.model, backend.data)
        raw = time.process_time() - started
        return {
            "plan_s": round((total - physics[0]) / count, 3),
            "physics_s": round(physics[0] / count, 3),
            "raw_step_s": round(raw / count, 3),
        }
    finally:
        session.close()


def _copy_built(source: Path, scene: Path) -> None:
    """A copy of a scene another run built, without its episodes outputs and markers."""
    shutil.copytree(source, scene, symlinks=True)
    for path in ("episodes", "reports/episodes_summary.json", "bench_run.log"):
        target = scene / path
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for marker in (scene / ".markers").glob("episodes.*"):
        marker.unlink()


def retask(scene: Path) -> None:
    """Write `replicator/scene_tasks.json` again from the scene's settled stage."""
    from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
    from tools.scene_layout import SCENE_USD_PATH
    from tools.scene_manifest import load_manifest
    from tools.tasks.rest_scene import scene_tasks_at_rest
    from tools.tasks.scene_tasks import save_scene_tasks

    geometry = read_object_geometry(open_scene_stage(scene / SCENE_USD_PATH))
    hulls = {g.object_id: g.hulls for g in geometry}
    tasks = scene_tasks_at_rest(scene, load_manifest(scene), hulls, generator="replicator-job")
    save_scene_tasks(scene, tasks)


def run_scene(
    env: str,
    seed: int,
    profile: str,
    workdir: Path,
    episodes: int,
    reuse: bool,
    built: Path | None = None,
    robot: str = "franka_panda",
    timed: int = 0,
    retasked: bool = False,
) -> dict[str, Any]:
    """Generate (or copy from `built`), run the episodes step, count tasks, re-judge a scene."""
    scene_id = f"{env}_{seed}_{profile}"
    scene = workdir / scene_id
    out: dict[str, Any] = {"scene": scene_id, "env": env, "robot": robot}
    if built is not None and not (built / scene_id).is_dir():
        built = None  # not built there: generate it
    if built is not None and not scene.exists():
        _copy_built(built / scene_id, scene)
        if retasked:
            retask(scene)
    if not (reuse and (scene / "bench_run.log").exists()):
        if built is None:
            subprocess.run(
                [sys.executable, "-m", "fixtures.generate_mock_regen3d", "--scene-id", scene_id,
                 "--output-dir", str(workdir), "--environment", env, "--seed", str(seed),
                 "--profile", profile],
                check=True, capture_output=True,
            )  # fmt: skip
        settings = {
            "NUM_EPISODES": str(episodes), "CAMERAS": "", "MIN_SUCCESS_RATE": "0", "ROBOT": robot
        }  # fmt: skip
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene),
             "--steps", "episodes", "--validate"],
            capture_output=True, text=True, env={**os.environ, **settings},
        )  # fmt: skip
        (scene / "bench_run.log").write_text(run.stdout + run.stderr)
        out["seconds"] = round(time.monotonic() - started, 1)
    try:
        tasks = derived_tasks(scene, robot)
    except Exception as exc:  # a scene without tasks is a figure, not a crash
        tasks = []
        out["task_error"] = str(exc).splitlines()[0][:120]
    out["tasks"] = len(tasks)
    out["skills"] = dict(Counter(t["skill"] for t in tasks))
    summary_path = scene / "reports/episodes_summary.json"
    if not summary_path.exists():
        out["error"] = truth._failure(scene)
        return out
    summary = json.loads(summary_path.read_text())
    out["step_wall_s"] = summary.get("wall_seconds")
    out["attempt_s"] = summary.get("attempt_seconds")
    if tasks:
        out["per_skill"] = per_skill(scene, summary, robot)
        out["timing"] = attempt_timing(scene, robot, timed)
    judged: dict[str, Any] = truth._judge_scene(scene, out)
    return judged


def _skill_rates(rows: list[dict[str, Any]]) -> str:
    """Per skill "successes/attempts" summed over rows."""
    total: dict[str, list[int]] = {}
    for r in rows:
        for skill, (succ, att) in r.get("per_skill", {}).items():
            counts = total.setdefault(skill, [0, 0])
            counts[0] += succ
            counts[1] += att
    return ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(total.items())) or "-"


_TIMES = ("plan_s", "physics_s", "raw_step_s")


def _print_by_robot(results: list[dict[str, Any]]) -> None:
    """Per environment and robot: tasks, skills, attempts, successes, reasons, episodes/hour."""
    print(f"{'env':<10}{'robot':<14}{'scenes':>7}{'tasks':>6}{'att':>5}{'succ':>6}{'rate':>6}"
          f"{'ep/h':>7}  skills | failure reasons")  # fmt: skip
    keys = sorted({(r["env"], r["robot"]) for r in results})
    for env, robot in keys:
        rows = [r for r in results if (r["env"], r["robot"]) == (env, robot)]
        ran = [r for r in rows if "error" not in r]
        att = sum(r["attempts"] for r in ran)
        succ = sum(r["successes"] for r in ran)
        wall = sum(r.get("step_wall_s") or 0.0 for r in ran)
        reasons: Counter[str] = Counter()
        skills: Counter[str] = Counter()
        for r in rows:
            reasons.update(r.get("reasons", {}))
            skills.update(r.get("skills", {}))
            if "error" in r:
                reasons["step_failed"] += 1
        per_hour = f"{3600 * succ / wall:.0f}" if wall else "-"
        print(
            f"{env:<10}{robot:<14}{len(rows):>7}{sum(r['tasks'] for r in rows):>6}{att:>5}"
            f"{succ:>6}{succ / att if att else 0:>6.0%}{per_hour:>7}  "
            f"{','.join(f'{k}:{v}' for k, v in sorted(skills.items())) or '-'} | "
            f"{', '.join(f'{k} {v}' for k, v in sorted(reasons.items())) or '-'}"
        )
        print(f"{'':<24}per skill (successes/attempts): {_skill_rates(ran)}")
        timed = [r["timing"] for r in rows if r.get("timing")]
        false = sum(r.get("false_successes", 0) for r in ran)
        if timed:
            plan, physics, raw = (sum(t[k] for t in timed) / len(timed) for k in _TIMES)
            print(
                f"{'':<24}false successes {false}; CPU per attempt: planning {plan:.2f} s, "
                f"physics {physics:.2f} s, raw mj_step {raw:.2f} s "
                f"(episode CPU/raw {physics / raw if raw else 0:.2f}x, {len(timed)} scenes)"
            )


def _print(results: list[dict[str, Any]]) -> None:
    head = f"{'scene':<24}{'tasks':>6}{'att':>5}{'succ':>6}{'rate':>6}{'false':>6}"
    print(head + "  skills | failures")
    for r in results:
        skills = ",".join(f"{k}:{v}" for k, v in sorted(r.get("skills", {}).items())) or "-"
        label = f"{r['scene']} {r.get('robot', '')[:6]}"
        if "error" in r:
            print(f"{label:<24}{r['tasks']:>6}  -- {skills} | {r['error'][:80]}")
            continue
        rate = r["successes"] / r["attempts"] if r["attempts"] else 0.0
        reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items()) or "-"
        print(
            f"{label:<24}{r['tasks']:>6}{r['attempts']:>5}{r['successes']:>6}{rate:>6.0%}"
            f"{r['false_successes']:>6}  {skills} | {reasons}"
        )
        for line in r["false_detail"]:
            print(f"    false success: {line}")
    for profile in sorted({r["scene"].rsplit("_", 1)[1] for r in results}):
        rows = [r for r in results if r["scene"].endswith(profile)]
        ran = [r for r in rows if "error" not in r]
        att = sum(r["attempts"] for r in ran)
        succ = sum(r["successes"] for r in ran)
        with_tasks = sum(r["tasks"] > 0 for r in rows)
        seen = sorted({s for r in rows for s in r.get("skills", {})})
        print(
            f"{profile}: {with_tasks}/{len(rows)} scenes with tasks, "
            f"{sum(r['tasks'] for r in rows)} tasks, {len(seen)} skills {seen}, {succ}/{att} "
            f"attempts succeeded ({succ / att if att else 0:.0%}), "
            f"{sum(r.get('false_successes', 0) for r in ran)} false successes; "
            f"per skill (successes/attempts): {_skill_rates(ran)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenes", default=DEFAULT_SCENES, help="env:seed,...")
    parser.add_argument("--profiles", default="fast", help="fast,realistic")
    parser.add_argument("--robots", default="franka_panda", help="ROBOT values, comma-separated")
    parser.add_argument("--episodes", type=int, default=8, help="NUM_EPISODES per scene")
    parser.add_argument("--workdir", type=Path, help="keep scenes here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--reuse", action="store_true", help="re-count scenes already run")
    parser.add_argument("--from", dest="built", type=Path, help="copy scenes built there")
    parser.add_argument(
        "--retask", action="store_true", help="with --from: rewrite the copies' task contracts"
    )
    parser.add_argument(
        "--timed", type=int, default=2, help="attempts per scene timed for plan/physics CPU"
    )
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_skills_"))
    workdir.mkdir(parents=True, exist_ok=True)
    robots = args.robots.split(",")
    print(f"scenes {args.scenes} profiles {args.profiles} robots {robots} in {workdir}", flush=True)
    results = []
    for profile in args.profiles.split(","):
        for item in args.scenes.split(","):
            env, seed = item.split(":")
            for index, robot in enumerate(robots):
                # Several robots: one folder each; the first builds, the others copy its scene.
                where = workdir / robot if len(robots) > 1 else workdir
                where.mkdir(parents=True, exist_ok=True)
                built = args.built if index == 0 else workdir / robots[0]
                result = run_scene(
                    env,
                    int(seed),
                    profile,
                    where,
                    args.episodes,
                    args.reuse,
                    built,
                    robot,
                    args.timed,
                    args.retask and index == 0,
                )
                results.append(result)
                shown = {k: v for k, v in result.items() if k != "false_detail"}
                print(json.dumps(shown), flush=True)
    _print(results)
    _print_by_robot(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if sum(r.get("false_successes", 0) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
