"""Google Cloud Storage backend for `gs://<bucket>/<prefix>/`, built on google-cloud-storage."""

from __future__ import annotations

import mimetypes
import os
import posixpath
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import google.cloud.storage as storage
import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.cloud.storage.exceptions import DataCorruption, InvalidResponse
from google.cloud.storage.retry import DEFAULT_RETRY_IF_GENERATION_SPECIFIED

from tools.errors import ObjectNotFound, PreconditionFailed, StorageError
from tools.storage.base import Storage, normalize_key
from tools.structured_logging import get_logger

logger = get_logger(__name__)

EMULATOR_PROJECT = "blueprint-emulator"
"""Project name used against an emulator when GOOGLE_CLOUD_PROJECT is unset."""

_TRANSIENT_STATUS = frozenset({408, 429})
_CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.GoogleAPIError,
    auth_exceptions.GoogleAuthError,
    requests.RequestException,
    InvalidResponse,
    DataCorruption,
    ConnectionError,
    TimeoutError,
)
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    api_exceptions.RetryError,  # the client's own retry deadline ran out on a transient error
    auth_exceptions.TransportError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ConnectionError,
    TimeoutError,
    DataCorruption,
)
_MAX_MESSAGE = 500


def is_transient(exc: BaseException) -> bool:
    """Whether a google-cloud-storage failure may succeed on a later attempt.

    Args:
        exc: an exception raised by the client or its transport.

    Returns:
        True for 408, 429 and 5xx responses, connection and timeout errors, checksum mismatches
        and an exhausted client retry; False otherwise.
    """
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        return exc.code is not None and (exc.code in _TRANSIENT_STATUS or exc.code >= 500)
    if isinstance(exc, InvalidResponse):
        status = int(exc.response.status_code)
        return status in _TRANSIENT_STATUS or status >= 500
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return bool(exc.retryable)
    return False


def translate_error(exc: BaseException, path: str) -> StorageError:
    """Map a google-cloud-storage failure onto the pipeline's storage errors.

    Args:
        exc: the exception raised by the client.
        path: the `gs://` path the operation addressed (used in the message).

    Returns:
        `ObjectNotFound` for 404, `PreconditionFailed` for 412, otherwise a `StorageError` whose
        `retryable` says whether the failure is transient (see `is_transient`).
    """
    if isinstance(exc, api_exceptions.NotFound):
        return ObjectNotFound(path)
    if isinstance(exc, api_exceptions.PreconditionFailed):
        return PreconditionFailed(path)
    detail = str(exc)
    if len(detail) > _MAX_MESSAGE:
        detail = detail[:_MAX_MESSAGE] + "..."
    error = StorageError(f"{path}: {type(exc).__name__}: {detail}")
    error.retryable = is_transient(exc)
    return error


def _default_client() -> Any:
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project is None and os.environ.get("STORAGE_EMULATOR_HOST"):
        project = EMULATOR_PROJECT
    if project is None:
        return storage.Client()
    return storage.Client(project=project)


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class _SharedClient:
    """Owns the lazily built client that a storage and all its children share."""

    def __init__(self, client: Any | None) -> None:
        self._client = client
        self._owned = client is None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = _default_client()
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._owned and self._client is not None:
                self._client.close()
                self._client = None


