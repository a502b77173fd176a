"""Fixtures for secrets tests: a clean environment, an in-process Secret Manager, log capture."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tools.redaction import clear_registered_secrets
from tools.secret_store import configure_secret_manager
from tools.secret_store.testing import FAST_RETRY, FakeSecretManager

_VARIABLES = (
    "PRODUCTION_MODE",
    "ALLOW_ENV_SECRETS",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GEMINI_API_KEY",
    "OPENAI_API_KEY",
    "GENIE_SIM_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No secret-related variables set, the default reader, and no registered values."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    configure_secret_manager()
    yield
    configure_secret_manager()
    clear_registered_secrets()


@pytest.fixture
def fake_sm() -> Iterator[FakeSecretManager]:
    """A running fake Secret Manager wired into the process reader; retries never sleep."""
    with FakeSecretManager() as fake:
        configure_secret_manager(fake.client, FAST_RETRY)
        yield fake


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._last: logging.LogRecord | None = None
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record is not self._last:  # attached to several loggers: count each record once
            self._last = record
            # Structured formatters also print `extra=` fields: include every attribute.
            self.lines.append(f"{self.format(record)} {vars(record)!r}")


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every log line (with tracebacks) at DEBUG, Google client libraries included, unscrubbed."""
    handler = _Collect()
    # `bp` and `google` may not propagate to the root: listen on each.
    loggers = [logging.getLogger(), logging.getLogger("bp"), logging.getLogger("google")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
