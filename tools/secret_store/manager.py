"""Secret Manager access: a lazily built client, CRC-verified payloads, bounded retries, cache."""

from __future__ import annotations

import base64
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tools.redaction import register_secret_value
from tools.resilience import RetryPolicy as BaseRetryPolicy
from tools.secret_store.errors import SecretManagerFailure
from tools.secret_store.value import SecretValue
from tools.structured_logging import get_logger

if TYPE_CHECKING:
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

log = get_logger("secrets")

ClientFactory = Callable[[], "SecretManagerServiceClient"]
# The GAPIC transport logs whole responses, payload included, when DEBUG is enabled for it.
_TRANSPORT_LOGGER = "google.cloud.secretmanager_v1"


@dataclass(frozen=True)
class RetryPolicy(BaseRetryPolicy):
    """How transient Secret Manager errors are retried (one layer: the client's is disabled)."""

    attempt_timeout_s: float = 10.0
    """Deadline of each call."""


class _ChecksumMismatch(Exception):
    """The payload's CRC32C does not match `data_crc32c` (corrupted in transit)."""


def default_client_factory() -> SecretManagerServiceClient:
    """Build the real client from Application Default Credentials.

    Raises:
        google.auth.exceptions.DefaultCredentialsError: no credentials are available.
    """
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

    return SecretManagerServiceClient()


class SecretManagerReader:
    """Owns the process's Secret Manager client (built on first use) and its secret cache."""

    def __init__(
        self,
        client_factory: ClientFactory = default_client_factory,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._factory = client_factory
        self._retry = retry or RetryPolicy()
        self._client: SecretManagerServiceClient | None = None
        self._cache: dict[tuple[str, str, str], SecretValue] = {}
        self._lock = threading.Lock()

    def configure(
        self, client_factory: ClientFactory | None = None, retry: RetryPolicy | None = None
    ) -> None:
        """Replace the client factory and/or retry policy; drops the client and the cache.

        Args:
            client_factory: builds the client (tests pass one for an in-process fake).
            retry: the retry policy (tests pass one that does not sleep).
        """
        with self._lock:
            self._factory = client_factory or default_client_factory
            self._retry = retry or RetryPolicy()
            self._client = None
            self._cache.clear()

    def forget_client(self) -> None:
        """Drop the client (gRPC channels do not survive fork); the cache stays."""
        self._client = None

    def access(self, project: str, secret_id: str, version: str) -> SecretValue:
        """Read one secret version, from the cache when this process already read it.

        Args:
            project: the Google Cloud project id.
            secret_id: the secret's id.
            version: a version number or alias such as `latest`.

        Returns:
            The secret, registered for redaction.

        Raises:
            SecretManagerFailure: the secret could not be read; `transient` tells whether
                retrying later could help.
        """
        key = (project, secret_id, version)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        client = self._get_client()
        name = f"projects/{project}/secrets/{secret_id}/versions/{version}"
        resolved, value = self._read_with_retry(client, name)
        register_secret_value(value)
        register_secret_value(base64.b64encode(value.encode()).decode())
        secret = SecretValue(value)
        with self._lock:
            self._cache[key] = secret
        log.info("secret %s resolved from Secret Manager version %s", secret_id, resolved)
        return secret

    def _get_client(self) -> SecretManagerServiceClient:
        with self._lock:
            if self._client is None:
                transport_log = logging.getLogger(_TRANSPORT_LOGGER)
                transport_log.setLevel(max(transport_log.level, logging.INFO))
                try:
                    self._client = self._factory()
                except Exception as exc:
                    reason = f"cannot build the client: {type(exc).__name__}"
                    raise SecretManagerFailure(reason, transient=False) from exc
            return self._client

    def _read_with_retry(self, client: SecretManagerServiceClient, name: str) -> tuple[str, str]:
        from google.api_core import exceptions as api

        transient: tuple[type[BaseException], ...] = (
            api.ServiceUnavailable,
            api.DeadlineExceeded,
            api.InternalServerError,
            api.TooManyRequests,
            api.Aborted,
            _ChecksumMismatch,
        )
        read = self._retry.retrying(retry_on=transient)(_read_once)
        try:
            return read(client, name, self._retry.attempt_timeout_s)
        except _ChecksumMismatch as exc:
            raise SecretManagerFailure("payload checksum mismatch", transient=True) from exc
        except api.GoogleAPICallError as exc:
            reason = f"{type(exc).__name__}: {exc.message}"
            raise SecretManagerFailure(reason, transient=isinstance(exc, transient)) from exc


def _read_once(client: Any, name: str, timeout: float) -> tuple[str, str]:
    """One AccessSecretVersion call (the client's own retry disabled); returns name and text."""
    import google_crc32c

    response = client.access_secret_version(request={"name": name}, retry=None, timeout=timeout)
    resolved = str(response.name)
    data = bytes(response.payload.data)
    expected = int(response.payload.data_crc32c)
    # Drop the response so no frame of a later traceback holds the payload.
    del response
    if google_crc32c.value(data) != expected:
        del data
        raise _ChecksumMismatch(resolved)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretManagerFailure(f"{resolved} is not UTF-8 text", transient=False) from None
    text = text.rstrip("\r\n")
    if not text:
        raise SecretManagerFailure(f"{resolved} is empty", transient=False)
    return resolved, text


_reader = SecretManagerReader()
os.register_at_fork(after_in_child=_reader.forget_client)


def secret_manager_reader() -> SecretManagerReader:
    """The process-wide reader used by `get_secret_or_env`."""
    return _reader


def configure_secret_manager(
    client_factory: ClientFactory | None = None, retry: RetryPolicy | None = None
) -> None:
    """Replace how the process-wide reader builds its client and retries; clears the cache.

    Args:
        client_factory: builds the client; None restores the default (real credentials).
        retry: the retry policy; None restores the default.
    """
    _reader.configure(client_factory, retry)
