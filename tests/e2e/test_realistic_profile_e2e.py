"""End to end on realistic 3D-RE-GEN-like input: a dense, seam-split, tilted kitchen -> usd step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.mock_regen3d import generate_mock_scene
from regen3d_ingest_job.evaluation import evaluate_scene

pytestmark = pytest.mark.e2e

DENSITY = 0.1  # ~3,000 triangles per object: the same defects, a tenth of the work


@pytest.fixture(scope="module")
def realistic_kitchen(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """One realistic kitchen run through the local runner up to the usd step (validated)."""
    out = tmp_path_factory.mktemp("e2e-realistic")
    scene = generate_mock_scene(
        "real_kitchen", out, "kitchen", seed=3, profile="realistic", density=DENSITY
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.run_local_pipeline",
            "--scene-dir",
            str(scene),
            "--steps",
            "usd",
            "--validate",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "SIMREADY_CACHE_DIR": str(out / "hull-cache")},
    )
    assert proc.stdout, proc.stderr[-3000:]
    return scene, json.loads(proc.stdout)


def test_steps_complete(realistic_kitchen: tuple[Path, dict[str, object]]) -> None:
    """regen3d, simready and usd complete on realistic input."""
    _, summary = realistic_kitchen
    steps = summary["steps"]
    assert isinstance(steps, dict)
    statuses = {name: steps[name]["status"] for name in ("regen3d", "simready", "usd")}
    assert statuses == dict.fromkeys(statuses, "completed"), json.dumps(steps)[:3000]


def test_no_ground_truth_object_is_lost(realistic_kitchen: tuple[Path, dict[str, object]]) -> None:
    """Every object of the ground truth reaches the manifest (seam-split meshes included)."""
    scene, _ = realistic_kitchen
    assert evaluate_scene(scene).missing == ()


def test_scene_has_a_floor_collider(realistic_kitchen: tuple[Path, dict[str, object]]) -> None:
    """usd/scene.usda has a static collider whose top is the floor (z = 0)."""
    from pxr import Usd

    from tools.sim.usd_completion import floor_colliders

    scene, _ = realistic_kitchen
    stage = Usd.Stage.Open(str(scene / "usd" / "scene.usda"))
    assert floor_colliders(stage)
