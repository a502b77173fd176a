"""Manifest layers: what simready and usd add to the ingest's manifest, each in its own file.

The ingest writes `assets/scene_manifest.json` once. Every later step that completes the
contract writes one layer (`MANIFEST_LAYERS` in tools/scene_layout.py) holding only the fields
it changed, and never rewrites another step's file. The loader merges the base and the layers
in step order and validates the result, so every reader sees one manifest.

A layer records the sha256 of the merged manifest it was computed from: a layer whose input
changed since (its step's dependency reran and wrote something else) is stale and refused
with one line naming the step to rerun, never merged silently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.scene_manifest.articulation import Articulation
from tools.scene_manifest.models import (
    Physics,
    Relationship,
    SafeId,
    SceneManifest,
    SceneObject,
    SimRole,
    Transform,
)

LAYER_VERSION: Literal["1.0.0"] = "1.0.0"
# Fields a layer may set on an object; `collision_paths`/`usd_path` live in `asset`, `notes` in
# `provenance` (a set field replaces the object's value, null included).
_ASSET_FIELDS = ("collision_paths", "usd_path")
_OBJECT_FIELDS = ("sim_role", "transform", "physics", "articulation", "relationships")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ObjectChanges(_Model):
    """The fields one step set on one object (only those present in the JSON apply)."""

    sim_role: SimRole | None = None
    transform: Transform | None = None
    physics: Physics | None = None
    articulation: Articulation | None = None
    relationships: tuple[Relationship, ...] | None = None
    collision_paths: tuple[str, ...] | None = None
    usd_path: str | None = None
    notes: tuple[str, ...] | None = None


class ManifestLayer(_Model):
    """One step's additions to the manifest (`assets/simready.json`, `usd/scene_state.json`)."""

    layer_version: Literal["1.0.0"] = LAYER_VERSION
    step: str = Field(min_length=1, description="the step that wrote the layer")
    based_on_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="sha256 of the merged manifest the step read"
    )
    objects: dict[SafeId, ObjectChanges] = Field(default_factory=dict)
    removed: tuple[SafeId, ...] = Field(default=(), description="objects the step dropped")
    dropped_objects: dict[str, str] | None = Field(
        default=None, description="provenance.dropped_objects after the step (source id -> why)"
    )
    tool_versions: dict[str, str] | None = None


def manifest_json(manifest: SceneManifest) -> bytes:
    """Serialize a manifest the same way every time (sorted keys, 2-space indent)."""
    payload = manifest.model_dump(mode="json")
    return json.dumps(payload, indent=2, sort_keys=True).encode() + b"\n"


def manifest_digest(manifest: SceneManifest) -> str:
    """sha256 of the manifest's canonical JSON (what a stage or a layer records)."""
    return hashlib.sha256(manifest_json(manifest)).hexdigest()


def _object_changes(before: SceneObject, after: SceneObject) -> ObjectChanges | None:
    changed: dict[str, Any] = {
        name: getattr(after, name)
        for name in _OBJECT_FIELDS
        if getattr(after, name) != getattr(before, name)
    }
    changed |= {
        name: getattr(after.asset, name)
        for name in _ASSET_FIELDS
        if getattr(after.asset, name) != getattr(before.asset, name)
    }
    if after.provenance.notes != before.provenance.notes:
        changed["notes"] = after.provenance.notes
    # Only the changed fields are "set", so an explicit null (e.g. articulation cleared) stays.
    return ObjectChanges(**changed) if changed else None


def layer_between(step: str, before: SceneManifest, after: SceneManifest) -> ManifestLayer:
    """The layer that turns `before` (what the step read) into `after` (what it produced).

    Raises:
        ValueError: `after` changes something a layer cannot hold (a programming error: a step
            may only add physics, hulls, articulation, USD paths, settled poses and notes, or
            drop objects).
    """
    kept = {o.id: o for o in after.objects}
    objects = {}
    for obj in before.objects:
        if obj.id in kept and (changes := _object_changes(obj, kept[obj.id])) is not None:
            objects[obj.id] = changes
    provenance_before, provenance_after = before.provenance, after.provenance
    layer = ManifestLayer(
        step=step,
        based_on_sha256=manifest_digest(before),
        objects=objects,
        removed=tuple(o.id for o in before.objects if o.id not in kept),
        dropped_objects=(
            provenance_after.dropped_objects
            if provenance_after.dropped_objects != provenance_before.dropped_objects
            else None
        ),
        tool_versions=(
            provenance_after.tool_versions
            if provenance_after.tool_versions != provenance_before.tool_versions
            else None
        ),
    )
    if manifest_json(apply_layer(before, layer)) != manifest_json(after):
        raise ValueError(f"step {step} changed manifest fields a layer cannot hold")
    return layer


def layer_to_json(layer: ManifestLayer) -> bytes:
    """The layer's file: each object lists only the fields its step set (null included)."""
    payload = layer.model_dump(mode="json")
    payload["objects"] = {
        object_id: changes.model_dump(mode="json", include=changes.model_fields_set)
        for object_id, changes in layer.objects.items()
    }
    return json.dumps(payload, indent=2, sort_keys=True).encode() + b"\n"


def _apply_to_object(obj: SceneObject, changes: ObjectChanges) -> SceneObject:
    given = changes.model_fields_set
    update: dict[str, Any] = {
        name: getattr(changes, name) for name in _OBJECT_FIELDS if name in given
    }
    asset = {name: getattr(changes, name) for name in _ASSET_FIELDS if name in given}
    if asset:
        update["asset"] = obj.asset.model_copy(update=asset)
    if "notes" in given:
        update["provenance"] = obj.provenance.model_copy(update={"notes": changes.notes or ()})
    return obj.model_copy(update=update)


def apply_layer(manifest: SceneManifest, layer: ManifestLayer) -> SceneManifest:
    """The manifest with the layer's changes (not yet validated: the loader validates)."""
    removed = set(layer.removed)
    objects = tuple(
        _apply_to_object(o, layer.objects[o.id]) if o.id in layer.objects else o
        for o in manifest.objects
        if o.id not in removed
    )
    provenance: dict[str, Any] = {}
    if layer.dropped_objects is not None:
        provenance["dropped_objects"] = layer.dropped_objects
    if layer.tool_versions is not None:
        provenance["tool_versions"] = layer.tool_versions
    return manifest.model_copy(
        update={
            "objects": objects,
            "provenance": manifest.provenance.model_copy(update=provenance),
        }
    )
