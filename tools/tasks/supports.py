"""What rests on what: the one decision, made on upright boxes of the settled scene."""

# Ingest records `on_top_of` from the reconstruction, before simready and the usd step's settle
# move things; a support is decided here, on the boxes at rest: the manifest's `on_top_of` is
# kept when it still holds, else the highest surface just under the object is taken. The
# replicator writes the result into `replicator/scene_tasks.json` (tools.tasks.scene_tasks) and
# every later consumer reads it from there.

from __future__ import annotations

from collections.abc import Mapping

from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox

SUPPORT_GAP_M = 0.03  # an object rests on a surface whose top is this close below its bottom
SUPPORT_OVERLAP_M = 0.02  # ... or at most this far above it (slight interpenetration)


def holds(support: ObjectBox, obj: ObjectBox) -> bool:
    """Whether `support`'s top is just under `obj`'s bottom and its footprint holds its centre."""
    gap = obj.bottom - support.top
    return -SUPPORT_OVERLAP_M <= gap <= SUPPORT_GAP_M and support.contains_xy(obj.centre)


def rests_within(support: ObjectBox, obj: ObjectBox) -> bool:
    """Whether `obj` stands inside `support`'s box over its footprint (a shelf's inner board)."""
    low, high = support.bottom - SUPPORT_OVERLAP_M, support.top + SUPPORT_GAP_M
    return low <= obj.bottom <= high and support.contains_xy(obj.centre)


def support_of(
    object_id: str, manifest: SceneManifest, boxes: Mapping[str, ObjectBox]
) -> str | None:
    """The object `object_id` rests on.

    Args:
        object_id: the object.
        manifest: the scene contract (its `on_top_of` relationships and roles).
        boxes: upright boxes of the scene's objects at rest (the room shell is ignored).

    Returns:
        The manifest's `on_top_of` target if the object stands on its top or inside its box
        (a board of a shelf), else the highest surface just under it (ties by id), or None
        (on the floor, or nothing under it).
    """
    mine = boxes.get(object_id)
    if mine is None:
        return None
    for rel in manifest.object(object_id).relationships:
        target = boxes.get(rel.target) if rel.type == "on_top_of" else None
        if target is not None and (holds(target, mine) or rests_within(target, mine)):
            return rel.target
    roles = {o.id: o.sim_role for o in manifest.objects}
    candidates = [
        box
        for oid, box in boxes.items()
        if oid != object_id
        and roles.get(oid) not in (None, SimRole.BACKGROUND)
        and holds(box, mine)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda b: (b.top, b.object_id)).object_id


def resting_supports(
    manifest: SceneManifest, boxes: Mapping[str, ObjectBox]
) -> dict[str, str | None]:
    """The support of every manifest object that has a box, by id (None: floor or nothing)."""
    return {o.id: support_of(o.id, manifest, boxes) for o in manifest.objects if o.id in boxes}
