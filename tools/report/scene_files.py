"""Read-only, forgiving access to a scene's files for the report: a missing or unreadable file
is None (that part of the page says so), never an exception that loses the whole page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools.errors import PipelineError
from tools.scene_layout import MANIFEST_PATH, MARKERS_DIR
from tools.scene_manifest import load_manifest
from tools.storage import Storage

_MISSING = (OSError, ValueError, PipelineError)


@dataclass(frozen=True)
class SceneFiles:
    """The scene's storage (a local folder or a bucket prefix), read through its keys."""

    storage: Storage

    def json(self, key: str) -> Any:
        """The parsed JSON document at `key`, or None when absent or not JSON."""
        raw = self.bytes(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def json_dict(self, key: str) -> dict[str, Any]:
        """The JSON object at `key`, or an empty dict when absent or not an object."""
        value = self.json(key)
        return value if isinstance(value, dict) else {}

    def manifest(self) -> dict[str, Any]:
        """The merged scene manifest (base and layers) as JSON; the base file as it is when the
        merge fails (an invalid or stale layer), an empty dict when there is none."""
        try:
            return load_manifest(self.storage).model_dump(mode="json")
        except _MISSING:
            return self.json_dict(MANIFEST_PATH)

    def bytes(self, key: str) -> bytes | None:
        """The file's bytes, or None when absent or unreadable."""
        try:
            return self.storage.read_bytes(key) if self.storage.exists(key) else None
        except _MISSING:
            return None

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        try:
            return self.storage.exists(key)
        except _MISSING:
            return False

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""
        try:
            return sorted(self.storage.list(prefix))
        except _MISSING:
            return []

    def markers(self) -> dict[str, dict[str, Any]]:
        """Every marker document by file name (`<step>.complete.json`, `<step>.failed-N.json`)."""
        found: dict[str, dict[str, Any]] = {}
        for key in self.keys(MARKERS_DIR):
            name = key.rsplit("/", 1)[-1]
            if name.endswith(".json"):
                found[name] = self.json_dict(key)
        return found
