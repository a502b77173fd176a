"""Errors of LLM calls; whether a retry can help is a property of the error.

PipelineError (tools.errors)
└── LLMError                    an LLM call failed permanently (not retried)
    ├── LLMRequestRejected      the provider refused the request (4xx other than 408/429)
    └── LLMResponseInvalid      the answer is not JSON or does not fit the caller's model
TransientError (tools.errors)
└── LLMTransientError           429, 408, 5xx, timeout or connection failure (retried)

Messages name the provider, the HTTP status and the provider's error status; never the key,
the request headers or the prompt.
"""

from __future__ import annotations

from tools.errors import PipelineError, TransientError


class LLMError(PipelineError):
    """An LLM call failed in a way a retry cannot fix.

    Attributes:
        provider: "gemini" or "openai".
    """

    def __init__(self, provider: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{provider}: {message}", hint=hint)
        self.provider = provider


class LLMRequestRejected(LLMError):
    """The provider answered 4xx (bad key, unknown model, malformed request).

    Attributes:
        status: the HTTP status code.
    """

    def __init__(self, provider: str, status: int, detail: str) -> None:
        super().__init__(
            provider,
            f"request rejected with HTTP {status} ({detail})",
            hint="check the API key, the model name and the base URL",
        )
        self.status = status


class LLMResponseInvalid(LLMError):
    """The answer could not be used: no text, not JSON, or not valid for the caller's model.

    Attributes:
        problems: one line per problem (field paths and rules, never the answer's values).
    """

    def __init__(self, provider: str, problems: list[str]) -> None:
        summary = "; ".join(problems[:5])
        super().__init__(provider, f"unusable answer: {summary}")
        self.problems = list(problems)


class LLMTransientError(TransientError):
    """The call may succeed later: rate limit, server error, timeout or connection failure.

    Attributes:
        provider: "gemini" or "openai".
        status: the HTTP status code, or None for timeouts and connection failures.
        retry_after_s: the delay the provider asked for before the next attempt, or None.
    """

    def __init__(
        self,
        provider: str,
        status: int | None,
        detail: str,
        *,
        retry_after_s: float | None = None,
    ) -> None:
        what = f"HTTP {status}" if status is not None else "no response"
        wait = f"; retry after {retry_after_s:g}s" if retry_after_s is not None else ""
        super().__init__(f"{provider}: {what} ({detail}{wait})", retry_after_s=retry_after_s)
        self.provider = provider
        self.status = status
