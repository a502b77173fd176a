"""A loaded secret never reaches a log line or a scrubbed traceback, whatever fails."""

from __future__ import annotations

import base64
import logging
import secrets
import traceback
from collections.abc import Callable

import grpc

from tools.errors import ConfigError
from tools.redaction import scrub
from tools.secret_store import SecretIds, SecretUnavailableError, get_secret_or_env
from tools.secret_store.testing import FAKE_PROJECT as PROJECT

OPENAI, GENIE = SecretIds.OPENAI_API_KEY, SecretIds.GENIE_SIM_API_KEY


def _traceback_text(exc: BaseException) -> str:
    """The traceback as an error reporter would print it, frame locals included."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def _failure(call: Callable[[], object], expected: type[BaseException]) -> BaseException:
    """Run `call`, expecting `expected`; the traceback starts here, not in the test's frame."""
    try:
        call()
    except expected as exc:
        return exc
    raise AssertionError(f"{expected.__name__} not raised")


def test_canary_never_appears_in_logs_or_scrubbed_tracebacks(fake_sm, monkeypatch, log_lines):
    """Force every error path while a canary secret is loaded; it appears nowhere."""
    canary = f"canary-{secrets.token_hex(16)}"
    encoded = base64.b64encode(canary.encode()).decode()
    env_canary = f"env-canary-{secrets.token_hex(16)}"
    fake_sm.add_version(PROJECT, SecretIds.GEMINI_API_KEY, canary)
    loaded = get_secret_or_env(SecretIds.GEMINI_API_KEY, project_id=PROJECT)
    monkeypatch.setenv("GENIE_SIM_API_KEY", env_canary)
    from_env = get_secret_or_env(GENIE, project_id=PROJECT)  # NotFound, then env fallback
    logging.getLogger("bp.app").info("calling with %s and %r", loaded, from_env)

    fake_sm.deny(PROJECT, OPENAI)
    fake_sm.add_version(PROJECT, OPENAI, "x" * 8)
    fake_sm.fail_next(PROJECT, "other-key", grpc.StatusCode.UNAVAILABLE, times=10)
    fake_sm.add_version(PROJECT, "corrupt-key", canary)
    fake_sm.corrupt_next(PROJECT, "corrupt-key", times=10)
    tracebacks = [  # permission denied with no env value to fall back to
        _failure(lambda: get_secret_or_env(OPENAI, project_id=PROJECT), ConfigError)
    ]
    monkeypatch.setenv("PRODUCTION_MODE", "true")
    tracebacks += [
        _failure(
            lambda: get_secret_or_env("other-key", project_id=PROJECT), SecretUnavailableError
        ),
        _failure(
            lambda: get_secret_or_env("corrupt-key", project_id=PROJECT), SecretUnavailableError
        ),
        _failure(lambda: get_secret_or_env(GENIE, project_id=PROJECT), ConfigError),
    ]
    try:  # a careless caller puts the revealed value into an exception message
        raise RuntimeError(f"upstream rejected key {loaded.reveal()} / {from_env.reveal()}")
    except RuntimeError as careless:
        logging.getLogger("bp.app").exception("call failed")
        tracebacks.append(careless)

    our_lines = [line for line in log_lines if "upstream rejected" not in line]
    assert our_lines, "the error paths should have logged"
    for line in our_lines:
        for value in (canary, encoded, env_canary):
            assert value not in line
    for exc in tracebacks:
        text = scrub(_traceback_text(exc))
        for value in (canary, encoded, env_canary):
            assert value not in text
    assert "[REDACTED]" in scrub(_traceback_text(tracebacks[-1]))
    for exc in tracebacks[:-1]:  # our own errors do not carry it even before scrubbing
        assert canary not in _traceback_text(exc) and env_canary not in _traceback_text(exc)
