"""Process-wide registry of secret values that must never appear in logs or failure markers."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 4
# Parameter names whose values are redacted whatever they contain.
_SENSITIVE_KEY = re.compile(r"(api[_-]?key|token|secret|password|credential|auth)", re.IGNORECASE)

_lock = threading.Lock()
_values: set[str] = set()


def register_secret_value(value: str) -> None:
    """Remember a loaded secret so that `scrub` removes it from any text."""
    if len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _values.add(value)


def clear_registered_secrets() -> None:
    """Forget every registered value (for tests)."""
    with _lock:
        _values.clear()


def scrub(text: str) -> str:
    """Return `text` with every registered secret value replaced by a marker."""
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Copy `params` for a log or marker: sensitive keys masked, secret values scrubbed."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if _SENSITIVE_KEY.search(key):
            out[key] = REDACTED
        elif isinstance(value, Mapping):
            out[key] = redact_parameters(value)
        elif isinstance(value, str):
            out[key] = scrub(value)
        elif isinstance(value, int | float | bool) or value is None:
            out[key] = value
        else:
            out[key] = scrub(str(value))
    return out
