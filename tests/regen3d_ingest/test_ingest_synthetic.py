"""End-to-end ingest of small hand-built scenes: frames, overrides, re-runs and scene ids."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from regen3d_ingest_job.evaluation import rigid_2d
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from tools.errors import InputError
from tools.scene_manifest import PoseSource, SimRole, load_manifest


def _positions(manifest, scene) -> tuple[np.ndarray, np.ndarray]:
    by_source = {o.provenance.source_id: o for o in manifest.objects}
    ours = np.array([by_source[o.source_id].transform.position for o in scene.objects])
    true = np.array([o.position for o in scene.objects])
    return ours, true


@pytest.mark.parametrize("pitch", [15.0, 40.0])
def test_known_scale_recovers_the_metric_world(make_synthetic_scene, pitch: float) -> None:
    """With the scale given, positions, yaws and dimensions are exact up to a floor rigid map."""
    scene = make_synthetic_scene(pitch_deg=pitch, metric_scale=2.5)
    ingest_scene(scene.scene_dir, IngestOptions(metric_scale=2.5))
    manifest = load_manifest(scene.scene_dir)
    ours, true = _positions(manifest, scene)
    rotation, shift = rigid_2d(ours[:, :2], true[:, :2])
    assert np.allclose(ours[:, :2] @ rotation.T + shift, true[:, :2], atol=1e-6)
    assert np.allclose(ours[:, 2], true[:, 2], atol=1e-6)
    offset = math.degrees(math.atan2(rotation[1, 0], rotation[0, 0]))
    by_source = {o.provenance.source_id: o for o in manifest.objects}
    for spec in scene.objects:
        obj = by_source[spec.source_id]
        assert np.allclose(obj.dimensions, spec.size, atol=1e-6)
        w, _, _, z = obj.transform.rotation_wxyz
        if spec.normalized:
            assert obj.provenance.pose_source is PoseSource.SIMILARITY_FIT
            yaw = math.degrees(2 * math.atan2(z, w)) + offset
            assert abs((yaw - spec.yaw_deg + 180) % 360 - 180) < 1e-4  # float32 GLBs
        else:
            assert obj.provenance.pose_source is PoseSource.BAKED_GEOMETRY
            assert (w, z) == pytest.approx((1.0, 0.0))
    assert manifest.camera is not None
    assert manifest.camera.pose.position[2] == pytest.approx(scene.camera_height_m)


def test_priors_recover_the_scale_of_a_small_scene(make_synthetic_scene) -> None:
    """Four objects of known categories pin the scale within a few percent."""
    scene = make_synthetic_scene(metric_scale=0.4)
    summary = ingest_scene(scene.scene_dir, IngestOptions())
    assert summary.scale_method == "priors"
    assert summary.metric_scale == pytest.approx(0.4, rel=0.03)
    manifest = load_manifest(scene.scene_dir)
    assert {o.sim_role for o in manifest.objects} == {
        SimRole.STATIC,
        SimRole.MANIPULABLE,
        SimRole.BACKGROUND,
    }
    assert manifest.robot.work_surface == "dining_table_512_500"


def test_unknown_categories_need_a_configured_scale(make_synthetic_scene, synthetic_object) -> None:
    """Without any size prior the error says how to give the scale; the override works."""
    objects = (
        synthetic_object("gizmo", (100, 100), (0.5, 0.5, 0.5), (0.0, 3.0, 0.0)),
        synthetic_object("doohickey", (300, 100), (0.2, 0.2, 0.2), (1.0, 3.0, 0.0)),
    )
    scene = make_synthetic_scene(objects=objects)
    with pytest.raises(InputError, match="no object of a category with a size prior") as info:
        ingest_scene(scene.scene_dir, IngestOptions())
    assert info.value.hint is not None and "metric_scale" in info.value.hint
    summary = ingest_scene(scene.scene_dir, IngestOptions(metric_scale=scene.metric_scale))
    roles = {o.category: o.sim_role for o in load_manifest(scene.scene_dir).objects}
    assert roles == {"gizmo": SimRole.STATIC, "doohickey": SimRole.DISTRACTOR, "room": "background"}
    assert summary.work_surface == "gizmo_100_100"


def test_rerun_replaces_assets_and_clears_stale_staging(make_synthetic_scene) -> None:
    """A second ingest swaps every asset folder in and leaves no staging folders."""
    scene = make_synthetic_scene()
    ingest_scene(scene.scene_dir, IngestOptions())
    stale = scene.scene_dir / ".regen3d-staging-crashed"
    (stale / "assets").mkdir(parents=True)
    marker = scene.scene_dir / "assets/dining_table_512_500/extra_from_simready.usd"
    marker.write_text("old")
    first = load_manifest(scene.scene_dir)
    ingest_scene(scene.scene_dir, IngestOptions())
    assert load_manifest(scene.scene_dir) == first
    assert not stale.exists() and not marker.exists()
    assert not any(p.name.startswith(".regen3d-staging-") for p in scene.scene_dir.iterdir())


def test_scene_directory_name_must_be_a_scene_id(make_synthetic_scene, tmp_path) -> None:
    """The scene id is the directory name unless given; an invalid one is refused."""
    scene = make_synthetic_scene()
    bad = tmp_path / "bad name!"
    shutil.copytree(scene.scene_dir, bad)
    with pytest.raises(InputError, match="not a valid scene id"):
        ingest_scene(bad, IngestOptions())
    summary = ingest_scene(bad, IngestOptions(), scene_id="given_id")
    assert summary.scene_id == load_manifest(bad).scene_id == "given_id"


def test_missing_regen3d_folder_is_an_input_error(tmp_path) -> None:
    """A scene without regen3d/ says so."""
    (tmp_path / "empty_scene").mkdir()
    with pytest.raises(InputError, match="no 3D-RE-GEN output") as info:
        ingest_scene(tmp_path / "empty_scene", IngestOptions())
    assert info.value.source == "regen3d"


def test_summary_is_json_ready(make_synthetic_scene) -> None:
    """IngestSummary.as_dict has counts, scale, spread, drops and timing."""
    scene = make_synthetic_scene()
    data = ingest_scene(scene.scene_dir, IngestOptions(seed=3)).as_dict()
    assert data["objects"] == 6 and data["manipulable"] == 3 and data["dropped"] == {}
    assert data["pose_sources"] == {"similarity_fit": 4, "baked_geometry": 2}
    assert data["elapsed_s"] > 0 and data["metric_scale_spread"] >= 0
    assert load_manifest(scene.scene_dir).provenance.seed == 3
