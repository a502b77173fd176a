"""One JSON-answer LLM client for Gemini and OpenAI: retries, a breaker per provider, validation."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from tools.llm_client.errors import LLMResponseInvalid
from tools.llm_client.providers import SPECS, Provider, build_call, check_model_name, extract_text
from tools.llm_client.transport import check_base_url, post_json
from tools.resilience import CircuitBreaker
from tools.resilience import RetryPolicy as BaseRetryPolicy
from tools.secret_store import SecretValue
from tools.structured_logging import get_logger, log_fields

log = get_logger("llm_client")

T = TypeVar("T", bound=BaseModel)

DEFAULT_SYSTEM = "You are a careful assistant. Answer with one JSON object and nothing else."

_breakers: dict[Provider, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


@dataclass(frozen=True)
class RetryPolicy(BaseRetryPolicy):
    """How transient failures (429, 408, 5xx, timeouts) are retried within one call."""

    initial_delay_s: float = 1.0
    max_delay_s: float = 20.0
    jitter_s: float = 0.5
    total_delay_s: float = 60.0


@dataclass(frozen=True)
class LLMAnswer(Generic[T]):
    """A validated answer and where it came from.

    Attributes:
        value: the answer, an instance of the caller's model.
        provider: the API that answered.
        model: the model asked for.
        model_version: the version the provider reports (falls back to `model`).
        latency_s: wall time of the call including retries.
    """

    value: T
    provider: Provider
    model: str
    model_version: str
    latency_s: float


def breaker_for(provider: Provider) -> CircuitBreaker:
    """The process-wide circuit breaker of a provider (5 failed calls open it for 60 s).

    Args:
        provider: the API.

    Returns:
        The shared breaker, created on first use.
    """
    with _breakers_lock:
        if provider not in _breakers:
            _breakers[provider] = CircuitBreaker(
                f"llm-{provider.value}", failure_threshold=5, reset_timeout_s=60.0
            )
        return _breakers[provider]


def reset_breakers() -> None:
    """Forget every provider breaker (for tests)."""
    with _breakers_lock:
        _breakers.clear()


def parse_json_answer(provider: Provider, text: str, schema: type[T]) -> T:
    """Decode the model's text as JSON and validate it against `schema`.

    Args:
        provider: the API that answered (for errors).
        text: the answer text; a Markdown code fence around it is tolerated.
        schema: the caller's pydantic model.

    Returns:
        The validated instance.

    Raises:
        LLMResponseInvalid: not a JSON object, or fields break the model (values not echoed).
    """
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        decoded = json.loads(stripped)
    except ValueError:
        raise LLMResponseInvalid(provider, ["answer text is not valid JSON"]) from None
    if not isinstance(decoded, dict):
        raise LLMResponseInvalid(provider, ["answer is not a JSON object"])
    try:
        return schema.model_validate(decoded)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        raise LLMResponseInvalid(provider, problems) from None


class LLMClient:
    """Asks one provider's model for JSON answers validated against pydantic models.

    Owns the API key (as a SecretValue, revealed only into the request header) and uses
    the provider's shared circuit breaker unless one is given. Transient failures are
    retried inside one call; the breaker counts calls whose retries were exhausted.
    """

    def __init__(
        self,
        provider: Provider,
        api_key: SecretValue,
        *,
        model: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        temperature: float | None = 0.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """Configure the client (no network access happens here).

        Args:
            provider: the API.
            api_key: the key from tools.secret_store.
            model: model name (default: the provider's default model).
            base_url: API root, e.g. a local fake server in tests.
            timeout_s: per-attempt socket timeout.
            temperature: sampling temperature (None: provider default).
            retry: retry policy for transient failures.
            breaker: circuit breaker (default: the provider's shared one).

        Raises:
            ValueError: malformed model name or base URL, or a non-positive timeout.
        """
        spec = SPECS[provider]
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.provider = provider
        self.model = check_model_name(model or spec.default_model)
        self.base_url = check_base_url(base_url or spec.base_url)
        self._key = api_key
        self._timeout_s = timeout_s
        self._temperature = temperature
        self._retry = retry or RetryPolicy()
        self._breaker = breaker or breaker_for(provider)

    def __repr__(self) -> str:
        return f"LLMClient(provider={self.provider.value!r}, model={self.model!r})"

    def _post_with_retries(self, system: str, prompt: str) -> Any:
        @self._retry.retrying()
        def attempt() -> Any:
            call = build_call(
                self.provider,
                self.base_url,
                self.model,
                self._key.reveal(),
                system,
                prompt,
                self._temperature,
            )
            return post_json(self.provider.value, call, self._timeout_s)

        return attempt()

    def generate_json(
        self, prompt: str, schema: type[T], *, system: str = DEFAULT_SYSTEM
    ) -> LLMAnswer[T]:
        """Ask for one JSON object and validate it against `schema`.

        Args:
            prompt: the user message (the caller describes the JSON it expects in it).
            schema: pydantic model the answer must satisfy.
            system: the system instruction.

        Returns:
            The validated answer with provenance.

        Raises:
            CircuitOpenError: the provider's breaker is open.
            LLMTransientError: transient failures outlasted the retries.
            LLMRequestRejected: the provider refused the request.
            LLMResponseInvalid: the answer is unusable.
        """
        started = time.monotonic()
        status = "interrupted"
        try:
            payload = self._breaker.call(self._post_with_retries, system, prompt)
            text, version = extract_text(self.provider, payload)
            value = parse_json_answer(self.provider, text, schema)
            status = "ok"
            return LLMAnswer(
                value=value,
                provider=self.provider,
                model=self.model,
                model_version=version or self.model,
                latency_s=time.monotonic() - started,
            )
        except Exception as exc:
            status = f"failed: {type(exc).__name__}"
            raise
        finally:
            log.info(
                "llm call %s/%s: %s",
                self.provider.value,
                self.model,
                status,
                extra=log_fields(
                    provider=self.provider.value,
                    model=self.model,
                    status=status,
                    latency_s=round(time.monotonic() - started, 3),
                ),
            )
