"""Provenance names the code, the libraries, the inputs and the data source, everywhere."""

import dataclasses
import json
import subprocess

import numpy as np

from tools import provenance
from tools.config import JobSettings, load_settings
from tools.data_source import MOCK_CAPTION, caption_if_mock, caption_image, scene_data_source
from tools.job_runner import execute_step
from tools.testing import scratch_step


def _fresh_code_version(monkeypatch, **env):
    for name in (provenance.GIT_COMMIT_ENV, provenance.GIT_DIRTY_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    provenance.code_version.cache_clear()
    try:
        return provenance.code_version()
    finally:
        provenance.code_version.cache_clear()


def test_code_version_from_this_checkout_names_head(monkeypatch):
    """In a git checkout: the commit is HEAD's, with a dirty flag and the project version."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    code = _fresh_code_version(monkeypatch)
    assert code["source"] == "git" and code["git_commit"] == head
    assert isinstance(code["git_dirty"], bool) and code["version"]


def test_code_version_outside_git_comes_from_the_environment_or_says_unknown(monkeypatch, tmp_path):
    """A container without .git: the build's env vars, else build_info.json, else unknown."""
    monkeypatch.setattr(provenance, "_REPO_ROOT", tmp_path)
    monkeypatch.setattr(provenance, "BUILD_INFO_PATH", tmp_path / "build_info.json")
    code = _fresh_code_version(monkeypatch, BLUEPRINT_GIT_COMMIT="abc123", BLUEPRINT_GIT_DIRTY="0")
    assert (code["git_commit"], code["git_dirty"], code["source"]) == ("abc123", False, "env")
    assert _fresh_code_version(monkeypatch)["source"] == "unknown"
    (tmp_path / "build_info.json").write_text(json.dumps({"git_commit": "def456"}))
    code = _fresh_code_version(monkeypatch)
    assert (code["git_commit"], code["git_dirty"], code["source"]) == ("def456", None, "build_info")


def test_completion_marker_and_validation_report_record_provenance(tmp_path):
    """A step's marker names the code, libraries, input hashes, settings and data source."""
    scene = tmp_path / "scene"
    (scene / "assets").mkdir(parents=True)
    manifest = {"provenance": {"data_source": "mock-fixture"}}
    (scene / "assets/scene_manifest.json").write_text(json.dumps(manifest))
    assert scene_data_source(scene) == "mock-fixture"
    settings = load_settings(JobSettings, {"SCENE_ID": "scene", "SCENE_DIR": str(scene)})
    settings = settings.model_copy(update={"SEED": 5})
    execute_step(scratch_step("demo", lambda ctx: {"ok": True}), settings)
    marker = json.loads((scene / ".markers/demo.complete.json").read_text())
    record = marker["provenance"]
    assert record["data_source"] == "mock-fixture"
    assert record["code"]["git_commit"] and record["settings"]["SEED"] == 5
    assert "SCENE_DIR" not in record["settings"]
    assert record["input_sha256"]["assets/scene_manifest.json"] == provenance.sha256_file(
        scene / "assets/scene_manifest.json"
    )
    assert record["input_sha256"]["usd/scene.usda"] is None
    assert {"mujoco", "usd-core", "pybullet"} <= set(record["tool_versions"])


def test_steps_may_add_an_output_fingerprint_to_the_skip_decision(tmp_path):
    """A step's output_fingerprint reruns it when that digest changes, even if nothing else did."""
    scene = tmp_path / "scene"
    scene.mkdir()
    digest = ["a"]
    spec = dataclasses.replace(
        scratch_step("demo", lambda ctx: {}), output_fingerprint=lambda _dir, _s: digest[0]
    )
    settings = load_settings(JobSettings, {"SCENE_ID": "scene", "SCENE_DIR": str(scene)})
    assert execute_step(spec, settings).status == "completed"
    assert execute_step(spec, settings).status == "skipped"
    digest[0] = "b"
    assert execute_step(spec, settings).status == "completed"


def test_mock_caption_is_drawn_only_on_mock_data():
    """The caption band changes the bottom rows of a mock preview, nothing of a real one."""
    image = np.full((64, 200, 3), 128, dtype=np.uint8)
    assert caption_if_mock(image, "reconstruction") is image
    captioned = caption_if_mock(image, "mock-fixture")
    assert captioned.shape == image.shape and captioned.dtype == np.uint8
    assert (captioned[:40] == 128).all() and (captioned[-14:] != 128).any()
    assert not np.array_equal(caption_image(image, MOCK_CAPTION), caption_image(image, "x"))
