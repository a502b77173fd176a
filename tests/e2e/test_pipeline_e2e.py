"""End to end: mock 3D-RE-GEN scene -> every registered step through the local runner CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.scene_manifest import load_manifest
from tools.steps import registered_steps

pytestmark = pytest.mark.e2e


def _generate(out: Path, scene_id: str, environment: str = "kitchen", seed: int = 3) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.generate_mock_regen3d",
            "--scene-id",
            scene_id,
            "--output-dir",
            str(out),
            "--environment",
            environment,
            "--seed",
            str(seed),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    scene = out / scene_id
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.generate_mock_geniesim_output",
            "--episodes",
            "3",
            "--failed-episode",
            "2",
            "--output",
            str(scene / "geniesim/results.tar.gz"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return scene


def _run(scene: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.run_local_pipeline", "--scene-dir", str(scene), *extra],
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def demo_scene(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("e2e"), "e2e_kitchen")


def test_whole_pipeline_runs_and_validates(demo_scene: Path):
    """Every registered step completes on a mock kitchen and its validation passes."""
    proc = _run(demo_scene, "--validate")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["ok"]
    for name in registered_steps():
        assert summary["steps"][name]["status"] == "completed"
        assert (demo_scene / f".markers/{name}.complete.json").exists()
    report = json.loads((demo_scene / "reports/validation_report.json").read_text())
    assert report["ok"], json.dumps(report, indent=1)[:3000]
    manifest = load_manifest(demo_scene)
    assert sum(o.sim_role == "manipulable" for o in manifest.objects) >= 4


def test_second_run_skips_everything(demo_scene: Path):
    """Rerunning with unchanged inputs skips every step; --force reruns them."""
    proc = _run(demo_scene)
    assert proc.returncode == 0, proc.stderr[-3000:]
    statuses = {s["status"] for s in json.loads(proc.stdout)["steps"].values()}
    assert statuses == {"skipped"}


def test_bad_input_fails_cleanly(tmp_path: Path):
    """A run without a floor label: exit 2, one failure marker, no manifest, dependants blocked."""
    scene = _generate(tmp_path, "e2e_nofloor", environment="office", seed=5)
    (scene / "regen3d/output/pointclouds/PLANE_SAMPLED.ply").unlink()
    proc = _run(scene, "--steps", "geniesim-export")
    assert proc.returncode == 2
    assert "PLANE_SAMPLED.ply" in proc.stderr
    markers = sorted(p.name for p in (scene / ".markers").iterdir())
    assert markers == ["regen3d.failed-0.json"]
    assert not (scene / "assets/scene_manifest.json").exists()
    summary = json.loads(proc.stdout)
    blocked = [n for n, s in summary["steps"].items() if s["status"] == "blocked"]
    # geniesim-export needs only what it reads (the replicator's tasks contract, usd and what
    # they need), not the episodes
    assert set(blocked) == {"simready", "usd", "replicator", "geniesim-export"}
