"""The shared LLM client against a local server speaking the Gemini and OpenAI shapes."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from tools.errors import CircuitOpenError, ConfigError
from tools.llm_client import (
    LLMClient,
    LLMRequestRejected,
    LLMResponseInvalid,
    LLMTransientError,
    Provider,
    RetryPolicy,
    create_llm_client,
)
from tools.llm_client.testing import FakeLLMServer
from tools.resilience import CircuitBreaker
from tools.secrets import SecretValue
from tools.structured_logging import capture_logs

KEY = "sk-test-key-0123456789"
NO_WAIT = RetryPolicy(attempts=3, initial_delay_s=0.0, jitter_s=0.0, sleep=lambda _s: None)


class Answer(BaseModel):
    name: str
    value: float


@pytest.fixture
def server():
    with FakeLLMServer(model_version="fake-2025") as fake:
        yield fake


def _client(server, provider=Provider.GEMINI, **kwargs) -> LLMClient:
    kwargs.setdefault("retry", NO_WAIT)
    kwargs.setdefault("breaker", CircuitBreaker("test", failure_threshold=5))
    return LLMClient(provider, SecretValue(KEY), base_url=server.base_url, **kwargs)


def test_gemini_request_and_answer(server):
    """generateContent with the key header and JSON mime type; the answer is validated."""
    server.reply_json({"name": "mug", "value": 0.3})
    answer = _client(server, model="gemini-test").generate_json("say json", Answer)
    assert answer.value == Answer(name="mug", value=0.3)
    assert (answer.provider, answer.model, answer.model_version) == (
        Provider.GEMINI,
        "gemini-test",
        "fake-2025",
    )
    (request,) = server.requests
    assert request.path == "/v1beta/models/gemini-test:generateContent"
    assert request.headers["x-goog-api-key"] == KEY
    assert request.body["generationConfig"]["responseMimeType"] == "application/json"
    assert request.body["contents"][0]["parts"][0]["text"] == "say json"


def test_openai_request_and_answer(server):
    """chat/completions with a Bearer key and response_format json_object."""
    server.reply_json({"name": "bowl", "value": 1.5})
    answer = _client(server, Provider.OPENAI, model="gpt-test").generate_json("json", Answer)
    assert answer.value.value == 1.5
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["model"] == "gpt-test"
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]


def test_malformed_json_is_invalid_and_not_retried(server):
    """Text that is not JSON raises LLMResponseInvalid after exactly one request."""
    server.reply_text('{"name": "mug", "value": ')
    with pytest.raises(LLMResponseInvalid, match="not valid JSON"):
        _client(server).generate_json("x", Answer)
    assert len(server.requests) == 1


def test_an_answer_breaking_the_model_names_the_field(server):
    """A wrong type is reported by field path, without echoing the value."""
    server.reply_json({"name": "mug", "value": "heavy-secret-word"})
    with pytest.raises(LLMResponseInvalid, match="value") as info:
        _client(server, Provider.OPENAI).generate_json("x", Answer)
    assert "heavy-secret-word" not in str(info.value)


def test_rate_limit_then_success_is_retried(server):
    """A 429 is transient: the next attempt's answer is returned."""
    server.reply_status(429)
    server.reply_json({"name": "can", "value": 0.4})
    assert _client(server).generate_json("x", Answer).value.name == "can"
    assert len(server.requests) == 2


def test_server_errors_open_the_breaker(server):
    """Calls failing with 500 after their retries open the breaker; then no request is sent."""
    breaker = CircuitBreaker("llm-test", failure_threshold=2, reset_timeout_s=60)
    client = _client(server, Provider.OPENAI, breaker=breaker)
    for _ in range(2):
        with pytest.raises(LLMTransientError) as info:
            client.generate_json("x", Answer)
        assert info.value.status == 500
    assert len(server.requests) == 2 * NO_WAIT.attempts
    with pytest.raises(CircuitOpenError):
        client.generate_json("x", Answer)
    assert len(server.requests) == 2 * NO_WAIT.attempts


def test_a_rejected_request_is_permanent(server):
    """401/400 are not retried and say what to check."""
    server.reply_status(400)
    with pytest.raises(LLMRequestRejected, match="HTTP 400") as info:
        _client(server).generate_json("x", Answer)
    assert info.value.hint and len(server.requests) == 1


def test_an_unreachable_server_is_transient():
    """A refused connection is a transient error (retried, then raised)."""
    client = LLMClient(
        Provider.GEMINI,
        SecretValue(KEY),
        base_url="http://127.0.0.1:9",
        retry=RetryPolicy(attempts=2, initial_delay_s=0, jitter_s=0, sleep=lambda _s: None),
        breaker=CircuitBreaker("t"),
        timeout_s=2,
    )
    with pytest.raises(LLMTransientError, match="no response"):
        client.generate_json("x", Answer)


def test_logs_never_contain_the_key_or_the_prompt(server):
    """Retries and results are logged without the key, headers or prompt text."""
    server.reply_status(429)
    server.reply_json({"name": "x", "value": 1})
    with capture_logs() as records:
        _client(server).generate_json("PROMPT-SECRET-42", Answer)
    text = json.dumps(records)
    assert records and KEY not in text and "PROMPT-SECRET-42" not in text
    assert "x-goog-api-key" not in text


def test_no_key_configured_means_no_client():
    """With no key anywhere, "auto" gives None (callers use priors); "off" always does."""
    assert create_llm_client("auto") is None
    assert create_llm_client("off") is None


def test_an_explicit_provider_without_key_is_a_config_error():
    """Asking for a provider whose key is missing fails fast."""
    with pytest.raises(ConfigError, match="GEMINI_API_KEY"):
        create_llm_client("gemini")


def test_keys_come_from_tools_secrets(monkeypatch, server):
    """The environment fallback of tools.secrets provides the key; auto picks that provider."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    client = create_llm_client("auto", base_url=server.base_url, retry=NO_WAIT)
    assert client is not None and client.provider is Provider.OPENAI
    assert KEY not in repr(client)


@pytest.mark.parametrize(
    "url", ["http://example.com", "ftp://127.0.0.1", "https://h/?q=1", "https://u:p@h"]
)
def test_unsafe_base_urls_are_refused(url):
    """Plain http only to loopback; no queries, fragments or credentials."""
    with pytest.raises(ValueError):
        LLMClient(Provider.GEMINI, SecretValue(KEY), base_url=url)


def test_model_names_cannot_alter_the_path():
    """A model name with a slash or query characters is refused."""
    with pytest.raises(ValueError):
        LLMClient(Provider.GEMINI, SecretValue(KEY), model="../../admin?x=1")
