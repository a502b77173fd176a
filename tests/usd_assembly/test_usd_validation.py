"""The step's validation passes on a good scene, fails on floating or interpenetrating objects."""

import logging

import numpy as np
import pytest
from PIL import Image
from pxr import Usd, UsdGeom

from tools.sim import load_scene_model
from tools.steps import StepContext
from tools.storage import LocalStorage
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene
from usd_assembly_job.settings import UsdAssemblySettings
from usd_assembly_job.settle import run_settle
from usd_assembly_job.step import STEP
from usd_assembly_job.usd_checks import run_usd_validation
from usd_assembly_job.validation import validate_usd


def _context(scene_dir, **overrides):
    settings = UsdAssemblySettings(SCENE_ID=scene_dir.name, SCENE_DIR=scene_dir, **overrides)
    return StepContext(scene_dir, settings, LocalStorage(scene_dir), logging.getLogger("test"))


def _settle(scene_dir):
    # The check itself, on poses as authored: the step's settling would correct these scenes.
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False, settle=False))
    return run_settle(load_scene_model(scene_dir / "usd" / "scene.usda"))


@pytest.fixture(scope="module")
def previewed_scene(assembled_scene):
    """The shared scene with its preview rendered (EGL, or the backend MUJOCO_GL names)."""
    result = assemble_scene(assembled_scene, AssemblyOptions(preview_max_side=320))
    assert result.preview_error is None, result.preview_error
    return assembled_scene


def test_good_scene_validates(previewed_scene):
    """UsdValidation 0 errors, the physics parse matches, MuJoCo loads it, it settles."""
    report = validate_usd(_context(previewed_scene))
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"], [c["problems"] for c in report["checks"] if not c["ok"]]
    assert checks["usd_validation"]["figures"]["error"] == 0
    assert checks["usd_validation"]["figures"]["validators"] >= 20
    assert checks["settle"]["figures"]["max_penetration_m"] < 0.005
    assert {"physics_parse", "mujoco_load", "provenance", "preview"} <= set(checks)


def test_preview_is_an_image_of_the_scene(previewed_scene):
    """reports/scene_preview.png is non-empty, has the camera's aspect ratio and is not flat."""
    with Image.open(previewed_scene / "reports" / "scene_preview.png") as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape == (240, 320, 3)
    assert pixels.reshape(-1, 3).std(axis=0).max() > 10
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_settle_fails_for_an_object_in_the_air(make_scene):
    """A cube 5 cm above the table falls: the settle test reports it."""
    report = _settle(make_scene("floating", lift={"cube_1": 0.05}))
    assert not report.ok
    assert any(p.startswith("cube_1 moved") for p in report.problems)


def test_settle_fails_for_interpenetrating_objects(make_scene):
    """A can sunk 2 cm into the table is pushed out and its contact penetration reported."""
    report = _settle(make_scene("sunk", lift={"can-2": -0.02}))
    assert not report.ok
    assert report.max_penetration_m > 0.015
    assert "can_2" in report.deepest_contact


def test_usd_validation_reports_errors(tmp_path):
    """UsdValidation's errors (here: no defaultPrim, no upAxis) make the check fail."""
    stage = Usd.Stage.CreateNew(str(tmp_path / "bare.usda"))
    UsdGeom.Xform.Define(stage, "/World")
    result = run_usd_validation({"bare": stage})
    assert not result.ok
    assert result.figures["error"] >= 2


def test_validation_fails_when_the_scene_is_missing(make_scene):
    """Validating before the step ran reports a failed check instead of raising."""
    report = validate_usd(_context(make_scene("never_assembled")))
    assert not report["ok"]


def test_step_registration():
    """The step spec: name, job, dependency on simready, outputs and validation."""
    assert (STEP.name, STEP.job, STEP.order) == ("usd", "usd-assembly-job", 30)
    assert STEP.depends_on == ("simready",)
    assert STEP.inputs == ("assets/",)
    assert "usd/" in STEP.outputs and "reports/scene_preview.png" in STEP.outputs
    assert STEP.validate is validate_usd
    assert STEP.settings_cls is UsdAssemblySettings
