"""End to end: mock scene -> regen3d -> simready -> usd, validated, in all three environments."""

import importlib
import json

import pytest

from tools.run_local_pipeline import run_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _specs():
    names = ("regen3d_ingest_job.step", "simready_job.step", "usd_assembly_job.step")
    try:
        modules = [importlib.import_module(name) for name in names]
    except ImportError as exc:  # simready is written in parallel; skip until it exists
        pytest.skip(f"pipeline step not available yet: {exc}")
    return {module.STEP.name: module.STEP for module in modules}


@pytest.mark.parametrize(("environment", "seed"), [("kitchen", 1), ("office", 2), ("warehouse", 3)])
def test_usd_step_validates_on_mock_scenes(tmp_path, environment, seed):
    """UsdValidation has no errors, the physics parse matches and the scene settles."""
    specs = _specs()
    from fixtures.generate_mock_regen3d import generate_mock_scene

    scene_dir = generate_mock_scene(f"{environment}_{seed}", tmp_path, environment, 0, seed)
    summary = run_pipeline(scene_dir, steps=["usd"], validate=True, specs=specs)
    report = json.loads((scene_dir / "reports" / "validation_report.json").read_text())
    checks = {c["name"]: c for c in report["steps"]["usd"]["checks"]}
    failing = {name: c["problems"] for name, c in checks.items() if not c["ok"]}
    assert summary["steps"]["usd"]["status"] == "completed", summary
    assert not failing
    assert checks["usd_validation"]["figures"]["error"] == 0
    assert (scene_dir / "reports" / "scene_preview.png").stat().st_size > 0
