"""HTTP POST of a JSON body with the standard library, mapping failures to typed errors."""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from tools.llm_client.errors import LLMRequestRejected, LLMResponseInvalid, LLMTransientError
from tools.llm_client.providers import HttpCall
from tools.redaction import scrub

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_TRANSIENT_STATUSES = {408, 429}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_DETAIL_CHARS = 160
_ERROR_BODY_BYTES = 64 * 1024
_RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # no sign, exponent, nan or inf


def check_base_url(base_url: str) -> str:
    """Validate a base URL: https anywhere, plain http only on this machine (tests).

    Args:
        base_url: e.g. "https://api.openai.com" or "http://127.0.0.1:8123".

    Returns:
        The URL without a trailing slash.

    Raises:
        ValueError: another scheme, no host, a query or fragment, or http to a remote host
            (the API key would travel unencrypted).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("base URL must be http(s)://host[:port]")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("base URL must not carry a query, fragment or credentials")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ValueError("plain http is only allowed to a loopback host")
    return base_url.rstrip("/")


def _opener(url: str) -> urllib.request.OpenerDirector:
    # Loopback calls (tests) must not be routed through a proxy from the environment.
    if urlsplit(url).hostname in _LOOPBACK_HOSTS:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error_detail(body: Any) -> str:
    """The provider's error status (e.g. RESOURCE_EXHAUSTED), never its free text."""
    if body is None:
        return "no JSON error body"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        label = error.get("status") or error.get("type") or error.get("code") or "error"
        return scrub(str(label))[:_DETAIL_CHARS]
    return "unrecognised error body"


def _seconds(text: str, scale: float = 1.0) -> float | None:
    """`text` as a non-negative decimal times `scale`, or None if malformed or not finite."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text) * scale
    return value if math.isfinite(value) else None


def _until(http_date: str, now: datetime) -> float | None:
    """Seconds from `now` to an HTTP-date (0 if it is past), or None if malformed."""
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" is parsed as naive; HTTP-dates are always UTC.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _retry_info_delay(body: Any) -> float | None:
    """The `retryDelay` of a google.rpc.RetryInfo entry in `error.details`, e.g. "1.5s"."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for item in details if isinstance(details, list) else []:
        if isinstance(item, dict) and item.get("@type") == _RETRY_INFO_TYPE:
            delay = item.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                return _seconds(delay[:-1])
    return None


def requested_retry_delay(
    headers: Mapping[str, str], body: Any, *, now: datetime | None = None
) -> float | None:
    """The delay a server asked for before the next attempt.

    Sources in order, the first usable one wins: the `retry-after-ms` header (OpenAI), the
    `Retry-After` header (delta-seconds or an HTTP-date), then the `google.rpc.RetryInfo`
    entry in `error.details` of the JSON body (Gemini). Malformed, negative or non-finite
    values are ignored; an HTTP-date in the past means 0.

    Args:
        headers: response headers with lower-cased names.
        body: the decoded JSON error body, or None.
        now: the current time for the HTTP-date form (default: the system clock, UTC).

    Returns:
        Seconds to wait, or None when the server asked for nothing usable.
    """
    retry_after_ms = headers.get("retry-after-ms")
    if retry_after_ms is not None and (delay := _seconds(retry_after_ms, 0.001)) is not None:
        return delay
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        delay = _seconds(retry_after)
        if delay is None:
            delay = _until(retry_after, now or datetime.now(UTC))
        if delay is not None:
            return delay
    return _retry_info_delay(body)


def post_json(provider: str, call: HttpCall, timeout_s: float) -> Any:
    """POST `call.body` as JSON and decode the JSON answer.

    Args:
        provider: provider name for error messages.
        call: URL, headers (with the key) and body.
        timeout_s: socket timeout of the attempt (connect and each read).

    Returns:
        The decoded response body.

    Raises:
        LLMTransientError: 408, 429, 5xx, timeout or connection failure; carries the delay
            the server asked for (see `requested_retry_delay`) as `retry_after_s`.
        LLMRequestRejected: another non-2xx status.
        LLMResponseInvalid: the body is not JSON or exceeds MAX_RESPONSE_BYTES.
    """
    data = json.dumps(call.body).encode()
    # The URL was built from a base URL that check_base_url restricted to http(s).
    request = urllib.request.Request(  # noqa: S310
        call.url, data=data, headers=call.headers, method="POST"
    )
    try:
        with _opener(call.url).open(request, timeout=timeout_s) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        with exc:
            body = _json_or_none(exc.read(_ERROR_BODY_BYTES))
        detail = _error_detail(body)
        if exc.code in _TRANSIENT_STATUSES or exc.code >= 500:
            headers = {name.lower(): str(value) for name, value in exc.headers.items()}
            delay = requested_retry_delay(headers, body)
            raise LLMTransientError(provider, exc.code, detail, retry_after_s=delay) from None
        raise LLMRequestRejected(provider, exc.code, detail) from None
    except TimeoutError:
        raise LLMTransientError(provider, None, f"timed out after {timeout_s:g}s") from None
    except (urllib.error.URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LLMTransientError(provider, None, type(reason).__name__) from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise LLMResponseInvalid(provider, [f"response larger than {MAX_RESPONSE_BYTES} bytes"])
    try:
        return json.loads(raw)
    except ValueError:
        raise LLMResponseInvalid(provider, ["response body is not JSON"]) from None
