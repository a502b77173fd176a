"""Config validation at start-up: fail fast naming the variable and rule, never the value."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from tools.config import JobSettings, load_settings
from tools.errors import ConfigError


def test_local_settings_load(tmp_path):
    """SCENE_ID + SCENE_DIR is a valid local configuration with defaults filled in."""
    s = load_settings(JobSettings, {"SCENE_ID": "kitchen_01", "SCENE_DIR": str(tmp_path)})
    assert s.scene_uri == str(tmp_path)
    assert s.SEED == 0 and s.PRODUCTION_MODE is False


def test_gcs_location():
    """BUCKET selects the GCS layout scenes/<id>/."""
    s = load_settings(JobSettings, {"SCENE_ID": "k1", "BUCKET": "my-bucket"})
    assert s.scene_uri == "gs://my-bucket/scenes/k1"


@pytest.mark.parametrize(
    ("env", "variable", "rule"),
    [
        ({}, "SCENE_ID", "required"),
        ({"SCENE_ID": "my scene", "BUCKET": "b-1"}, "SCENE_ID", "must match"),
        ({"SCENE_ID": "../etc", "BUCKET": "b-1"}, "SCENE_ID", "must match"),
        ({"SCENE_ID": "ok", "BUCKET": "Bad_Bucket!"}, "BUCKET", "must match"),
        ({"SCENE_ID": "ok", "BUCKET": "b-1", "SEED": "-3"}, "SEED", "greater than"),
        (
            {"SCENE_ID": "ok", "BUCKET": "b-1", "PRODUCTION_MODE": "maybe"},
            "PRODUCTION_MODE",
            "bool",
        ),
        ({"SCENE_ID": "ok"}, "configuration", "exactly one of BUCKET"),
    ],
)
def test_bad_variables_are_named(env, variable, rule):
    """Each bad variable yields a ConfigError naming it and its rule."""
    with pytest.raises(ConfigError) as info:
        load_settings(JobSettings, env)
    message = str(info.value)
    assert variable in message
    assert rule in message
    for value in env.values():
        if value not in ("ok", "b-1"):
            assert value not in message


def test_settings_are_frozen(tmp_path):
    """Settings cannot be changed after validation."""
    s = load_settings(JobSettings, {"SCENE_ID": "k", "SCENE_DIR": str(tmp_path)})
    with pytest.raises(ValidationError):
        s.SEED = 3  # type: ignore[misc]


@pytest.mark.parametrize("scene_id", ["my scene", "../../x"])
def test_entrypoint_exits_2_with_one_line(scene_id):
    """A job started with a malformed SCENE_ID exits 2 with one line, not echoing the value."""
    proc = subprocess.run(
        [sys.executable, "-m", "regen3d_ingest_job.ingest_regen3d"],
        env={"SCENE_ID": scene_id, "BUCKET": "some-bucket", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "SCENE_ID" in lines[0] and "must match" in lines[0]
    assert scene_id not in lines[0]


def test_entrypoint_missing_variable_exits_2():
    """A job started without SCENE_ID exits 2 naming it."""
    proc = subprocess.run(
        [sys.executable, "-m", "regen3d_ingest_job.ingest_regen3d"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "SCENE_ID" in proc.stderr and "required" in proc.stderr
