"""The `replicator` step: spec, settings, a run through the local runner, LLM suggestions."""

from __future__ import annotations

import dataclasses
import json

import pytest

from replicator_job.bundle import StepOptions, build_bundle
from replicator_job.llm_suggestions import suggest
from replicator_job.settings import ReplicatorSettings
from replicator_job.step import STEP, options_from_settings
from tools.config import load_settings
from tools.errors import ConfigError
from tools.llm_client import LLMClient
from tools.llm_client.testing import FakeLLMServer, gemini_client
from tools.randomization import load_bundle_config
from tools.randomization.layout import METADATA_PATH
from tools.run_local_pipeline import run_pipeline
from tools.scene_manifest import load_manifest


def test_step_spec_is_registered_shape():
    """replicator runs after usd, reads assets/ and usd/, writes replicator/, has a validation."""
    assert (STEP.name, STEP.job, STEP.order) == ("replicator", "replicator-job", 40)
    assert STEP.depends_on == ("usd",)
    assert STEP.inputs == ("assets/", "usd/") and STEP.outputs == ("replicator/",)
    assert STEP.validate is not None and STEP.settings_cls is ReplicatorSettings


def test_settings_map_to_options_and_refuse_unknown_randomizers(tmp_path):
    """REPLICATOR_* variables become step options; an unknown per-frame randomizer is refused."""
    env = {
        "SCENE_ID": "s1",
        "SCENE_DIR": str(tmp_path),
        "SEED": "4",
        "REPLICATOR_PER_FRAME": "lighting, camera_jitter",
        "REPLICATOR_SAMPLE_EPISODES": "2",
    }
    options = options_from_settings(load_settings(ReplicatorSettings, env))
    assert options.bundle.seed == 4 and options.sample_episodes == 2
    assert options.bundle.per_frame == {"lighting", "camera_jitter"}
    with pytest.raises(ConfigError, match="REPLICATOR_PER_FRAME"):
        load_settings(ReplicatorSettings, {**env, "REPLICATOR_PER_FRAME": "lighting,sky"})


def test_runner_runs_and_validates_the_step(scene_copy, monkeypatch):
    """Through the local runner: completed, validated, per-frame lighting written to the configs."""
    scene_dir = scene_copy()
    monkeypatch.setenv("REPLICATOR_LLM", "off")
    monkeypatch.setenv("REPLICATOR_SAMPLE_EPISODES", "1")
    monkeypatch.setenv("REPLICATOR_PER_FRAME", "lighting")
    specs = {"replicator": dataclasses.replace(STEP, depends_on=())}
    summary = run_pipeline(scene_dir, steps=["replicator"], validate=True, specs=specs)
    assert summary["ok"], summary
    result = summary["steps"]["replicator"]["result"]
    assert result["policies"] == ["pick_and_place", "table_clearing"]
    lighting = load_bundle_config(scene_dir, "pick_and_place").randomizers.lighting
    assert lighting is not None and lighting.frequency == "per_frame"
    assert (scene_dir / ".markers" / "replicator.complete.json").is_file()


def _client(server: FakeLLMServer) -> LLMClient:
    return gemini_client(server, attempts=1, breaker="replicator-test", failure_threshold=5)


def test_llm_labels_are_validated_and_recorded(scene_copy):
    """An accepted suggestion relabels distractors and is recorded with its model."""
    scene_dir = scene_copy()
    answer = {
        "primary_policy": "table_clearing",
        "distractor_labels": ["Sponge", "mug", "DROP TABLE;", "sponge"],
    }
    with FakeLLMServer(model_version="gemini-test-001") as server:
        server.reply_json(answer)
        result = build_bundle(scene_dir, StepOptions(sample_episodes=1), _client(server))
    assert result.llm is not None and result.llm["model_version"] == "gemini-test-001"
    assert load_bundle_config(scene_dir, "pick_and_place").randomizers.distractors.labels == (
        "sponge",
        "mug",
    )
    metadata = json.loads((scene_dir / METADATA_PATH).read_text())
    assert metadata["primary_policy"] == "table_clearing" and metadata["llm"][
        "distractor_labels"
    ] == ["sponge", "mug"]


@pytest.mark.parametrize("reply", [{"json": {"primary_policy": "juggling"}}, {"status": 500}])
def test_llm_failures_fall_back_to_defaults(usd_scene, reply):
    """An unsupported policy or a failing provider gives no suggestion (deterministic defaults)."""
    manifest = load_manifest(usd_scene)
    with FakeLLMServer() as server:
        if "json" in reply:
            server.reply_json(reply["json"])
        else:
            server.reply_status(reply["status"])
        assert suggest(_client(server), manifest, ["pick_and_place", "table_clearing"]) is None
    assert suggest(None, manifest, ["pick_and_place"]) is None
