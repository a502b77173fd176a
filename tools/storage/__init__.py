"""Scene storage: one interface over the local filesystem and Google Cloud Storage."""

from tools.storage.base import Storage, normalize_key
from tools.storage.factory import open_storage
from tools.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "normalize_key", "open_storage"]
