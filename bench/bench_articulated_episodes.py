"""Open/close episodes in the episodes step: attempts and successes per skill on mock scenes.

Usage:
    python bench/bench_articulated_episodes.py [--scenes kitchen:71,kitchen:72] [--workdir DIR]
                                               [--reuse] [--json PATH]

For each scene: generate it with the mock generator (`--appliances`: fridges, ovens,
dishwashers, cabinets with doors and drawers), run the pipeline through the replicator, count
the tasks the episodes step's session derives with ARTICULATED_TASKS=true (pick-and-place, then
open/close, then place_in_drawer: one per drawer that a station reaches with an object), and
run `tools.run_local_pipeline --steps episodes --validate` with
ARTICULATED_TASKS=true, MAX_TASKS 64 (every task), one slot per task (NUM_EPISODES = tasks),
no cameras and MIN_SUCCESS_RATE 0. Prints per skill: slots, attempts (retries included:
MAX_ATTEMPTS, default 3) and successes from the shards' summaries and the published dataset,
the step's validation, and totals over the scenes: per skill with the tasks dropped for want of
a station and the station search's seconds per task, and all open/close skills together (also
counting the dropped tasks as failed attempts), with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fixtures.mock_regen3d.generator import generate_mock_scene
from tools.tasks.skills import ARTICULATED_SKILLS, PLACE_IN_DRAWER

MAX_TASKS = 64  # every task of the scene (the step's default keeps 8 of each kind)
SETTINGS = {"ARTICULATED_TASKS": "true", "CAMERAS": "", "MIN_SUCCESS_RATE": "0",
            "MAX_TASKS": str(MAX_TASKS)}  # fmt: skip


def _pipeline(scene: Path, steps: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene)]
    return subprocess.run(
        [*command, "--steps", steps, "--validate"],
        capture_output=True, text=True, env={**os.environ, **env},
    )  # fmt: skip


def slot_skills(scene: Path) -> tuple[list[str], dict[str, int], dict[str, list[float]]]:
    """The skill of each task the step's session gives the slots, in slot order, the
    open/close tasks it dropped for want of a station, by skill and reason, and the seconds
    each open/close task's station search took, by skill."""
    from episode_generation_job.job import bundle_config
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.shard_work import _open_session
    from tools.scene_manifest import load_manifest
    from tools.tasks.articulated import derive_articulated_tasks

    settings = EpisodeSettings(
        CAMERAS="",
        SCENE_ID=scene.name,
        SCENE_DIR=scene,
        ARTICULATED_TASKS=True,
        MAX_TASKS=MAX_TASKS,
    )
    session = _open_session(scene, settings, "mujoco", bundle_config(scene, settings))
    try:
        dropped: Counter[str] = Counter()
        search: dict[str, list[float]] = {}
        if session.articulated is not None:
            skill = {t.task_id: t.skill for t in derive_articulated_tasks(load_manifest(scene))}
            for task_id, reason in session.articulated.refused.items():
                # A drawer without a placement task: `<object>/<joint>/place_in_drawer`.
                name = skill.get(task_id) or task_id.rsplit("/", 1)[-1]
                dropped[f"{name}:{reason}"] += 1
            for task_id, log in session.articulated.searches.items():
                search.setdefault(skill[task_id], []).append(round(log.seconds, 2))
            for log in session.articulated.placement_searches.values():
                search.setdefault(PLACE_IN_DRAWER, []).append(round(log.seconds, 2))
        return [task.skill for task in session.slot_tasks], dict(dropped), search
    finally:
        session.close()


def _per_skill(scene: Path, skills: list[str]) -> dict[str, dict[str, int]]:
    """slots / attempts / successes per skill from the shard summaries of the run (the
    shards' failed attempts and given-up slots together: each slot is counted once)."""
    table: dict[str, Counter[str]] = {}
    summaries = sorted((scene / "episodes").rglob("summary.json"))
    if summaries:  # the latest run's shards only (a run folder per fingerprint)
        latest = max(summaries, key=lambda p: p.stat().st_mtime).parents[1]
        summaries = [p for p in summaries if p.parents[1] == latest]
    failed: Counter[str] = Counter()
    given_up: set[str] = set()
    ran = False
    for path in summaries:
        summary = json.loads(path.read_text())
        if "failed_attempts" not in summary:
            continue
        ran = True
        failed.update(key.split("/")[0] for key in summary["failed_attempts"])
        given_up.update(summary.get("given_up", []))
    kept = _kept_skills(scene)
    for slot in range(len(skills) if ran else 0):
        key = f"ep-{slot:06d}"
        succeeded = key not in given_up and key in kept
        if not (succeeded or failed[key] or key in given_up):
            continue
        # A kept episode names its skill; a given-up slot's is the session's slot order.
        row = table.setdefault(kept.get(key) or skills[slot % len(skills)], Counter())
        row["slots"] += 1
        row["attempts"] += failed[key] + int(succeeded)
        row["successes"] += int(succeeded)
    return {skill: dict(row) for skill, row in sorted(table.items())}


