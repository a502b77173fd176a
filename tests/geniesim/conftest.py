"""Fixtures: a mock kitchen after regen3d, simready, usd and replicator (its tasks contract),
its Genie Sim export, archives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures.generate_mock_geniesim_output import generate_mock_geniesim_output
from fixtures.generate_mock_regen3d import generate_mock_scene
from genie_sim_export_job.export import ExportOptions, export_scene
from regen3d_ingest_job.step import STEP as REGEN3D
from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
from replicator_job.step import STEP as REPLICATOR
from simready_job.step import STEP as SIMREADY
from tools.run_local_pipeline import run_pipeline
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.tasks.rest_scene import scene_tasks_at_rest
from tools.tasks.scene_tasks import save_scene_tasks
from usd_assembly_job.step import STEP as USD

# Seed 7 of the mock kitchen has a cup to put on a plate (an object goal Genie Sim can run).
KITCHEN_SEED = 7


@pytest.fixture(scope="session")
def kitchen_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mock kitchen after regen3d, simready, usd and replicator (do not modify: copy it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RENDER_PREVIEW", "false")
        scene = generate_mock_scene(
            "gs_kitchen", tmp_path_factory.mktemp("gs"), environment="kitchen", seed=KITCHEN_SEED
        )
        specs = {s.name: s for s in (REGEN3D, SIMREADY, USD, REPLICATOR)}
        summary = run_pipeline(scene, steps=list(specs), specs=specs)
    assert summary["ok"], summary
    return scene


def rewrite_scene_tasks(scene: Path) -> None:
    """Write the tasks contract again after a test changed the manifest (as the replicator
    would on its next run)."""
    geometry = read_object_geometry(open_scene_stage(scene / SCENE_USD_PATH))
    hulls = {g.object_id: g.hulls for g in geometry}
    manifest = load_manifest(scene)
    save_scene_tasks(scene, scene_tasks_at_rest(scene, manifest, hulls, generator="test"))


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
