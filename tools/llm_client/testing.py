"""Test helper: a local HTTP server speaking the Gemini and OpenAI chat request/response shapes."""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.closing import ClosesOnExit
from tools.llm_client.client import LLMClient, RetryPolicy
from tools.llm_client.providers import Provider
from tools.resilience import CircuitBreaker
from tools.secret_store import SecretValue

_GEMINI_PREFIX = "/v1beta/models/"
_GEMINI_SUFFIX = ":generateContent"
_OPENAI_PATH = "/v1/chat/completions"
_RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"
_ERRORS = {
    400: ("INVALID_ARGUMENT", "invalid_request_error"),
    401: ("UNAUTHENTICATED", "invalid_api_key"),
    404: ("NOT_FOUND", "model_not_found"),
    429: ("RESOURCE_EXHAUSTED", "rate_limit_exceeded"),
    500: ("INTERNAL", "server_error"),
    503: ("UNAVAILABLE", "server_error"),
}


@dataclass(frozen=True)
class Reply:
    """One scripted reply: a status, and model text wrapped in the provider's envelope.

    Attributes:
        status: the HTTP status.
        text: the model's answer text (for status 200).
        retry_after_s: on an error, the delay the server asks for, sent the way the real API
            sends it (OpenAI: `retry-after` and `retry-after-ms` headers; Gemini: a
            google.rpc.RetryInfo entry in the error body's details).
        headers: extra response headers, sent verbatim (e.g. a malformed Retry-After); they
            override the ones `retry_after_s` produces.
    """

    status: int = 200
    text: str | None = None
    retry_after_s: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received (header names lower-cased)."""

    provider: str
    path: str
    headers: dict[str, str]
    body: Any


def gemini_envelope(text: str, model_version: str) -> dict[str, Any]:
    """A generateContent response carrying `text` as the answer."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10},
        "modelVersion": model_version,
    }


def openai_envelope(text: str, model_version: str) -> dict[str, Any]:
    """A chat.completion response carrying `text` as the answer."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model_version,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def error_body(provider: str, status: int, retry_after_s: float | None = None) -> dict[str, Any]:
    """The provider's error JSON for `status`.

    Args:
        provider: "gemini" or "openai".
        status: the HTTP status.
        retry_after_s: for Gemini, adds QuotaFailure and RetryInfo details as its 429s do.

    Returns:
        The decoded error body.
    """
    gemini_status, openai_code = _ERRORS.get(status, ("UNKNOWN", "error"))
    if provider == "gemini":
        error: dict[str, Any] = {"code": status, "message": "fake error", "status": gemini_status}
        if retry_after_s is not None:
            error["details"] = [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": _RETRY_INFO_TYPE, "retryDelay": proto_duration(retry_after_s)},
            ]
        return {"error": error}
    return {"error": {"message": "fake error", "type": openai_code, "param": None}}


def proto_duration(seconds: float) -> str:
    """`seconds` in the JSON form of google.protobuf.Duration, e.g. "30s" or "1.5s"."""
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def retry_headers(provider: str, retry_after_s: float | None) -> dict[str, str]:
    """The headers by which the provider asks for a delay (none for Gemini).

    Args:
        provider: "gemini" or "openai".
        retry_after_s: the delay, or None.

    Returns:
        For OpenAI `retry-after` (whole seconds, rounded up) and `retry-after-ms`.
    """
    if provider != "openai" or retry_after_s is None:
        return {}
    return {
        "retry-after": str(math.ceil(retry_after_s)),
        "retry-after-ms": str(round(retry_after_s * 1000)),
    }


class FakeLLMServer(ClosesOnExit):
    """Serves scripted replies on 127.0.0.1 for both APIs and records every request.

    Owns an HTTP server thread; use it as a context manager. Replies are consumed in
    order; when none is queued, `default` is served (HTTP 500 unless changed).
    """

    def __init__(self, model_version: str = "fake-model-001") -> None:
        self.model_version = model_version
        self.requests: list[RecordedRequest] = []
        self.default = Reply(status=500)
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply_json(self, answer: Any, times: int = 1) -> None:
        """Queue a successful answer whose text is `answer` encoded as JSON."""
        self.reply(Reply(text=json.dumps(answer)), times)

    def reply_text(self, text: str, times: int = 1) -> None:
        """Queue a successful answer whose text is `text` verbatim (e.g. malformed JSON)."""
        self.reply(Reply(text=text), times)

    def reply_status(
        self, status: int, times: int = 1, *, retry_after_s: float | None = None
    ) -> None:
        """Queue an error reply with the provider's error body (and requested delay)."""
        self.reply(Reply(status=status, retry_after_s=retry_after_s), times)

    def reply(self, reply: Reply, times: int = 1) -> None:
        """Queue `reply` `times` times."""
        with self._lock:
            self._queue.extend([reply] * times)

    def _next(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def __enter__(self) -> FakeLLMServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the server and join its thread; safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def gemini_client(
    server: FakeLLMServer, *, attempts: int, breaker: str = "test", failure_threshold: int = 3
) -> LLMClient:
    """A Gemini client talking to `server` with a test key, retrying without waiting.

    Args:
        server: the running fake server.
        attempts: tries per call (transient failures are retried at once).
        breaker: the circuit breaker's name.
        failure_threshold: failures before the breaker opens.

    Returns:
        The client (model "gemini-test").
    """
    return LLMClient(
        Provider.GEMINI,
        SecretValue("test-key-123456"),
        model="gemini-test",
        base_url=server.base_url,
        retry=RetryPolicy(
            attempts=attempts, initial_delay_s=0.0, jitter_s=0.0, sleep=lambda _s: None
        ),
        breaker=CircuitBreaker(breaker, failure_threshold=failure_threshold),
    )


def _handler_for(fake: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(
            self, status: int, payload: Any, headers: Mapping[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path.startswith(_GEMINI_PREFIX) and self.path.endswith(_GEMINI_SUFFIX):
                provider, authorised = "gemini", bool(self.headers.get("x-goog-api-key"))
            elif self.path == _OPENAI_PATH:
                auth = self.headers.get("Authorization", "")
                provider, authorised = "openai", auth.startswith("Bearer ") and len(auth) > 7
            else:
                self._send(404, {"error": {"message": "unknown path", "status": "NOT_FOUND"}})
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake._record(RecordedRequest(provider, self.path, headers, body))
            if not authorised:
                self._send(401, error_body(provider, 401))
                return
            reply = fake._next()
            if reply.status != 200 or reply.text is None:
                body = error_body(provider, reply.status, reply.retry_after_s)
                headers = {**retry_headers(provider, reply.retry_after_s), **reply.headers}
                self._send(reply.status, body, headers)
                return
            envelope = gemini_envelope if provider == "gemini" else openai_envelope
            self._send(200, envelope(reply.text, fake.model_version), reply.headers)

    return Handler
