"""The one loader every job uses to read and write the scene manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tools.errors import InputError, ManifestError
from tools.scene_layout import MANIFEST_PATH
from tools.scene_manifest.models import SceneManifest
from tools.storage import LocalStorage, Storage


def format_validation_errors(exc: ValidationError) -> list[str]:
    """One line per problem: the dotted field path and the rule (never the input value)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in err["loc"]) or "<root>"
        lines.append(f"{location}: {err['msg']}")
    return lines


def parse_manifest(data: Any, source: str = MANIFEST_PATH) -> SceneManifest:
    """Validate a decoded manifest; raises `ManifestError` listing every offending field."""
    try:
        return SceneManifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(source, format_validation_errors(exc)) from None


def load_manifest(scene: Path | Storage) -> SceneManifest:
    """Read and validate `assets/scene_manifest.json` of a scene directory or storage.

    Raises:
        InputError: the file is missing or not JSON.
        ManifestError: the manifest violates the contract (every problem listed).
    """
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    if not storage.exists(MANIFEST_PATH):
        raise InputError(MANIFEST_PATH, "missing (did the ingest step run?)")
    try:
        data = json.loads(storage.read_bytes(MANIFEST_PATH))
    except json.JSONDecodeError as exc:
        raise InputError(MANIFEST_PATH, f"not valid JSON (line {exc.lineno})") from None
    return parse_manifest(data)


def manifest_to_json(manifest: SceneManifest) -> bytes:
    """Serialize a manifest the same way every time (sorted keys, 2-space indent)."""
    payload = manifest.model_dump(mode="json")
    return json.dumps(payload, indent=2, sort_keys=True).encode() + b"\n"


def save_manifest(scene: Path | Storage, manifest: SceneManifest) -> None:
    """Validate (by construction) and write the manifest atomically."""
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    storage.write_bytes(MANIFEST_PATH, manifest_to_json(manifest))
