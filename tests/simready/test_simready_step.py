"""The simready step on small scenes: manifest contents, rejection, idempotence, registration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from simready_job.settings import SimreadySettings
from simready_job.simready import SimreadyOptions, run_simready
from simready_job.step import STEP, options_from_settings
from simready_job.validation import validate_simready
from tools.config import load_settings
from tools.errors import ConfigError, InputError, PartialFailureError
from tools.scene_layout import SIMREADY_LAYER_PATH
from tools.scene_manifest import load_manifest
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.structured_logging import get_logger

FLAT = trimesh.Trimesh(
    np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0.1, 0.1, 0]], dtype=float),
    np.array([[0, 1, 2], [1, 3, 2]]),
)


def _snapshot(scene: Path) -> dict[str, bytes]:
    return {
        p.relative_to(scene).as_posix(): p.read_bytes()
        for p in sorted((scene / "assets").rglob("*"))
        if p.is_file()
    }


def _ctx(scene: Path) -> StepContext:
    settings = load_settings(
        SimreadySettings, {"SCENE_ID": "test_scene", "SCENE_DIR": str(scene), "SIMREADY_LLM": "off"}
    )
    return StepContext(scene, settings, LocalStorage(scene), get_logger("test"))


def test_every_object_gets_physics_and_hull_files(scene_factory, meshes, halving, tmp_path):
    """Physics with the shared names and hull OBJ files in the asset folder, for every object."""
    scene = scene_factory(extra=[("room", "room", "background", meshes.room())])
    options = SimreadyOptions(cache_dir=tmp_path / "cache")
    report = run_simready(scene, options, decomposer=halving)
    assert report.ready == report.objects == 3
    manifest = load_manifest(scene)
    for obj in manifest.objects:
        assert obj.physics is not None and obj.physics.source == "priors"
        assert obj.physics.dynamic_friction <= obj.physics.static_friction
        assert set(obj.physics.ranges) == {"mass_kg", "static_friction", "dynamic_friction"}
        assert obj.asset.collision_paths
        for k, path in enumerate(obj.asset.collision_paths):
            assert path == f"assets/{obj.id}/collision/hull_{k}.obj"
            assert (scene / path).is_file()
    assert len(manifest.object("room").asset.collision_paths) == 4
    mug_physics = manifest.object("mug_1").physics
    assert mug_physics is not None and mug_physics.material == "ceramic"
    assert manifest.provenance.tool_versions["simready.decomposer"] == "halving-test"
    assert validate_simready(_ctx(scene))["ok"]


def test_running_twice_gives_the_same_bytes(scene_factory, halving, tmp_path):
    """A second run on its own output rewrites identical manifest and hull bytes."""
    scene = scene_factory()
    options = SimreadyOptions(cache_dir=tmp_path / "cache")
    run_simready(scene, options, decomposer=halving)
    first = _snapshot(scene)
    run_simready(scene, options, decomposer=halving)
    assert _snapshot(scene) == first


def test_a_degenerate_object_is_dropped_and_recorded(scene_factory, halving):
    """A flat mesh is rejected: removed with its relationships, recorded under its source id."""
    scene = scene_factory(extra=[("sheet", "book", "manipulable", FLAT)])
    data = json.loads((scene / "assets/scene_manifest.json").read_text())
    data["objects"][1]["relationships"].append({"type": "adjacent_to", "target": "sheet"})
    (scene / "assets/scene_manifest.json").write_text(json.dumps(data))
    report = run_simready(scene, decomposer=halving)
    assert "sheet" in report.dropped and "degenerate" in report.dropped["sheet"]
    manifest = load_manifest(scene)
    assert [o.id for o in manifest.objects] == ["table_1", "mug_1"]
    assert all(r.target != "sheet" for r in manifest.object("mug_1").relationships)
    reason = manifest.provenance.dropped_objects["book__(1, 2)"]
    assert reason.startswith("simready: assets/sheet/mesh.glb: degenerate mesh")
    checkpoint = json.loads((scene / ".checkpoints/simready.json").read_text())
    assert [f["item"] for f in checkpoint["failed"]] == ["sheet"]


def test_too_many_rejections_fail_the_step_without_writing(scene_factory, halving):
    """Below the success-rate threshold the step raises and leaves the manifest untouched."""
    extra = [(f"sheet_{k}", "book", "manipulable", FLAT) for k in range(3)]
    scene = scene_factory(extra=extra)
    before = (scene / "assets/scene_manifest.json").read_bytes()
    with pytest.raises(PartialFailureError):
        run_simready(scene, SimreadyOptions(min_success_rate=0.6), decomposer=halving)
    assert (scene / "assets/scene_manifest.json").read_bytes() == before
    assert not (scene / SIMREADY_LAYER_PATH).exists()


def test_a_rejected_work_surface_fails_the_scene(scene_factory, halving):
    """The robot's work surface cannot be dropped: the step raises InputError."""
    scene = scene_factory({"table_1": FLAT})
    with pytest.raises(InputError, match="work surface table_1"):
        run_simready(scene, SimreadyOptions(min_success_rate=0.0), decomposer=halving)


