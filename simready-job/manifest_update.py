"""Writing simready's results into the scene manifest (physics, hulls, notes, dropped objects)."""

from __future__ import annotations

from simready_job.object_simready import ObjectOutcome
from tools.errors import InputError
from tools.scene_layout import MANIFEST_PATH
from tools.scene_manifest import SceneManifest, SceneObject, parse_manifest

NOTE_PREFIX = "simready: "
DECOMPOSER_KEY = "simready.decomposer"


def apply_outcomes(
    manifest: SceneManifest,
    outcomes: dict[str, ObjectOutcome],
    failures: dict[str, str],
    decomposer: str,
) -> SceneManifest:
    """The manifest with physics and collision paths set, and rejected objects dropped.

    Earlier simready notes are replaced (not appended), so a rerun gives the same manifest.
    A rejected object is removed with the relationships that point at it and recorded in
    `provenance.dropped_objects` under its source id.

    Args:
        manifest: the manifest as read.
        outcomes: per object id, the successful results.
        failures: per object id, why it was rejected.
        decomposer: the decomposer's name and version (recorded in tool_versions).

    Returns:
        The new manifest (validated on construction).

    Raises:
        InputError: the robot's work surface was rejected (the scene cannot be used).
        ManifestError: the result breaks the contract (e.g. every object was rejected).
    """
    surface = manifest.robot.work_surface
    if surface in failures:
        raise InputError(MANIFEST_PATH, f"work surface {surface} rejected: {failures[surface]}")
    objects = [
        _updated(obj, outcomes[obj.id], set(failures))
        for obj in manifest.objects
        if obj.id in outcomes
    ]
    provenance = manifest.provenance
    dropped = dict(provenance.dropped_objects)
    for obj in manifest.objects:
        if obj.id in failures:
            dropped[obj.provenance.source_id] = f"{NOTE_PREFIX}{failures[obj.id]}"
    versions = {**provenance.tool_versions, DECOMPOSER_KEY: decomposer}
    updated = manifest.model_copy(
        update={
            "objects": tuple(objects),
            "provenance": provenance.model_copy(
                update={"dropped_objects": dropped, "tool_versions": versions}
            ),
        }
    )
    # model_copy does not validate: check the result against the contract before saving.
    return parse_manifest(updated.model_dump(mode="json"))


def _updated(obj: SceneObject, outcome: ObjectOutcome, dropped: set[str]) -> SceneObject:
    notes = [n for n in obj.provenance.notes if not n.startswith(NOTE_PREFIX)]
    notes += [f"{NOTE_PREFIX}{n}" for n in dict.fromkeys(outcome.notes)]
    return obj.model_copy(
        update={
            "physics": outcome.physics,
            "asset": obj.asset.model_copy(update={"collision_paths": outcome.collision_paths}),
            "relationships": tuple(r for r in obj.relationships if r.target not in dropped),
            "provenance": obj.provenance.model_copy(update={"notes": tuple(notes)}),
        }
    )
