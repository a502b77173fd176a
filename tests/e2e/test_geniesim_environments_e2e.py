"""Every mock environment exports Genie Sim tasks for G1 and G2 through the runner CLI (exit 0);
with GENIE_SIM_SRC set, Genie Sim's own loaders and data filter accept each task."""

# Slow (simready on two or three fresh scenes, ~1-2 min each on 2 cores), hence e2e. The
# kitchen is also covered by the fast tests in tests/geniesim; the office and the warehouse
# (whose shelves and bins made the export fail before) are not.


from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.generate_mock_regen3d import generate_mock_scene
from genie_sim_export_job.validation import export_problems
from tools.geniesim_format import SUPPORTED_ROBOTS

pytestmark = pytest.mark.e2e

CHECK = Path(__file__).resolve().parents[1] / "geniesim" / "geniesim_upstream_check.py"
SEED = 7


def _export(scene: Path, robot: str) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene),
         "--steps", "geniesim-export"],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "GENIESIM_ROBOT": robot, "RENDER_PREVIEW": "false"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    # Only the export's own validation: the earlier steps' checks are other tests' business.
    assert export_problems(scene / "geniesim/export") == []
    index: dict[str, object] = json.loads((scene / "geniesim/export/asset_index.json").read_text())
    return index


def _upstream(scene: Path, work: Path) -> dict[str, dict[str, object]] | None:
    source = os.environ.get("GENIE_SIM_SRC")
    if not source:
        return None
    root = Path(source) / "source" / "data_collection"
    run = subprocess.run(
        [sys.executable, str(CHECK), str(root), str(scene / "geniesim/export"), str(work)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    line = [s for s in run.stdout.splitlines() if s.startswith("GENIESIM-CHECK ")][-1]
    report = json.loads(line.removeprefix("GENIESIM-CHECK "))
    assert "error" not in report, report["error"]
    tasks: dict[str, dict[str, object]] = report["tasks"]
    return tasks


@pytest.mark.parametrize("environment", ["office", "warehouse"])
def test_environment_exports_tasks_genie_sim_accepts(tmp_path: Path, environment: str) -> None:
    """Exit 0 and at least one task for G1 and for G2; with Genie Sim's code at hand, every
    task is laid out, loaded, and its task_metric passes done and fails not done."""
    scene = generate_mock_scene(f"gs_{environment}", tmp_path, environment=environment, seed=SEED)
    for robot in SUPPORTED_ROBOTS:
        index = _export(scene, robot)
        tasks = index["tasks"]
        assert isinstance(tasks, list) and tasks, (environment, robot)
        work = tmp_path / f"work_{robot}"
        work.mkdir()
        report = _upstream(scene, work)
        if report is not None:
            assert len(report) == len(tasks)
            for name, task in report.items():
                assert task["generated"] and task["check_task_file"], (robot, name)
                assert task["metric_done"] and not task["metric_not_done"], (robot, name)
        shutil.rmtree(work)