def test_a_missing_mesh_is_a_broken_scene(scene_factory, halving):
    """A mesh the manifest names and the scene lacks: bad input (exit 2) naming the file."""
    scene = scene_factory()
    (scene / "assets/mug_1/mesh.glb").unlink()
    with pytest.raises(InputError) as info:
        run_simready(scene, decomposer=halving)
    assert str(info.value).startswith("assets/mug_1/mesh.glb: mesh of object mug_1 is missing")
    assert info.value.exit_code == 2


@pytest.mark.parametrize("edit", ["mesh", "manifest"])
def test_an_edited_mesh_or_hash_is_bad_input(scene_factory, halving, edit):
    """The manifest's sha256 is verified on read: editing the mesh or the field exits 2."""
    scene = scene_factory()
    if edit == "mesh":
        with (scene / "assets/mug_1/mesh.glb").open("ab") as handle:
            handle.write(b"\0")
    else:
        path = scene / "assets/scene_manifest.json"
        doc = json.loads(path.read_text())
        doc["objects"][0]["asset"]["sha256"] = "f" * 64
        path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="differs from the manifest's sha256") as info:
        run_simready(scene, decomposer=halving)
    assert info.value.exit_code == 2 and str(info.value).startswith("assets/")


def test_validation_reports_bad_physics_and_missing_hulls(scene_factory, halving):
    """validate_simready flags an object whose hull file disappeared."""
    scene = scene_factory()
    run_simready(scene, decomposer=halving)
    (scene / "assets/mug_1/collision/hull_0.obj").unlink()
    result = validate_simready(_ctx(scene))
    assert not result["ok"]
    assert "hull_0.obj missing" in json.dumps(result)


def test_step_registration_and_settings(tmp_path):
    """The step is declared as the pipeline expects and its settings map onto options."""
    assert (STEP.name, STEP.job, STEP.order) == ("simready", "simready-job", 20)
    assert STEP.depends_on == ("regen3d",)
    assert STEP.inputs == STEP.outputs == ("assets/",)
    assert STEP.validate is validate_simready
    settings = load_settings(
        SimreadySettings,
        {
            "SCENE_ID": "s",
            "SCENE_DIR": str(tmp_path),
            "SIMREADY_MAX_HULLS": "8",
            "SIMREADY_CACHE_DIR": str(tmp_path / "c"),
        },
    )
    options = options_from_settings(settings)
    assert options.collision.decomposition.max_hulls == 8
    assert options.cache_dir == tmp_path / "c"
    assert options.llm == "auto"
    for bad in ({"SIMREADY_LLM_BASE_URL": "http://example.com"}, {"SIMREADY_MAX_HULLS": "0"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            load_settings(SimreadySettings, {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path), **bad})


def test_the_step_function_runs_through_its_context(scene_factory, monkeypatch, tmp_path):
    """STEP.run reads its settings from the context and returns the JSON report."""
    scene = scene_factory({"mug_1": trimesh.creation.box(extents=[0.1, 0.1, 0.1])})
    monkeypatch.setenv("HOME", str(tmp_path))
    result = STEP.run(_ctx(scene))
    assert result["ready"] == 2
    assert result["methods"] == {"convex_hull": 1, "parts": 1}
    json.dumps(result)


def _entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "simready_job.prepare_simready_assets"],
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cloud_run_entrypoint_runs_the_step(scene_factory, tmp_path):
    """The module entrypoint exits 0 on a good scene and 2 on a bad configuration."""
    scene = scene_factory({"mug_1": trimesh.creation.box(extents=[0.1, 0.1, 0.1])})
    env = {
        "SCENE_ID": "test_scene",
        "SCENE_DIR": str(scene),
        "SIMREADY_CACHE_DIR": str(tmp_path / "cache"),
        "SIMREADY_LLM": "off",
    }
    done = _entrypoint(env)
    assert done.returncode == 0, done.stderr
    assert (scene / ".markers/simready.complete.json").is_file()
    physics = load_manifest(scene).object("mug_1").physics
    assert physics is not None and physics.source == "priors"
    bad = _entrypoint({**env, "SIMREADY_CONVEX_RATIO": "2"})
    assert bad.returncode == 2 and "SIMREADY_CONVEX_RATIO" in bad.stderr