def _kept_skills(scene: Path) -> dict[str, str]:
    """Episode key -> skill of every episode in the published dataset."""
    from tools.lerobot import open_dataset

    root = scene / "episodes/lerobot"
    if not (root / "meta/info.json").is_file():
        return {}
    contents = open_dataset(root)
    out = {}
    for row in contents.episodes:
        metadata = contents.extra_metadata(row)
        out[str(metadata["episode_key"])] = str(metadata.get("skill", ""))
    return out


def bench_scene(workdir: Path, environment: str, seed: int, reuse: bool) -> dict[str, Any]:
    """Generate, build and run one scene; its per-skill figures."""
    scene_id = f"{environment}_{seed}"
    scene = workdir / scene_id
    if not (reuse and (scene / "replicator").is_dir()):
        generate_mock_scene(scene_id, workdir, environment, seed=seed, appliances=True)
        built = _pipeline(scene, "replicator", {})
        if built.returncode != 0:
            return {"scene": scene_id, "error": built.stderr.strip().splitlines()[-1:]}
    skills, dropped, search = slot_skills(scene)
    started = time.monotonic()
    run = _pipeline(scene, "episodes", {**SETTINGS, "NUM_EPISODES": str(len(skills))})
    (scene / "bench_articulated.log").write_text(run.stdout + run.stderr)
    report_path = scene / "reports/validation_report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    validation = (report.get("steps", {}).get("episodes") or {}).get("ok")
    return {
        "scene": scene_id,
        "tasks": dict(Counter(skills)),
        "no_station": dropped,
        "search_seconds": search,
        "skills": _per_skill(scene, skills),
        "validation_ok": validation,
        "returncode": run.returncode,
        "seconds": round(time.monotonic() - started, 1),
    }


def _search_line(seconds: list[float]) -> str:
    """Station search seconds per task: mean and max."""
    if not seconds:
        return ""
    return f"  search s/task mean {sum(seconds) / len(seconds):5.1f} max {max(seconds):5.1f}"


def _tasks_succeeded(rows: list[dict[str, Any]]) -> int:
    """Open/close tasks with a successful attempt (a slot per task: successes per skill)."""
    return sum(
        figures.get("successes", 0)
        for row in rows
        for skill, figures in row.get("skills", {}).items()
        if skill in ARTICULATED_SKILLS
    )


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print one JSON line per scene, then the totals per skill."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenes", default="kitchen:71,kitchen:72")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep built scenes of --workdir")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_articulated_"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for entry in args.scenes.split(","):
        environment, seed = entry.split(":")
        row = bench_scene(workdir, environment, int(seed), args.reuse)
        print(json.dumps(row, sort_keys=True), flush=True)
        rows.append(row)
    totals: dict[str, Counter[str]] = {}
    searches: dict[str, list[float]] = {}
    for row in rows:
        for skill, seconds in row.get("search_seconds", {}).items():
            searches.setdefault(skill, []).extend(seconds)
        for skill, figures in row.get("skills", {}).items():
            totals.setdefault(skill, Counter()).update(figures)
        for key, count in row.get("no_station", {}).items():
            totals.setdefault(key.split(":")[0], Counter())["no_station"] += count
    for skill, figures in sorted(totals.items()):
        print(
            f"{skill:16s} slots {figures['slots']:3d}  attempts {figures['attempts']:3d}  "
            f"successes {figures['successes']:3d}  tasks without a station "
            f"{figures['no_station']:3d}{_search_line(searches.get(skill, []))}"
        )
    moving: Counter[str] = Counter()
    for skill in ARTICULATED_SKILLS:
        moving.update(totals.get(skill, Counter()))
    if moving["attempts"]:
        tasks = moving["slots"] + moving["no_station"]
        print(
            f"open/close: {moving['successes']}/{moving['attempts']} attempts "
            f"({100 * moving['successes'] / moving['attempts']:.0f} %), "
            f"{moving['slots']} tasks run, {moving['no_station']} without a station; "
            f"counting those as failures {moving['successes']}/"
            f"{moving['attempts'] + moving['no_station']} "
            f"({100 * moving['successes'] / (moving['attempts'] + moving['no_station']):.0f} %), "
            f"tasks succeeded {_tasks_succeeded(rows)}/{tasks}"
        )
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
