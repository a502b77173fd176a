"""The optional LLM estimate in simready: clamped, recorded, reused, and never required."""

from __future__ import annotations

import json

import pytest

from simready_job.llm_physics import RECORD_NAME
from simready_job.simready import SimreadyOptions, run_simready
from tools.llm_client import LLMClient
from tools.llm_client.testing import FakeLLMServer, gemini_client
from tools.scene_layout import SIMREADY_LAYER_PATH
from tools.scene_manifest import Physics, load_manifest

WILD = {
    "material": "Porcelain",
    "mass_kg": 1000.0,
    "static_friction": 3.0,
    "dynamic_friction": 5.0,
    "restitution": 1.7,
}


@pytest.fixture
def server():
    with FakeLLMServer(model_version="gemini-test-001") as fake:
        yield fake


def _physics(scene, object_id: str) -> Physics:
    physics = load_manifest(scene).object(object_id).physics
    assert physics is not None
    return physics


def _client(server: FakeLLMServer) -> LLMClient:
    return gemini_client(server, attempts=2)


def test_out_of_range_answers_are_clamped_and_recorded(scene_factory, halving, server):
    """Only the dynamic mug is asked; its wild answer is clamped and its provenance kept."""
    scene = scene_factory()
    server.reply_json(WILD)
    report = run_simready(scene, decomposer=halving, llm_client=_client(server))
    assert len(server.requests) == 1 and report.llm is not None and report.llm["calls"] == 1
    mug = load_manifest(scene).object("mug_1")
    assert _physics(scene, "table_1").source == "priors"
    physics = _physics(scene, "mug_1")
    assert physics.source == "llm:gemini-test"
    assert physics.material == "porcelain"
    assert physics.static_friction == 1.5
    assert physics.dynamic_friction <= physics.static_friction
    assert physics.restitution == 1.0
    priors_mass = _priors_mass(scene_factory, halving)
    assert physics.mass_kg == pytest.approx(4 * priors_mass, rel=1e-6)
    assert any("clamped" in note for note in mug.provenance.notes)
    record = json.loads((scene / "assets/mug_1" / RECORD_NAME).read_text())
    assert record["model_version"] == "gemini-test-001"
    assert record["answer"]["mass_kg"] == 1000.0


def _priors_mass(scene_factory, halving) -> float:
    scene = scene_factory()
    run_simready(scene, decomposer=halving)
    return _physics(scene, "mug_1").mass_kg


def test_a_rerun_reuses_the_recorded_answer(scene_factory, halving, server):
    """The second run sends no request and writes the same bytes."""
    scene = scene_factory()
    server.reply_json(WILD)
    run_simready(scene, decomposer=halving, llm_client=_client(server))
    layer_bytes = (scene / SIMREADY_LAYER_PATH).read_bytes()
    report = run_simready(scene, decomposer=halving, llm_client=_client(server))
    assert len(server.requests) == 1
    assert report.llm is not None and report.llm["reused"] == 1
    assert (scene / SIMREADY_LAYER_PATH).read_bytes() == layer_bytes


def test_a_malformed_answer_falls_back_to_priors(scene_factory, halving, server):
    """Unusable JSON leaves the priors in place, with a note."""
    scene = scene_factory()
    server.reply_text("mass is about 0.3 kg")
    run_simready(scene, decomposer=halving, llm_client=_client(server))
    mug = load_manifest(scene).object("mug_1")
    assert _physics(scene, "mug_1").source == "priors"
    assert "simready: llm estimate unavailable: priors used" in mug.provenance.notes


def test_a_failing_provider_falls_back_to_priors(scene_factory, halving, server):
    """HTTP 500 on every attempt: the step still succeeds on priors."""
    scene = scene_factory()
    report = run_simready(scene, decomposer=halving, llm_client=_client(server))
    assert report.ready == 2
    assert _physics(scene, "mug_1").source == "priors"


def test_without_a_key_auto_uses_priors(scene_factory, halving):
    """SIMREADY_LLM=auto with no key configured: no client, deterministic priors."""
    scene = scene_factory()
    report = run_simready(scene, SimreadyOptions(llm="auto"), decomposer=halving)
    assert report.llm is None
    assert _physics(scene, "mug_1").source == "priors"


def test_auto_with_a_key_uses_the_provider(scene_factory, halving, server, monkeypatch):
    """With GEMINI_API_KEY set (tools.secret_store' fallback), auto asks Gemini at the base URL."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-abcdef")
    server.reply_json({**WILD, "mass_kg": 0.3, "static_friction": 0.6, "dynamic_friction": 0.5})
    scene = scene_factory()
    options = SimreadyOptions(llm="auto", llm_base_url=server.base_url, llm_model="gemini-x")
    run_simready(scene, options, decomposer=halving)
    assert server.requests[0].path == "/v1beta/models/gemini-x:generateContent"
    mug = _physics(scene, "mug_1")
    assert (mug.source, mug.mass_kg, mug.static_friction) == ("llm:gemini-x", 0.3, 0.6)
