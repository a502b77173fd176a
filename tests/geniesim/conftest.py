"""Fixtures: a mock kitchen after regen3d, simready and usd, its Genie Sim export, archives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures.generate_mock_geniesim_output import generate_mock_geniesim_output
from fixtures.generate_mock_regen3d import generate_mock_scene
from genie_sim_export_job.export import ExportOptions, export_scene
from regen3d_ingest_job.step import STEP as REGEN3D
from simready_job.step import STEP as SIMREADY
from tools.run_local_pipeline import run_pipeline
from usd_assembly_job.step import STEP as USD

# Seed 7 of the mock kitchen has a cup to put on a plate (an object goal Genie Sim can run).
KITCHEN_SEED = 7


@pytest.fixture(scope="session")
def kitchen_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mock kitchen after regen3d, simready and usd (do not modify: copy it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RENDER_PREVIEW", "false")
        scene = generate_mock_scene(
            "gs_kitchen", tmp_path_factory.mktemp("gs"), environment="kitchen", seed=KITCHEN_SEED
        )
        specs = {s.name: s for s in (REGEN3D, SIMREADY, USD)}
        summary = run_pipeline(scene, steps=list(specs), specs=specs)
    assert summary["ok"], summary
    return scene


@pytest.fixture(scope="session")
def exported_scene(kitchen_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the kitchen with its Genie Sim export (G2) in geniesim/export/."""
    scene = tmp_path_factory.mktemp("gs_export") / kitchen_scene.name
    shutil.copytree(kitchen_scene, scene)
    export_scene(scene, ExportOptions())
    return scene


@pytest.fixture
def scene_copy(kitchen_scene: Path, tmp_path: Path) -> Path:
    """A private copy of the kitchen (for tests that export differently)."""
    scene = tmp_path / kitchen_scene.name
    shutil.copytree(kitchen_scene, scene)
    return scene


@pytest.fixture(scope="session")
def good_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results archive with three good episodes."""
    return generate_mock_geniesim_output(tmp_path_factory.mktemp("arc") / "good.tar.gz")


@pytest.fixture(scope="session")
def partial_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six episodes: 0, 1 and 5 good; 2 corrupt, 3 with a NaN, 4 failed its task."""
    return generate_mock_geniesim_output(
        tmp_path_factory.mktemp("arc") / "partial.tar.gz",
        episodes=6,
        corrupt_episode=2,
        nan_episode=3,
        failed_episode=4,
    )
