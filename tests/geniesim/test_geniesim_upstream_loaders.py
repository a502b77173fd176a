"""Genie Sim's own task and asset loaders accept the export (needs GENIE_SIM_SRC, else skipped)."""

# Set GENIE_SIM_SRC to a checkout of AgibotTech/genie_sim (v3.2.0, commit 0e659ad) or to its
# `source/data_collection` folder; the check runs Genie Sim's code from there, in a subprocess.


from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).with_name("geniesim_upstream_check.py")


def _data_collection() -> Path | None:
    source = os.environ.get("GENIE_SIM_SRC")
    if not source:
        return None
    for candidate in (Path(source) / "source" / "data_collection", Path(source)):
        if (candidate / "client" / "layout" / "task_generate.py").is_file():
            return candidate
    return None


def test_genie_sim_lays_out_and_loads_every_task(exported_scene: Path, tmp_path: Path) -> None:
    """TaskGenerator lays each task out; check_task_file, load_task_solution, the pick and place
    stages and get_aligned_pose accept it; the placed object lands on the goal's support point;
    Genie Sim's DataFilter passes the task_metric with the task done and fails it otherwise."""
    source = _data_collection()
    if source is None:
        pytest.skip("GENIE_SIM_SRC does not point at a Genie Sim checkout")
    export = exported_scene / "geniesim" / "export"
    run = subprocess.run(
        [sys.executable, str(CHECK), str(source), str(export), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [s for s in run.stdout.splitlines() if s.startswith("GENIESIM-CHECK ")]
    line = lines[-1] if lines else None
    assert line is not None, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(line.removeprefix("GENIESIM-CHECK "))
    assert "error" not in report, report["error"]
    assert report["tasks"]
    for name, task in report["tasks"].items():
        assert task["generated"], name
        assert task["check_task_file"], name
        assert task["pick_grasps"] > 0, name
        assert task["metric_done"] and not task["metric_not_done"], name
        if "place" in task["actions"]:
            assert task["place_error_m"] < 1e-6 and task["placed_upright"], name
