"""Open the right storage backend for a URI: `gs://bucket/prefix` or a local path."""

from __future__ import annotations

from pathlib import Path

from tools.storage.base import Storage
from tools.storage.local import LocalStorage

GCS_SCHEME = "gs://"


def open_storage(uri: str | Path) -> Storage:
    """Return a storage rooted at `uri` (GCS for `gs://`, the local filesystem otherwise)."""
    text = str(uri)
    if text.startswith(GCS_SCHEME):
        from tools.storage.gcs import GCSStorage  # lazy: keeps local runs free of GCS imports

        bucket, _, prefix = text[len(GCS_SCHEME) :].partition("/")
        return GCSStorage(bucket, prefix.strip("/"))
    return LocalStorage(Path(text))
