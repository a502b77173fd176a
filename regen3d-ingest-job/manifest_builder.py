"""Builds the scene manifest from the placed objects, camera, robot and provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from regen3d_ingest_job import regen3d_layout as layout
from regen3d_ingest_job.floor import FloorFrame
from regen3d_ingest_job.placement import FLOOR, PlacedObject
from regen3d_ingest_job.regen3d_reader import CameraIntrinsics
from regen3d_ingest_job.robot_base import RobotPlacement
from tools.data_source import RECONSTRUCTION, DataSource
from tools.rotations import matrix_to_quat, yaw_matrix
from tools.scene_manifest import (
    Asset,
    Camera,
    ObjectProvenance,
    Provenance,
    Relationship,
    Robot,
    RoomBounds,
    SceneManifest,
    SceneObject,
    Semantics,
    Transform,
)

_MIN_ROOM_SPAN_M = 0.1

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ProvenanceInputs:
    """What the manifest records about how it was made."""

    seed: int
    tool_versions: Mapping[str, str]
    input_sha256: Mapping[str, str]
    estimates: Mapping[str, float]
    dropped: Mapping[str, str]
    data_source: DataSource = RECONSTRUCTION  # mock-fixture when the tree says so


def room_bounds(objects: Sequence[PlacedObject], camera_height_m: float) -> tuple[Array, Array]:
    """Axis-aligned extent of all geometry (room mesh included); the floor is z = 0.

    Args:
        objects: every placed object.
        camera_height_m: the camera's height, kept inside the room.

    Returns:
        (low, high) corners, metres.
    """
    boxes = np.array([np.stack(o.bounds()) for o in objects])
    low, high = boxes[:, 0].min(axis=0), boxes[:, 1].max(axis=0)
    low[2] = 0.0
    high[2] = max(high[2], camera_height_m)
    span = np.maximum(high - low, _MIN_ROOM_SPAN_M)
    return low, low + span


def build_manifest(
    scene_id: str,
    objects: Sequence[PlacedObject],
    meshes: Mapping[str, tuple[str, str]],
    camera: CameraIntrinsics,
    floor: FloorFrame,
    metric_scale: float,
    robot: RobotPlacement,
    bounds: tuple[Array, Array],
    provenance: ProvenanceInputs,
) -> SceneManifest:
    """Assemble and validate the manifest.

    Args:
        scene_id: the scene's id.
        objects: the placed objects to list.
        meshes: object id -> (mesh path, sha256) of its staged mesh.
        camera: intrinsics.
        floor: the gravity alignment (gives the camera's orientation).
        metric_scale: metres per scene unit (gives the camera's position).
        robot: the robot's placement.
        bounds: room bounds.
        provenance: what the run records.

    Returns:
        The manifest.

    Raises:
        pydantic.ValidationError: a bug produced an invalid manifest.
    """
    entries = tuple(_scene_object(o, meshes[o.object_id]) for o in objects)
    camera_pose = Transform(
        position=_vec3(floor.offset * metric_scale),
        rotation_wxyz=matrix_to_quat(floor.rotation),
    )
    return SceneManifest(
        scene_id=scene_id,
        room_bounds=RoomBounds(min=_vec3(bounds[0]), max=_vec3(bounds[1])),
        objects=entries,
        robot=Robot(
            base_pose=Transform(
                position=_vec3(robot.position),
                rotation_wxyz=matrix_to_quat(yaw_matrix(robot.yaw)),
            ),
            work_surface=robot.work_surface,
        ),
        camera=Camera(
            width=camera.width, height=camera.height, focal_px=camera.focal_px, pose=camera_pose
        ),
        provenance=Provenance(
            source=layout.SOURCE_NAME,
            data_source=provenance.data_source,
            source_ids={o.object_id: o.source_id for o in objects},
            tool_versions=dict(provenance.tool_versions),
            seed=provenance.seed,
            input_sha256=dict(provenance.input_sha256),
            estimates=dict(provenance.estimates),
            dropped_objects=dict(provenance.dropped),
        ),
    )


def _scene_object(obj: PlacedObject, mesh: tuple[str, str]) -> SceneObject:
    relationships: tuple[Relationship, ...] = ()
    if obj.support not in (None, FLOOR):
        assert obj.support is not None
        relationships = (Relationship(type="on_top_of", target=obj.support),)
    return SceneObject(
        id=obj.object_id,
        category=obj.category,
        sim_role=obj.role,
        transform=Transform(
            position=_vec3(obj.translation), rotation_wxyz=matrix_to_quat(obj.rotation)
        ),
        asset=Asset(mesh_path=mesh[0], format="glb", sha256=mesh[1]),
        dimensions=_vec3(np.ptp(obj.local, axis=0)),
        semantics=Semantics(label=obj.label, class_name=obj.category),
        relationships=relationships,
        provenance=ObjectProvenance(
            source_id=obj.source_id, pose_source=obj.pose_source, notes=tuple(obj.notes)
        ),
    )


def _vec3(values: Array) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))
