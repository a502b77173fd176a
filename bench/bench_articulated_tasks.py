"""Articulated tasks of built scenes, in one process: stations, then one attempt per task.

Usage:
    python bench/bench_articulated_tasks.py SCENE_DIR [SCENE_DIR ...]

A quicker companion of `bench_articulated_episodes.py` (which runs the whole episodes step:
pick-and-place slots, retries, shards, the dataset): for scenes already built through the
replicator (e.g. that bench's `--workdir`), the episodes step's `ArticulatedTasks` derives the
open/close and place_in_drawer tasks and their stations (with the clearance check), then each
task with a station is attempted once from it and judged as in the step. Prints per scene the
tasks derived, those refused with their reason, the search's seconds, one line per attempt and
a tally per skill, then the totals and the load average.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

from episode_generation_job.articulated_session import ArticulatedTasks
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.tasks.articulated import derive_articulated_tasks


def bench_scene(scene: Path, totals: Counter[str]) -> None:
    """Stations and one attempt per task of one scene; adds to `totals`."""
    manifest = load_manifest(scene)
    usd = scene / SCENE_USD_PATH
    probe = MujocoBackend(scene_from_usd(usd, manifest), None)
    boxes = probe.object_boxes()
    probe.close()
    started = time.monotonic()
    tasks = ArticulatedTasks(usd, manifest, boxes, None, 64)
    derived = len(derive_articulated_tasks(manifest))
    drawers = sum(1 for t in tasks.tasks if t.skill == "place_in_drawer")
    drawers += sum(1 for k in tasks.refused if k.endswith("/place_in_drawer"))
    moving_refused = sum(1 for k in tasks.refused if not k.endswith("/place_in_drawer"))
    totals.update({"open_close_derived": derived, "open_close_refused": moving_refused,
                   "drawers": drawers})  # fmt: skip
    print(f"{scene.name}: open/close derived {derived}, drawers {drawers}, refused "
          f"{tasks.refused}, search {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    try:
        for task in tasks.tasks:
            record = tasks.attempt(task, 0, render=False)
            ok = record.verdict.success
            totals[f"{task.skill}:{'ok' if ok else 'failed'}"] += 1
            print(f"  {task.task_id} {task.skill} {ok} {record.verdict.reason}", flush=True)
    finally:
        tasks.close()


def main(argv: list[str]) -> int:
    """Run every scene given and print the totals."""
    totals: Counter[str] = Counter()
    for scene in map(Path, argv):
        bench_scene(scene, totals)
    print(dict(sorted(totals.items())))
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
