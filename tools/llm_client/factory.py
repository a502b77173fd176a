"""Build an LLM client from configuration, with the API key from tools.secret_store only."""

from __future__ import annotations

from tools.errors import ConfigError
from tools.llm_client.client import LLMClient, RetryPolicy
from tools.llm_client.providers import SPECS, Provider
from tools.secret_store import SecretUnavailableError, SecretValue, get_secret_or_env
from tools.structured_logging import get_logger

log = get_logger("llm_client")

AUTO = "auto"
OFF = "off"
CHOICES = (AUTO, OFF, Provider.GEMINI.value, Provider.OPENAI.value)


def _key(provider: Provider, *, required: bool) -> SecretValue | None:
    secret_id = SPECS[provider].secret_id
    if required:
        return get_secret_or_env(secret_id)
    try:
        return get_secret_or_env(secret_id, required=False)
    except (ConfigError, SecretUnavailableError) as exc:
        log.info("llm provider %s not available: %s", provider.value, exc)
        return None


def create_llm_client(
    choice: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    timeout_s: float = 60.0,
    retry: RetryPolicy | None = None,
) -> LLMClient | None:
    """The client for `choice`, or None when no LLM is to be used.

    "off" gives None. "auto" gives the first provider (Gemini, then OpenAI) whose key is
    configured, or None when none is — callers then fall back to their deterministic
    defaults. "gemini" / "openai" require that provider's key.

    Args:
        choice: "auto", "off", "gemini" or "openai".
        model: model name (default: the provider's default).
        base_url: API root override (tests, proxies); https, or http to loopback only.
        timeout_s: per-attempt timeout.
        retry: retry policy for transient failures.

    Returns:
        A configured client, or None.

    Raises:
        ConfigError: an explicitly chosen provider has no key, or `choice` is unknown.
        SecretUnavailableError: Secret Manager is failing and no fallback is allowed.
        ValueError: malformed model name or base URL.
    """
    if choice not in CHOICES:
        raise ConfigError("LLM provider", f"must be one of {', '.join(CHOICES)}")
    if choice == OFF:
        return None
    providers = list(Provider) if choice == AUTO else [Provider(choice)]
    for provider in providers:
        key = _key(provider, required=choice != AUTO)
        if key is not None:
            return LLMClient(
                provider, key, model=model, base_url=base_url, timeout_s=timeout_s, retry=retry
            )
    return None
