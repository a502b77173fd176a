"""Episodes fall back to the job's jitter when the replicator found no task for the policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from episode_generation_job.bundle_policy import applicable_settings, unsupported_policy
from episode_generation_job.job import bundle_config
from episode_generation_job.settings import EpisodeSettings
from tools.config import load_settings
from tools.errors import InputError
from tools.randomization.layout import METADATA_PATH, config_path


def _settings(scene_dir: Path, **extra: str) -> EpisodeSettings:
    env = {"SCENE_ID": scene_dir.name, "SCENE_DIR": str(scene_dir), "CAMERAS": "", **extra}
    return load_settings(EpisodeSettings, env)


def _bundle(scene_dir: Path, policies: list[str]) -> None:
    (scene_dir / METADATA_PATH).parent.mkdir(parents=True)
    (scene_dir / METADATA_PATH).write_text(json.dumps({"policies": policies}))


def test_a_policy_the_bundle_does_not_support_falls_back_to_jitter(tmp_path):
    """The replicator ran and wrote only table_clearing: pick_and_place runs with jitter."""
    _bundle(tmp_path, ["table_clearing"])
    settings = _settings(tmp_path)
    reason = unsupported_policy(tmp_path, settings)
    assert reason is not None
    assert "no pick_and_place config" in reason and "table_clearing" in reason
    applied = applicable_settings(tmp_path, settings)
    assert applied.RANDOMIZATION == "none" and applied.POLICY == "pick_and_place"
    assert bundle_config(tmp_path, applied) is None  # no crash on the missing file


def test_a_scene_with_no_policy_says_none(tmp_path):
    _bundle(tmp_path, [])
    reason = unsupported_policy(tmp_path, _settings(tmp_path))
    assert reason is not None and "bundle policies: none" in reason


@pytest.mark.parametrize(
    "metadata", [None, "not json", json.dumps({"policies": ["pick_and_place"]})]
)
def test_a_missing_or_broken_bundle_stays_an_input_error(tmp_path, metadata):
    """No bundle, an unreadable one, or one that lists the policy: the missing config is an
    input error naming the file (the replicator did not run, or its bundle is broken)."""
    if metadata is not None:
        (tmp_path / METADATA_PATH).parent.mkdir(parents=True)
        (tmp_path / METADATA_PATH).write_text(metadata)
    settings = _settings(tmp_path)
    assert unsupported_policy(tmp_path, settings) is None
    assert applicable_settings(tmp_path, settings) is settings
    with pytest.raises(InputError, match=config_path("pick_and_place")):
        bundle_config(tmp_path, settings)


def test_mode_none_and_a_present_config_are_left_alone(tmp_path):
    _bundle(tmp_path, [])
    none = _settings(tmp_path, RANDOMIZATION="none")
    assert applicable_settings(tmp_path, none) is none
    (tmp_path / config_path("pick_and_place")).parent.mkdir(parents=True)
    (tmp_path / config_path("pick_and_place")).write_text("{}")
    assert unsupported_policy(tmp_path, _settings(tmp_path)) is None
