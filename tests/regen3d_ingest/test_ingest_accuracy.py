"""Accuracy of the ingest against the mock generator's ground truth, for every environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regen3d_ingest_job.evaluation import compare, evaluate_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from tools.scene_manifest import load_manifest

ENVIRONMENTS = ("kitchen", "office", "warehouse")
SEEDS = (0, 1)
GRAVITY_DEG = 1.0
SCALE = 0.05
POSITION_M = 0.02
YAW_DEG = 3.0


def _truth(scene_dir: Path) -> dict:
    return json.loads((scene_dir / "ground_truth.json").read_text())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_recovers_gravity_scale_positions_and_yaw(ingested_mock_scene, environment, seed) -> None:
    """Gravity < 1 deg, scale < 5 %, positions < 2 cm beyond the scale error, yaw < 3 deg.

    After the best rigid alignment on the floor a relative scale error e moves each object by
    |e| times its distance from the centroid (up to ~10 cm in a 12 m warehouse at e = 1 %);
    the position goal therefore applies to what remains once that is accounted for, and
    separately to the positions with the scale error divided out (pose recovery alone).
    """
    errors = evaluate_scene(ingested_mock_scene(environment, seed))
    assert errors.missing == ()
    assert errors.gravity_deg < GRAVITY_DEG
    assert abs(errors.scale_error) < SCALE
    assert errors.max_position_scale_free_m < POSITION_M
    assert errors.max_excess_position_m < POSITION_M
    assert errors.max_yaw_deg < YAW_DEG
    assert sum(o.yaw_deg is None for o in errors.objects) >= 1  # one object lacks output/3D


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_known_scale_gives_positions_within_two_centimetres(fresh_mock_scene, environment) -> None:
    """With the true metric scale configured, rigid alignment alone meets the 2 cm goal."""
    scene_dir = fresh_mock_scene(environment, 0)
    truth = _truth(scene_dir)
    summary = ingest_scene(scene_dir, IngestOptions(metric_scale=truth["metric_scale"]))
    errors = compare(load_manifest(scene_dir), truth)
    assert summary.scale_method == "configured"
    assert abs(errors.scale_error) < 1e-12
    assert errors.max_position_m < POSITION_M
    assert errors.max_yaw_deg < YAW_DEG


def test_reference_object_sets_the_scale(fresh_mock_scene) -> None:
    """A reference label with its true height gives the scale to within its own precision."""
    scene_dir = fresh_mock_scene("kitchen", 0)
    truth = _truth(scene_dir)
    counters = [o for o in truth["objects"].values() if o["label"] == "counter"]
    height = sum(o["dimensions_m"][2] for o in counters) / len(counters)
    options = IngestOptions(reference_object="Counter", reference_dimension_m=height)
    summary = ingest_scene(scene_dir, options)
    assert summary.scale_method == "reference"
    assert summary.metric_scale == pytest.approx(truth["metric_scale"], rel=0.01)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_supports_roles_and_work_surface_match_the_truth(ingested_mock_scene, environment) -> None:
    """on_top_of relations, simulation roles and the robot's work surface match the truth."""
    scene_dir = ingested_mock_scene(environment, 0)
    manifest = load_manifest(scene_dir)
    truth = _truth(scene_dir)
    source_of = {o.id: o.provenance.source_id for o in manifest.objects}
    for obj in manifest.objects:
        expected = truth["objects"].get(obj.provenance.source_id)
        if expected is None:
            assert obj.sim_role.value == "background"
            continue
        support = source_of[obj.relationships[0].target] if obj.relationships else "floor"
        assert support == expected["support"], obj.id
        assert obj.sim_role.value == expected["sim_role_hint"], obj.id
    assert manifest.robot.work_surface is not None
    assert source_of[manifest.robot.work_surface] == truth["work_surface"]


def test_camera_intrinsics_and_pose(ingested_mock_scene) -> None:
    """Camera intrinsics come from camera.npz; its height is the true height (scaled)."""
    scene_dir = ingested_mock_scene("office", 0)
    manifest = load_manifest(scene_dir)
    truth = _truth(scene_dir)
    camera = manifest.camera
    assert camera is not None
    assert [camera.width, camera.height] == truth["camera"]["image_size"]
    assert camera.focal_px == pytest.approx(truth["camera"]["focal_px"])
    ratio = manifest.provenance.estimates["metric_scale"] / truth["metric_scale"]
    assert camera.pose.position[2] == pytest.approx(truth["camera"]["height_m"] * ratio)


def test_ingest_is_deterministic(fresh_mock_scene, ingested_mock_scene) -> None:
    """The same input gives byte-identical manifests and meshes."""
    first = ingested_mock_scene("kitchen", 0)
    second = fresh_mock_scene("kitchen", 0)
    ingest_scene(second, IngestOptions(seed=0))
    for path in sorted((first / "assets").rglob("*")):
        if path.is_file():
            relative = path.relative_to(first)
            assert (second / relative).read_bytes() == path.read_bytes(), relative
