"""End to end: mock office scene -> regen3d -> simready -> usd -> replicator, validated."""

from __future__ import annotations

import importlib
import json

import pytest

from tools.run_local_pipeline import run_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
STEP_MODULES = (
    "regen3d_ingest_job.step",
    "simready_job.step",
    "usd_assembly_job.step",
    "replicator_job.step",
)


def test_replicator_step_validates_on_a_mock_office(tmp_path, monkeypatch):
    """Bookshelf boards become regions; both policies get configs; every check passes."""
    try:
        modules = [importlib.import_module(name) for name in STEP_MODULES]
    except ImportError as exc:
        pytest.skip(f"pipeline step not available yet: {exc}")
    from fixtures.generate_mock_regen3d import generate_mock_scene

    monkeypatch.setenv("RENDER_PREVIEW", "false")
    monkeypatch.setenv("REPLICATOR_LLM", "off")
    monkeypatch.setenv("SIMREADY_LLM", "off")
    scene_dir = generate_mock_scene("office_2", tmp_path, "office", 0, 2)
    specs = {m.STEP.name: m.STEP for m in modules}
    summary = run_pipeline(scene_dir, steps=["replicator"], validate=True, specs=specs)
    report = json.loads((scene_dir / "reports" / "validation_report.json").read_text())
    checks = report["steps"]["replicator"]["checks"]
    assert summary["steps"]["replicator"]["status"] == "completed", summary
    assert not {c["name"]: c["problems"] for c in checks if not c["ok"]}
    assert summary["steps"]["replicator"]["result"]["policies"] == [
        "pick_and_place",
        "table_clearing",
    ]
    regions = json.loads((scene_dir / "replicator" / "placement_regions.json").read_text())[
        "regions"
    ]
    shelves = [r for r in regions if r["support_category"] in ("bookshelf", "shelf")]
    assert len({(r["support_id"], round(r["height_m"], 2)) for r in shelves}) >= 8
