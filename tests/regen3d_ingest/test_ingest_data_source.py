"""The manifest's data source comes from the tree: the mock's marker file, or a reconstruction."""

import json

from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from tools.data_source import MOCK_MARKER_NAME, regen3d_data_source
from tools.scene_manifest import load_manifest


def test_the_mock_generator_marks_its_tree(pristine_mock_scene) -> None:
    """generate_mock_scene writes the marker naming itself; the tree reads as mock-fixture."""
    regen3d = pristine_mock_scene("kitchen", 0) / "regen3d"
    marker = json.loads((regen3d / MOCK_MARKER_NAME).read_text())
    assert marker["data_source"] == "mock-fixture"
    assert marker["generator"] == "fixtures/generate_mock_regen3d.py"
    assert regen3d_data_source(regen3d) == "mock-fixture"


def test_a_mock_scene_becomes_a_mock_fixture_manifest(ingested_mock_scene) -> None:
    """Ingesting the mock's tree records mock-fixture, not reconstruction."""
    manifest = load_manifest(ingested_mock_scene("kitchen", 0))
    assert manifest.provenance.data_source == "mock-fixture"


def test_a_tree_without_the_marker_is_a_reconstruction(make_synthetic_scene) -> None:
    """A 3D-RE-GEN tree (no marker) records reconstruction; adding the marker flips it."""
    scene = make_synthetic_scene()
    ingest_scene(scene.scene_dir, IngestOptions(metric_scale=scene.metric_scale))
    assert load_manifest(scene.scene_dir).provenance.data_source == "reconstruction"
    (scene.scene_dir / "regen3d" / MOCK_MARKER_NAME).write_text("{}")
    ingest_scene(scene.scene_dir, IngestOptions(metric_scale=scene.metric_scale))
    assert load_manifest(scene.scene_dir).provenance.data_source == "mock-fixture"
