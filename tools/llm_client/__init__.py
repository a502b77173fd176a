"""One LLM client (Gemini, OpenAI) answering JSON validated against pydantic models."""

from tools.llm_client.client import (
    DEFAULT_SYSTEM,
    LLMAnswer,
    LLMClient,
    RetryPolicy,
    breaker_for,
    parse_json_answer,
    reset_breakers,
)
from tools.llm_client.errors import (
    LLMError,
    LLMRequestRejected,
    LLMResponseInvalid,
    LLMTransientError,
)
from tools.llm_client.factory import AUTO, CHOICES, OFF, create_llm_client
from tools.llm_client.providers import SPECS, Provider, ProviderSpec
from tools.llm_client.transport import check_base_url

__all__ = [
    "AUTO",
    "CHOICES",
    "DEFAULT_SYSTEM",
    "OFF",
    "SPECS",
    "LLMAnswer",
    "LLMClient",
    "LLMError",
    "LLMRequestRejected",
    "LLMResponseInvalid",
    "LLMTransientError",
    "Provider",
    "ProviderSpec",
    "RetryPolicy",
    "breaker_for",
    "check_base_url",
    "create_llm_client",
    "parse_json_answer",
    "reset_breakers",
]
