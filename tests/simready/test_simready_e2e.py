"""A mock kitchen through the real runner: ingest, then simready (real CoACD, cold then warm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.step import STEP as REGEN3D_STEP
from simready_job.step import STEP as SIMREADY_STEP
from tools.run_local_pipeline import run_pipeline
from tools.scene_manifest import load_manifest

SPECS = {"regen3d": REGEN3D_STEP, "simready": SIMREADY_STEP}
HOLLOW = ("mug", "bowl")


def _assets(scene: Path) -> dict[str, bytes]:
    return {
        p.relative_to(scene).as_posix(): p.read_bytes()
        for p in sorted((scene / "assets").rglob("*"))
        if p.is_file()
    }


@pytest.mark.e2e
@pytest.mark.slow
def test_mock_kitchen_becomes_simulation_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every object gets plausible physics and hulls; a forced rerun takes every object's
    geometry from the cache and writes the same bytes; an unforced one is skipped (its
    dependency did not change)."""
    scene = generate_mock_scene("kitchen_e2e", tmp_path, "kitchen", 0, 0)
    monkeypatch.setenv("SIMREADY_CACHE_DIR", str(tmp_path / "hull-cache"))
    monkeypatch.setenv("SIMREADY_LLM", "off")
    summary = run_pipeline(scene, validate=True, specs=SPECS)
    assert summary["ok"], summary
    result = summary["steps"]["simready"]["result"]
    assert result["dropped"] == {} and result["decomposed_parts"] > 0

    manifest = load_manifest(scene)
    for obj in manifest.objects:
        physics = obj.physics
        assert physics is not None, obj.id
        assert 50.0 <= (physics.density_kg_m3 or 0.0) <= 20000.0, obj.id
        assert physics.dynamic_friction <= physics.static_friction
        assert all((scene / p).is_file() for p in obj.asset.collision_paths)
        if obj.category in HOLLOW:
            assert len(obj.asset.collision_paths) > 1, obj.id
        if obj.sim_role == "background":
            assert len(obj.asset.collision_paths) >= 2
    first = _assets(scene)

    again = run_pipeline(scene, steps=["simready"], specs=SPECS, force=True)
    warm = again["steps"]["simready"]
    assert warm["status"] == "completed"
    assert result["hull_cache"] == {"hits": 0, "misses": result["decomposed_parts"]}
    assert result["object_cache"] == {"hits": 0, "misses": len(manifest.objects)}
    assert warm["result"]["object_cache"] == {"hits": len(manifest.objects), "misses": 0}
    assert warm["result"]["hull_cache"] == {"hits": 0, "misses": 0}  # no decomposition needed
    assert _assets(scene) == first
    assert run_pipeline(scene, steps=["simready"], specs=SPECS)["steps"]["simready"]["status"] == (
        "skipped"
    )
