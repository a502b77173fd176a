"""Bad 3D-RE-GEN input: a one-line error naming the file, or the object dropped with a reason."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from regen3d_ingest_job.glb import parse_glb, rewrite_positions
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from regen3d_ingest_job.validation import validate_ingest
from tools.errors import ConfigError, InputError
from tools.scene_manifest import load_manifest
from tools.structured_logging import capture_logs

CAMERA = "regen3d/output/pre_3D/camera.npz"
PLANE = "regen3d/output/pointclouds/PLANE_SAMPLED.ply"
ROOM = "regen3d/output/pointclouds/meshed/ground_aligned.glb"


def _object_with_normalised_mesh(scene_dir: Path, label: str = "counter") -> str:
    truth = json.loads((scene_dir / "ground_truth.json").read_text())
    return next(
        source
        for source, entry in truth["objects"].items()
        if entry["label"] == label and entry["has_normalized_mesh"]
    )


def _posed(scene_dir: Path, source_id: str) -> Path:
    return scene_dir / "regen3d/output/glb" / f"{source_id}.glb"


def _assert_nothing_written(scene_dir: Path) -> None:
    names = {p.name for p in scene_dir.iterdir()}
    assert names == {"regen3d", "ground_truth.json"}, names


def _fails(scene_dir: Path, source: str, problem: str) -> InputError:
    with pytest.raises(InputError) as info:
        ingest_scene(scene_dir, IngestOptions())
    assert info.value.source == source
    assert problem in info.value.problem
    assert "\n" not in str(info.value)
    _assert_nothing_written(scene_dir)
    return info.value


def test_nan_in_camera_npz_names_the_file(fresh_mock_scene) -> None:
    """NaN focal length: the error names camera.npz and the key; nothing is written."""
    scene_dir = fresh_mock_scene()
    path = scene_dir / CAMERA
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["focal"] = np.array(np.nan)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    _fails(scene_dir, CAMERA, "'focal' contains NaN")


def test_corrupt_camera_npz_names_the_file(fresh_mock_scene) -> None:
    """A camera.npz that is not an archive is refused by name."""
    scene_dir = fresh_mock_scene()
    (scene_dir / CAMERA).write_bytes(b"not a zip archive")
    _fails(scene_dir, CAMERA, "not a readable .npz")


def test_missing_floor_plane_says_the_floor_label_was_missing(fresh_mock_scene) -> None:
    """No PLANE_SAMPLED.ply: 3D-RE-GEN was run without a 'floor' label, and we say so."""
    scene_dir = fresh_mock_scene()
    (scene_dir / PLANE).unlink()
    error = _fails(scene_dir, PLANE, "without a 'floor' label")
    assert error.hint is not None and "floor" in error.hint


def test_degenerate_floor_plane_names_the_file(fresh_mock_scene) -> None:
    """Collinear plane samples cannot define gravity."""
    scene_dir = fresh_mock_scene()
    line = np.outer(np.linspace(-1, 1, 100), [1.0, -0.3, -2.0]) + np.array([0.0, -1.0, -3.0])
    header = f"ply\nformat ascii 1.0\nelement vertex {len(line)}\n"
    header += "property float x\nproperty float y\nproperty float z\nend_header\n"
    body = "\n".join(" ".join(f"{v:.6f}" for v in p) for p in line)
    (scene_dir / PLANE).write_text(header + body + "\n")
    _fails(scene_dir, PLANE, "collinear")


def test_corrupt_object_glb_drops_that_object_only(fresh_mock_scene) -> None:
    """A truncated posed GLB drops its object with a reason naming the file."""
    scene_dir = fresh_mock_scene()
    source = _object_with_normalised_mesh(scene_dir, "coffee mug")
    path = _posed(scene_dir, source)
    path.write_bytes(path.read_bytes()[:100])
    with capture_logs() as records:
        summary = ingest_scene(scene_dir, IngestOptions())
    reason = summary.dropped[source]
    warnings = [r["message"] for r in records if r["severity"] == "WARNING"]
    assert any(source in m and "corrupt GLB" in m for m in warnings)
    report = validate_ingest(SimpleNamespace(scene_dir=scene_dir))  # type: ignore[arg-type]
    check = next(c for c in report["checks"] if c["name"] == "dropped_objects")
    assert report["ok"] and check["warning"] and source in check["detail"]
    assert f"regen3d/output/glb/{source}.glb" in reason and "corrupt GLB" in reason
    manifest = load_manifest(scene_dir)
    assert manifest.provenance.dropped_objects == summary.dropped
    assert source not in {o.provenance.source_id for o in manifest.objects}
    assert len(manifest.objects) > 5


def test_missing_object_glb_drops_that_object_only(fresh_mock_scene) -> None:
    """An object with output/3D but no posed GLB is dropped as missing."""
    scene_dir = fresh_mock_scene()
    source = _object_with_normalised_mesh(scene_dir, "chair")
    _posed(scene_dir, source).unlink()
    summary = ingest_scene(scene_dir, IngestOptions())
    assert "missing" in summary.dropped[source]
    assert f"regen3d/output/glb/{source}.glb" in summary.dropped[source]


def test_corrupt_normalised_mesh_falls_back_to_baked_geometry(fresh_mock_scene) -> None:
    """A broken output/3D mesh keeps the object, posed from its baked geometry."""
    scene_dir = fresh_mock_scene()
    source = _object_with_normalised_mesh(scene_dir)
    (scene_dir / "regen3d/output/3D" / source / f"{source}.glb").write_bytes(b"glTF junk")
    summary = ingest_scene(scene_dir, IngestOptions())
    assert source not in summary.dropped
    obj = next(o for o in load_manifest(scene_dir).objects if o.provenance.source_id == source)
    assert obj.provenance.pose_source.value == "baked_geometry"
    assert any("normalised mesh unusable" in note for note in obj.provenance.notes)


@pytest.mark.parametrize("name", ["..__(10, 20)", "..\\x__(10, 20)", "x.._..__(1, 2)"])
def test_path_traversal_label_is_dropped(fresh_mock_scene, name: str) -> None:
    """A label trying path traversal is dropped with a reason; nothing lands outside."""
    scene_dir = fresh_mock_scene()
    donor = _posed(scene_dir, _object_with_normalised_mesh(scene_dir, "coffee mug"))
    (scene_dir / "regen3d/output/glb" / f"{name}.glb").write_bytes(donor.read_bytes())
    outside_before = sorted(p.name for p in scene_dir.parent.iterdir())
    summary = ingest_scene(scene_dir, IngestOptions())
    assert "path traversal" in summary.dropped[name]
    assert sorted(p.name for p in scene_dir.parent.iterdir()) == outside_before
    assert all(".." not in o.id for o in load_manifest(scene_dir).objects)


def test_glb_link_leaving_the_tree_is_dropped(fresh_mock_scene, tmp_path) -> None:
    """A symlinked GLB pointing outside regen3d/ is not read."""
    scene_dir = fresh_mock_scene()
    outside = tmp_path / "elsewhere.glb"
    donor = _posed(scene_dir, _object_with_normalised_mesh(scene_dir, "coffee mug"))
    outside.write_bytes(donor.read_bytes())
    os.symlink(outside, scene_dir / "regen3d/output/glb/bowl__(1, 1).glb")
    summary = ingest_scene(scene_dir, IngestOptions())
    assert "leaves the 3D-RE-GEN folder" in summary.dropped["bowl__(1, 1)"]


def test_object_far_below_the_floor_is_dropped(fresh_mock_scene) -> None:
    """An object sunk 1 m under the floor is dropped with its depth; the rest is kept."""
    scene_dir = fresh_mock_scene()
    truth = json.loads((scene_dir / "ground_truth.json").read_text())
    source = _object_with_normalised_mesh(scene_dir, "chair")
    path = _posed(scene_dir, source)
    document = parse_glb(path.read_bytes())
    down = np.asarray(truth["gravity_camera_frame"]) / truth["metric_scale"]
    sunk = rewrite_positions(document, document.vertices + down, {})
    assert sunk is not None
    path.write_bytes(sunk)
    summary = ingest_scene(scene_dir, IngestOptions())
    assert "far below the floor" in summary.dropped[source]
    assert summary.objects == len(truth["objects"])  # every other object plus the room


def test_corrupt_room_mesh_is_dropped_and_the_scene_goes_on(fresh_mock_scene) -> None:
    """A broken ground_aligned.glb only loses the room collider."""
    scene_dir = fresh_mock_scene()
    (scene_dir / ROOM).write_bytes(b"\x00" * 64)
    summary = ingest_scene(scene_dir, IngestOptions())
    assert ROOM in summary.dropped["ground_aligned"]
    assert "room" not in {o.id for o in load_manifest(scene_dir).objects}


def test_no_usable_object_is_an_input_error(fresh_mock_scene) -> None:
    """When every object GLB is corrupt the error names output/glb."""
    scene_dir = fresh_mock_scene()
    for path in (scene_dir / "regen3d/output/glb").glob("*.glb"):
        path.write_bytes(b"broken")
    _fails(scene_dir, "regen3d/output/glb", "no usable object")


def test_a_failed_rerun_keeps_the_previous_result(fresh_mock_scene) -> None:
    """Bad input on a re-run leaves the earlier manifest and its meshes untouched."""
    scene_dir = fresh_mock_scene()
    ingest_scene(scene_dir, IngestOptions())
    manifest_bytes = (scene_dir / "assets/scene_manifest.json").read_bytes()
    (scene_dir / CAMERA).write_bytes(b"garbage")
    with pytest.raises(InputError):
        ingest_scene(scene_dir, IngestOptions())
    assert (scene_dir / "assets/scene_manifest.json").read_bytes() == manifest_bytes
    load_manifest(scene_dir)


def test_assets_symlink_is_refused(fresh_mock_scene, tmp_path) -> None:
    """An assets/ link pointing elsewhere is refused before anything is written."""
    scene_dir = fresh_mock_scene()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, scene_dir / "assets")
    with pytest.raises(InputError, match="assets"):
        ingest_scene(scene_dir, IngestOptions())
    assert list(elsewhere.iterdir()) == []


def test_unknown_reference_object_is_a_config_error(fresh_mock_scene) -> None:
    """A reference label absent from the scene fails with the labels that are there."""
    scene_dir = fresh_mock_scene()
    with pytest.raises(ConfigError, match="labels: ") as info:
        ingest_scene(scene_dir, IngestOptions(reference_object="piano", reference_dimension_m=1))
    assert info.value.variable == "reference_object"
    _assert_nothing_written(scene_dir)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metric_scale": 0.0},
        {"metric_scale": float("nan")},
        {"reference_object": "table"},
        {"reference_dimension_m": 0.7},
        {"reference_object": "table", "reference_dimension_m": -1.0},
        {"reference_object": "...", "reference_dimension_m": 0.7},
        {"metric_scale": 1.0, "reference_object": "table", "reference_dimension_m": 0.7},
    ],
)
def test_invalid_options_are_config_errors(kwargs) -> None:
    """Options that cannot be right fail on construction."""
    with pytest.raises(ConfigError):
        IngestOptions(**kwargs)


def test_ingest_validation_checks_the_ingest_alone(fresh_mock_scene) -> None:
    """A later step's manifest layer left stale by a rerun ingest is that step's to redo: the
    ingest's validation passes (it failed and the run exited non-zero before)."""
    scene_dir = fresh_mock_scene()
    ingest_scene(scene_dir, IngestOptions())
    layer = {"step": "simready", "based_on_sha256": "0" * 64, "objects": {}}
    (scene_dir / "assets" / "simready.json").write_text(json.dumps(layer))
    with pytest.raises(InputError, match="stale"):
        load_manifest(scene_dir)
    report = validate_ingest(SimpleNamespace(scene_dir=scene_dir))  # type: ignore[arg-type]
    assert report["ok"], report
