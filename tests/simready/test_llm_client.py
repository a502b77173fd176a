"""The shared LLM client against a local server speaking the Gemini and OpenAI shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

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
from tools.llm_client.testing import FakeLLMServer, Reply
from tools.llm_client.transport import requested_retry_delay
from tools.resilience import CircuitBreaker
from tools.secret_store import SecretValue
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


def _recording(waits: list[float], **policy) -> RetryPolicy:
    """A retry policy that records its waits instead of sleeping (defaults otherwise)."""
    return RetryPolicy(sleep=waits.append, **policy)


@pytest.mark.parametrize("provider", [Provider.GEMINI, Provider.OPENAI])
def test_a_requested_retry_delay_is_honoured(server, provider):
    """A 429 asking for 7 s (RetryInfo for Gemini, headers for OpenAI) waits 7 s, not ~1 s."""
    server.reply_status(429, retry_after_s=7)
    server.reply_json({"name": "can", "value": 0.4})
    waits: list[float] = []
    answer = _client(server, provider, retry=_recording(waits)).generate_json("x", Answer)
    assert answer.value.name == "can"
    assert waits == [7.0]
    assert len(server.requests) == 2


@pytest.mark.parametrize("provider", [Provider.GEMINI, Provider.OPENAI])
def test_fractional_delays_keep_their_precision(server, provider):
    """1.5 s comes through RetryInfo ("1.5s") and retry-after-ms (1500, before retry-after 2)."""
    server.reply_status(503, retry_after_s=1.5)
    server.reply_json({"name": "can", "value": 0.4})
    waits: list[float] = []
    retry = _recording(waits, initial_delay_s=0.1, jitter_s=0.0)
    _client(server, provider, retry=retry).generate_json("x", Answer)
    assert waits == [1.5]


@pytest.mark.parametrize("provider", [Provider.GEMINI, Provider.OPENAI])
def test_a_requested_delay_beyond_the_budget_stops_retrying(server, provider):
    """Asking for more than total_delay_s raises the transient error without sleeping."""
    server.reply_status(429, retry_after_s=120)
    server.reply_json({"name": "never", "value": 0})
    waits: list[float] = []
    client = _client(server, provider, retry=_recording(waits, total_delay_s=60.0))
    with pytest.raises(LLMTransientError, match=r"HTTP 429 .*retry after 120s") as info:
        client.generate_json("x", Answer)
    assert (info.value.status, info.value.retry_after_s) == (429, 120.0)
    assert waits == []
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "soon"},
        {"Retry-After": "-3"},
        {"Retry-After": "nan", "retry-after-ms": "inf"},
        {"Retry-After": "1e3"},
        {"retry-after-ms": "-7000"},
        {"Retry-After": "Wed, 99 Oct 2015 07:28:00 GMT"},
    ],
)
def test_malformed_retry_headers_fall_back_to_backoff(server, headers):
    """Unusable Retry-After / retry-after-ms values are ignored: the backoff applies."""
    server.reply(Reply(status=429, headers=headers))
    server.reply_json({"name": "can", "value": 0.4})
    waits: list[float] = []
    retry = _recording(waits, initial_delay_s=1.0, jitter_s=0.0)
    _client(server, Provider.OPENAI, retry=retry).generate_json("x", Answer)
    assert waits == [1.0]


def test_an_http_date_retry_after_is_honoured(server):
    """Retry-After as an HTTP-date 30 s ahead waits until then (1 s resolution)."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.reply(Reply(status=503, headers={"Retry-After": when}))
    server.reply_json({"name": "can", "value": 0.4})
    waits: list[float] = []
    _client(server, retry=_recording(waits, jitter_s=0.0)).generate_json("x", Answer)
    (wait,) = waits
    assert 27.0 < wait <= 30.0


NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


def _retry_info(delay: object) -> dict[str, object]:
    return {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
            ],
        }
    }


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"retry-after-ms": "1500", "retry-after": "2"}, None, 1.5),
        ({"retry-after-ms": "bad", "retry-after": "7"}, None, 7.0),
        ({"retry-after": " 12 "}, None, 12.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, None, 30.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:30 -0000"}, None, 30.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"}, None, 0.0),
        ({}, _retry_info("30s"), 30.0),
        ({}, _retry_info("1.5s"), 1.5),
        ({"retry-after": "5"}, _retry_info("30s"), 5.0),
        ({"retry-after": "soon"}, _retry_info("3s"), 3.0),
        ({}, _retry_info("-1s"), None),
        ({}, _retry_info("30"), None),
        ({}, _retry_info("soon"), None),
        ({}, _retry_info(30), None),
        ({}, {"error": {"details": "RetryInfo"}}, None),
        ({}, {"error": "RESOURCE_EXHAUSTED"}, None),
        ({}, [1, 2], None),
        ({}, None, None),
    ],
)
def test_requested_retry_delay_sources(headers, body, expected):
    """retry-after-ms, then Retry-After (seconds or HTTP-date), then Gemini's RetryInfo."""
    assert requested_retry_delay(headers, body, now=NOW) == expected


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
    """The environment fallback of tools.secret_store provides the key; auto picks that provider."""
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
