"""Request and response shapes of the two supported APIs (Gemini and OpenAI chat)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from tools.llm_client.errors import LLMResponseInvalid
from tools.secret_store import SecretIds

_MODEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Provider(StrEnum):
    """A supported LLM API."""

    GEMINI = "gemini"
    OPENAI = "openai"


@dataclass(frozen=True)
class ProviderSpec:
    """Defaults of one provider.

    Attributes:
        provider: which API.
        base_url: scheme and host the API lives at (overridable per client).
        default_model: the model used when the caller names none.
        secret_id: the Secret Manager id of its API key.
    """

    provider: Provider
    base_url: str
    default_model: str
    secret_id: str


SPECS: dict[Provider, ProviderSpec] = {
    Provider.GEMINI: ProviderSpec(
        Provider.GEMINI,
        "https://generativelanguage.googleapis.com",
        "gemini-2.5-flash",
        SecretIds.GEMINI_API_KEY,
    ),
    Provider.OPENAI: ProviderSpec(
        Provider.OPENAI, "https://api.openai.com", "gpt-4o-mini", SecretIds.OPENAI_API_KEY
    ),
}


@dataclass(frozen=True)
class HttpCall:
    """One POST to send. `headers` carry the API key: never log or store them."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]


def check_model_name(model: str) -> str:
    """Validate a model name so it cannot alter the request path.

    Args:
        model: e.g. "gemini-2.5-flash" or "models/gemini-2.5-flash".

    Returns:
        The name without a leading "models/".

    Raises:
        ValueError: the name has characters outside [A-Za-z0-9._-].
    """
    name = model.removeprefix("models/")
    if not _MODEL_PATTERN.match(name):
        raise ValueError(f"malformed model name {model!r}")
    return name


def build_call(
    provider: Provider,
    base_url: str,
    model: str,
    api_key: str,
    system: str,
    prompt: str,
    temperature: float | None,
) -> HttpCall:
    """The request asking `model` for a JSON object.

    Args:
        provider: which API.
        base_url: scheme and host, without a trailing path.
        model: a name accepted by `check_model_name`.
        api_key: the revealed key (only placed in a header).
        system: instructions sent as the system message.
        prompt: the user message.
        temperature: sampling temperature, or None for the provider's default.

    Returns:
        URL, headers and JSON body.
    """
    root = base_url.rstrip("/")
    name = check_model_name(model)
    if provider is Provider.GEMINI:
        config: dict[str, Any] = {"responseMimeType": "application/json"}
        if temperature is not None:
            config["temperature"] = temperature
        return HttpCall(
            url=f"{root}/v1beta/models/{quote(name, safe='.-_')}:generateContent",
            headers={"x-goog-api-key": api_key, "Content-Type": "application/json"},
            body={
                "systemInstruction": {"parts": [{"text": system}]},
                "contents": [{"role": "user", "parts": [{"text": prompt}]}],
                "generationConfig": config,
            },
        )
    body: dict[str, Any] = {
        "model": name,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ],
        "response_format": {"type": "json_object"},
    }
    if temperature is not None:
        body["temperature"] = temperature
    return HttpCall(
        url=f"{root}/v1/chat/completions",
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        body=body,
    )


def extract_text(provider: Provider, payload: Any) -> tuple[str, str | None]:
    """The answer text and the model version that produced it.

    Args:
        provider: which API answered.
        payload: the decoded JSON response body.

    Returns:
        (text, model version or None when the response does not say).

    Raises:
        LLMResponseInvalid: the response has no usable text (blocked, refused, truncated).
    """
    try:
        if provider is Provider.GEMINI:
            return _gemini_text(payload)
        return _openai_text(payload)
    except (KeyError, IndexError, TypeError, AttributeError):
        problem = "response does not have the documented shape"
        raise LLMResponseInvalid(provider, [problem]) from None


def _gemini_text(payload: dict[str, Any]) -> tuple[str, str | None]:
    candidates = payload.get("candidates") or []
    if not candidates:
        reason = (payload.get("promptFeedback") or {}).get("blockReason", "no candidates")
        raise LLMResponseInvalid(Provider.GEMINI, [f"no answer: {reason}"])
    first = candidates[0]
    finish = first.get("finishReason", "STOP")
    if finish not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
        raise LLMResponseInvalid(Provider.GEMINI, [f"answer not finished: {finish}"])
    parts = first["content"]["parts"]
    text = "".join(str(p.get("text", "")) for p in parts if not p.get("thought"))
    version = payload.get("modelVersion")
    return text, str(version) if version else None


def _openai_text(payload: dict[str, Any]) -> tuple[str, str | None]:
    choice = payload["choices"][0]
    message = choice["message"]
    if message.get("refusal"):
        raise LLMResponseInvalid(Provider.OPENAI, ["the model refused to answer"])
    if choice.get("finish_reason") not in (None, "stop"):
        raise LLMResponseInvalid(
            Provider.OPENAI, [f"answer not finished: {choice.get('finish_reason')}"]
        )
    version = payload.get("model")
    return str(message.get("content") or ""), str(version) if version else None
