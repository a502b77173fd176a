"""One 3D-RE-GEN object through the ingest: posed, measured, placed in metres, encoded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from regen3d_ingest_job import regen3d_layout as layout
from regen3d_ingest_job.categories import Category, RoleRule, classify, sim_role
from regen3d_ingest_job.floor import FloorFrame
from regen3d_ingest_job.glb import GlbDocument, rewrite_positions, write_glb
from regen3d_ingest_job.ids import SourceId, slug
from regen3d_ingest_job.placement import PlacedObject
from regen3d_ingest_job.poses import ObjectPose, pose_from_baked, pose_from_fit
from regen3d_ingest_job.regen3d_reader import RegenObject
from regen3d_ingest_job.scale import Measurement
from tools.scene_manifest import PoseSource, SimRole

ASSET_FRAME = "object canonical frame: Z-up, metres, origin at the bbox bottom centre"


@dataclass(frozen=True)
class PosedObject:
    """An object posed in the aligned frame (scene units), before the metric scale is known."""

    source: SourceId
    category: Category
    pose: ObjectPose
    document: GlbDocument

    @property
    def yaw_known(self) -> bool:
        """Whether the pose came from a similarity fit (else its yaw is unknown: identity)."""
        return self.pose.source is PoseSource.SIMILARITY_FIT


def pose_object(obj: RegenObject, floor: FloorFrame) -> PosedObject:
    """Classify and pose one object: similarity fit when possible, else baked geometry.

    Args:
        obj: the object as read.
        floor: the gravity alignment.

    Returns:
        The posed object (the reason for a fallback is in its pose notes).
    """
    category = classify(obj.source.label)
    if obj.canonical is None:
        pose = pose_from_baked(obj.posed.vertices, floor, obj.canonical_problem or "")
    else:
        try:
            pose = pose_from_fit(obj.canonical.vertices, obj.posed.vertices, floor)
        except ValueError as exc:
            pose = pose_from_baked(obj.posed.vertices, floor, f"no similarity fit: {exc}")
    return PosedObject(obj.source, category, pose, obj.posed)


def measurements(posed: Sequence[PosedObject]) -> list[Measurement]:
    """Sizes (scene units) of the upright, non-background objects, for the scale estimate.

    Args:
        posed: every posed object.

    Returns:
        One measurement per usable object; horizontal sides only when the yaw is known.
    """
    return [
        Measurement(
            object_id=p.source.raw,
            category=p.category.name,
            label=slug(p.source.label),
            height=float(p.pose.extents[2]),
            length=float(max(p.pose.extents[:2])) if p.yaw_known else None,
            width=float(min(p.pose.extents[:2])) if p.yaw_known else None,
        )
        for p in posed
        if p.pose.upright and p.category.rule is not RoleRule.BACKGROUND
    ]


def to_placed(posed: PosedObject, object_id: str, metres: float) -> PlacedObject:
    """The object in the metric world, with its simulation role decided by its size.

    Args:
        posed: the posed object.
        object_id: its safe id.
        metres: metres per scene unit.

    Returns:
        The placed object.
    """
    local = posed.pose.local * metres
    longest = float(np.ptp(local, axis=0).max())
    return PlacedObject(
        object_id=object_id,
        source_id=posed.source.raw,
        label=posed.source.readable_label,
        category=posed.category.name,
        role=sim_role(posed.category, longest),
        rotation=posed.pose.rotation,
        translation=posed.pose.translation * metres,
        local=local,
        faces=posed.document.faces,
        pose_source=posed.pose.source,
        notes=[n for n in posed.pose.notes if n],
    )


def room_object(document: GlbDocument, floor: FloorFrame, metres: float) -> PlacedObject:
    """The room mesh as a static background collider in the metric world.

    Args:
        document: ground_aligned.glb.
        floor: the gravity alignment.
        metres: metres per scene unit.

    Returns:
        The room object.
    """
    pose = pose_from_baked(document.vertices, floor, "room mesh (ground_aligned.glb)")
    return PlacedObject(
        object_id=layout.ROOM_OBJECT_ID,
        source_id=layout.ROOM_SOURCE_ID,
        label="room",
        category="room",
        role=SimRole.BACKGROUND,
        rotation=pose.rotation,
        translation=pose.translation * metres,
        local=pose.local * metres,
        faces=document.faces,
        pose_source=PoseSource.BAKED_GEOMETRY,
        notes=list(pose.notes),
    )


def encode_asset(obj: PlacedObject, document: GlbDocument) -> bytes:
    """The object's GLB in its canonical frame: the source GLB with positions rewritten.

    The vertices are Z-up metres (not glTF's Y-up): `asset.extras` says so. When the source
    shares vertex buffers between meshes, a plain untextured GLB is written instead (noted).

    Args:
        obj: the placed object (local vertices in the source's vertex order).
        document: the GLB it came from.

    Returns:
        The GLB bytes.
    """
    extras = {"frame": ASSET_FRAME, "up_axis": "Z", "units": "meters", "object_id": obj.object_id}
    data = rewrite_positions(document, obj.local, extras)
    if data is None:
        obj.notes.append("mesh re-encoded without materials (shared vertex buffers)")
        data = write_glb(obj.local, obj.faces, extras)
    return data