class GCSStorage(Storage):
    """Objects under `gs://bucket_name/prefix/`; owns a lazily built client shared with children.

    The client's built-in retry handles transient errors of idempotent calls; create-only and
    generation-matched writes use its conditional retry, which is safe because a repeated
    request cannot overwrite. Errors surface as `tools.errors` storage errors.
    """

    def __init__(self, bucket_name: str, prefix: str = "", client: Any | None = None) -> None:
        """Create a storage over one bucket prefix; no request is made until first use.

        Args:
            bucket_name: the bucket, without `gs://`.
            prefix: the folder-like prefix every key is relative to ("" for the bucket root).
            client: a `google.cloud.storage.Client`; built on first use when omitted (against
                `STORAGE_EMULATOR_HOST` when set).

        Raises:
            StorageError: the bucket name is empty or contains `/`, or the prefix is invalid.
        """
        if not bucket_name or "/" in bucket_name:
            raise StorageError(f"bucket name {bucket_name!r}: must be non-empty without '/'")
        self.bucket_name = bucket_name
        self.prefix = normalize_key(prefix) if prefix.strip("/") else ""
        self.uri = f"gs://{bucket_name}/{self.prefix}" if self.prefix else f"gs://{bucket_name}"
        self._client = _SharedClient(client)

    def _name(self, key: str) -> str:
        key = normalize_key(key)
        return posixpath.join(self.prefix, key) if self.prefix else key

    def _url(self, name: str) -> str:
        return f"gs://{self.bucket_name}/{name}"

    def _blob(self, name: str) -> Any:
        return self._client.get().bucket(self.bucket_name).blob(name)

    @contextmanager
    def _translated(self, name: str, *, writing: bool = False) -> Iterator[None]:
        url = self._url(name)
        try:
            yield
        except api_exceptions.NotFound as exc:
            if writing:
                # A write cannot miss its object: the bucket itself is missing.
                error = StorageError(f"{url}: bucket {self.bucket_name} not found")
                error.retryable = False
                raise error from exc
            raise ObjectNotFound(url) from exc
        except _CLIENT_ERRORS as exc:
            raise translate_error(exc, url) from exc

    @staticmethod
    def _precondition(create_only: bool, if_generation_match: int | None) -> int | None:
        if create_only and if_generation_match is not None:
            raise ValueError("pass create_only or if_generation_match, not both")
        return 0 if create_only else if_generation_match

    @staticmethod
    def _upload_options(key: str, generation: int | None) -> dict[str, Any]:
        options: dict[str, Any] = {"content_type": _content_type(key)}
        if generation is not None:
            options["if_generation_match"] = generation
            options["retry"] = DEFAULT_RETRY_IF_GENERATION_SPECIFIED
        return options

    def read_bytes(self, key: str) -> bytes:
        """Return the object's bytes.

        Raises:
            ObjectNotFound: the object does not exist.
            StorageError: the key is invalid or the request failed.
        """
        name = self._name(key)
        with self._translated(name):
            return bytes(self._blob(name).download_as_bytes())

    def write_bytes(
        self,
        key: str,
        data: bytes,
        *,
        create_only: bool = False,
        if_generation_match: int | None = None,
    ) -> None:
        """Write the object in one atomic upload.

        Args:
            key: the object key.
            data: the full contents.
            create_only: fail instead of overwriting an existing object.
            if_generation_match: only overwrite this generation (see `generation`).

        Raises:
            PreconditionFailed: the object exists (create-only) or changed; nothing was written.
            StorageError: the key is invalid, the bucket is missing or the request failed.
            ValueError: both `create_only` and `if_generation_match` were given.
        """
        name = self._name(key)
        options = self._upload_options(name, self._precondition(create_only, if_generation_match))
        with self._translated(name, writing=True):
            self._blob(name).upload_from_string(data, **options)

    def generation(self, key: str) -> int | None:
        """Return the object's current generation, or None when it does not exist.

        Raises:
            StorageError: the key is invalid or the request failed.
        """
        name = self._name(key)
        with self._translated(name):
            blob = self._client.get().bucket(self.bucket_name).get_blob(name)
        return None if blob is None else int(blob.generation)

    def exists(self, key: str) -> bool:
        """Whether the object exists.

        Raises:
            StorageError: the key is invalid or the request failed.
        """
        name = self._name(key)
        with self._translated(name):
            return bool(self._blob(name).exists())

    def list(self, prefix: str = "") -> list[str]:
        """Keys under `prefix` (relative to this storage), sorted; `[prefix]` if it is an object.

        Raises:
            StorageError: the prefix is invalid or the request failed.
        """
        rel = normalize_key(prefix) if prefix else ""
        folder = self._name(rel) if rel else self.prefix
        with self._translated(folder):
            names = [
                blob.name
                for blob in self._client.get().list_blobs(
                    self.bucket_name, prefix=f"{folder}/" if folder else None
                )
            ]
        keys = [key for key in map(self._relative_key, names) if key is not None]
        if not keys and rel and self.exists(rel):
            return [rel]
        return sorted(keys)

    def _relative_key(self, name: str) -> str | None:
        key = name[len(self.prefix) + 1 :] if self.prefix else name
        if key.endswith("/"):
            return None  # folder placeholder created by the console or gsutil
        try:
            if normalize_key(key) == key:
                return key
        except StorageError:
            pass
        logger.warning("skipping object %s: its name is not a valid storage key", self._url(name))
        return None

    def delete(self, key: str) -> None:
        """Delete the object if it exists.

        Raises:
            StorageError: the key is invalid or the request failed.
        """
        name = self._name(key)
        try:
            with self._translated(name):
                self._blob(name).delete()
        except ObjectNotFound:
            pass

    def download_file(self, key: str, local_path: Path) -> None:
        """Copy one object to a local file, replacing it atomically (parents created).

        Raises:
            ObjectNotFound: the object does not exist.
            StorageError: the key is invalid or the request failed.
        """
        name = self._name(key)
        local_path = Path(local_path)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            dir=local_path.parent, prefix=f".{local_path.name}.", suffix=".tmp"
        )
        os.close(fd)
        try:
            with self._translated(name):
                self._blob(name).download_to_filename(tmp_name)
            os.replace(tmp_name, local_path)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def upload_file(
        self,
        local_path: Path,
        key: str,
        *,
        create_only: bool = False,
        if_generation_match: int | None = None,
    ) -> None:
        """Copy one local file to an object in one atomic upload.

        Args:
            local_path: the file to upload.
            key: the object key.
            create_only: fail instead of overwriting an existing object.
            if_generation_match: only overwrite this generation (see `generation`).

        Raises:
            PreconditionFailed: the object exists (create-only) or changed; nothing was written.
            StorageError: the key is invalid, the bucket is missing or the request failed.
            OSError: the local file cannot be read.
            ValueError: both `create_only` and `if_generation_match` were given.
        """
        name = self._name(key)
        options = self._upload_options(name, self._precondition(create_only, if_generation_match))
        with self._translated(name, writing=True):
            self._blob(name).upload_from_filename(str(local_path), **options)

    def child(self, prefix: str) -> GCSStorage:
        """A storage rooted at `prefix` under this one, sharing this storage's client.

        Raises:
            StorageError: the prefix is invalid.
        """
        sub = GCSStorage(self.bucket_name, self._name(prefix))
        sub._client = self._client
        return sub

    def close(self) -> None:
        """Close the client if this storage built it (shared with children); safe to repeat."""
        self._client.close()
