"""HTTP POST of a JSON body with the standard library, mapping failures to typed errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from tools.llm_client.errors import LLMRequestRejected, LLMResponseInvalid, LLMTransientError
from tools.llm_client.providers import HttpCall
from tools.redaction import scrub

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_TRANSIENT_STATUSES = {408, 429}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_DETAIL_CHARS = 160


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


def _error_detail(raw: bytes) -> str:
    """The provider's error status (e.g. RESOURCE_EXHAUSTED), never its free text."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "no JSON error body"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        label = error.get("status") or error.get("type") or error.get("code") or "error"
        return scrub(str(label))[:_DETAIL_CHARS]
    return "unrecognised error body"


def post_json(provider: str, call: HttpCall, timeout_s: float) -> Any:
    """POST `call.body` as JSON and decode the JSON answer.

    Args:
        provider: provider name for error messages.
        call: URL, headers (with the key) and body.
        timeout_s: socket timeout of the attempt (connect and each read).

    Returns:
        The decoded response body.

    Raises:
        LLMTransientError: 408, 429, 5xx, timeout or connection failure.
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
            detail = _error_detail(exc.read(64 * 1024))
        if exc.code in _TRANSIENT_STATUSES or exc.code >= 500:
            raise LLMTransientError(provider, exc.code, detail) from None
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
