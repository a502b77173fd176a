"""The one loader every job uses to read and write the scene manifest and its layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tools.errors import InputError, ManifestError
from tools.scene_layout import MANIFEST_LAYERS, MANIFEST_PATH
from tools.scene_manifest.layers import (
    ManifestLayer,
    apply_layer,
    layer_between,
    layer_to_json,
    manifest_digest,
    manifest_json,
)
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


def _read_json(storage: Storage, path: str, missing: str) -> Any:
    if not storage.exists(path):
        raise InputError(path, missing)
    try:
        return json.loads(storage.read_bytes(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON (line {exc.lineno})") from None


def _read_layer(storage: Storage, path: str) -> ManifestLayer:
    try:
        return ManifestLayer.model_validate(_read_json(storage, path, "missing"))
    except ValidationError as exc:
        raise ManifestError(path, format_validation_errors(exc)) from None


def _layers(before: str | None, through: str | None) -> dict[str, str]:
    steps = list(MANIFEST_LAYERS)
    for step in (before, through):
        if step is not None and step not in MANIFEST_LAYERS:
            raise ValueError(f"step {step} writes no manifest layer")
    end = len(steps)
    if before is not None:
        end = steps.index(before)
    elif through is not None:
        end = steps.index(through) + 1
    return {s: MANIFEST_LAYERS[s] for s in steps[:end]}


def load_manifest(
    scene: Path | Storage, *, before: str | None = None, through: str | None = None
) -> SceneManifest:
    """The scene manifest: `assets/scene_manifest.json` with every layer merged, validated.

    Layers (`MANIFEST_LAYERS`) merge in step order; a missing layer is skipped (its step has
    not run: an older scene whose manifest was rewritten in place loads as it is).

    Args:
        scene: the scene directory or storage.
        before: a layer-writing step: merge only the layers of the steps before it (what that
            step reads, so a rerun never sees its own or a later step's old output).
        through: a layer-writing step: merge the layers up to and including its own (what
            its validation checks, whatever a later step left).

    Raises:
        InputError: the manifest is missing or not JSON, or a layer is stale (computed from a
            manifest its earlier steps no longer give: rerun the layer's step).
        ManifestError: the manifest or a layer violates the contract (every problem listed).
    """
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    data = _read_json(storage, MANIFEST_PATH, "missing (did the ingest step run?)")
    manifest = parse_manifest(data)
    for step, path in _layers(before, through).items():
        if not storage.exists(path):
            continue
        layer = _read_layer(storage, path)
        if layer.based_on_sha256 != manifest_digest(manifest):
            raise InputError(
                path,
                f"stale: step {step} read a manifest its earlier steps no longer give; "
                f"rerun step {step}",
            )
        merged = apply_layer(manifest, layer)
        manifest = parse_manifest(merged.model_dump(mode="json"), source=path)
    return manifest


def manifest_to_json(manifest: SceneManifest) -> bytes:
    """Serialize a manifest the same way every time (sorted keys, 2-space indent)."""
    return manifest_json(manifest)


def manifest_sha256(scene: Path | Storage) -> str:
    """sha256 of the merged manifest's canonical JSON (what provenance and stages record)."""
    return manifest_digest(load_manifest(scene))


def save_manifest(scene: Path | Storage, manifest: SceneManifest) -> None:
    """Write the base manifest (`assets/scene_manifest.json`: the ingest's, written once)."""
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    storage.write_bytes(MANIFEST_PATH, manifest_to_json(manifest))


def save_layer(
    scene: Path | Storage, step: str, before: SceneManifest, after: SceneManifest
) -> ManifestLayer:
    """Write `step`'s layer: what turns `before` (what it read) into `after` (what it made).

    Raises:
        ValueError: `step` writes no layer, or `after` changes fields a layer cannot hold.
    """
    if step not in MANIFEST_LAYERS:
        raise ValueError(f"step {step} writes no manifest layer")
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    layer = layer_between(step, before, after)
    storage.write_bytes(MANIFEST_LAYERS[step], layer_to_json(layer))
    return layer
