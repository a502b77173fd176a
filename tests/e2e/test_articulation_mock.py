"""Mock kitchen and office: ingest + simready find the generator's designed doors and drawers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.step import STEP as REGEN3D_STEP
from simready_job.articulation_evaluation import compare_scene, summary
from simready_job.simready import SimreadyOptions, run_simready
from tests.simready.conftest import HalvingDecomposer
from tools.run_local_pipeline import run_pipeline
from tools.scene_manifest import SimRole, load_manifest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("environment", "seed"), [("kitchen", 1), ("office", 1)])
def test_designed_parts_are_found(tmp_path: Path, environment: str, seed: int) -> None:
    """Every designed joint: found, same type and hinge side, axis within 10 degrees."""
    scene = generate_mock_scene("s", tmp_path, environment, seed=seed, articulated=True)
    assert run_pipeline(scene, specs={"regen3d": REGEN3D_STEP})["ok"]
    run_simready(scene, SimreadyOptions(articulation=True), decomposer=HalvingDecomposer())
    truth = json.loads((scene / "ground_truth.json").read_text())
    result = summary(compare_scene(load_manifest(scene), truth))
    assert result["designed"] > 0
    assert result["ok"] == result["designed"], result["rows"]
    assert result["max_axis_error_deg"] < 1.0
    articulated = [o for o in load_manifest(scene).objects if o.sim_role is SimRole.ARTICULATED]
    assert all(o.articulation is not None for o in articulated)
