"""The MuJoCo backend's recorded cameras: each frame's RGB, depth (mm), instance ids and pose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.cameras import (
    DEPTH_UNIT_PER_M,
    FIRST_OBJECT_ID,
    MAX_DEPTH_MM,
    NO_SURFACE_ID,
    ROBOT_ID,
    WORLD_ID,
    CameraFrame,
    CameraSpec,
)
from tools.rotations import matrix_to_quat
from tools.sim import OffscreenRenderer


def depth_to_mm(depth_m: NDArray[np.float32]) -> NDArray[np.uint16]:
    """Metric depth -> uint16 millimetres (rounded: within 0.5 mm); beyond range or none: 0."""
    millimetres = np.rint(depth_m * np.float32(DEPTH_UNIT_PER_M))
    millimetres[~(millimetres <= MAX_DEPTH_MM)] = 0  # beyond range, inf (no surface), nan
    layer: NDArray[np.uint16] = millimetres.astype(np.uint16)
    return layer


def object_geoms(
    model: mujoco.MjModel, collision: Mapping[str, Sequence[int]], prim_paths: Mapping[str, str]
) -> dict[str, list[int]]:
    """Every geom an object draws: its geoms named under its stage prim (visual meshes and
    collision hulls), else (objects built without a stage) its collision geoms.

    Args:
        model: the compiled model.
        collision: object -> its collision geoms.
        prim_paths: object -> its prim path in the scene stage, where known.
    """
    names = [model.geom(i).name for i in range(model.ngeom)]
    out: dict[str, list[int]] = {}
    for object_id, geoms in collision.items():
        path = prim_paths.get(object_id)
        named = [i for i, n in enumerate(names) if path and n.startswith(path + "/")]
        out[object_id] = sorted(set(named) | set(geoms))
    return out


def segment_lookup(
    model: mujoco.MjModel,
    object_geoms: Mapping[str, Iterable[int]],
    segment_ids: Mapping[str, int],
    robot_prefix: str,
) -> NDArray[np.uint16]:
    """Geom id -> segmentation id; index -1 (the last entry) is "no surface".

    Args:
        model: the compiled model.
        object_geoms: manifest object (or distractor slot) -> its geoms.
        segment_ids: object -> its segmentation id (meta/segmentation.json).
        robot_prefix: body-name prefix of the robot's bodies.
    """
    lookup = np.full(model.ngeom + 1, WORLD_ID, dtype=np.uint16)
    lookup[-1] = NO_SURFACE_ID
    for geom in range(model.ngeom):
        if model.body(int(model.geom_bodyid[geom])).name.startswith(robot_prefix):
            lookup[geom] = ROBOT_ID
    for object_id, geoms in object_geoms.items():
        lookup[list(geoms)] = segment_ids[object_id]
    return lookup


def object_segment_ids(names: Sequence[str]) -> dict[str, int]:
    """The object -> id part of `cameras.segmentation_document` (same order)."""
    return {name: FIRST_OBJECT_ID + offset for offset, name in enumerate(names)}


class MujocoCameras:
    """Owns the offscreen renderers (one per image size) of a model's recorded cameras."""

    def __init__(
        self,
        model: mujoco.MjModel,
        specs: Sequence[CameraSpec],
        camera_ids: Mapping[str, int],
        segments: NDArray[np.uint16],
    ) -> None:
        self._model = model
        self._specs = tuple(specs)
        self._camera_ids = dict(camera_ids)
        self._segments = segments
        self._renderers: dict[tuple[int, int], OffscreenRenderer] = {}

    def fovy_deg(self) -> dict[str, float]:
        """Each camera's vertical field of view."""
        return {s.name: float(self._model.cam_fovy[self._camera_ids[s.name]]) for s in self._specs}

    def capture(self, data: mujoco.MjData) -> dict[str, CameraFrame]:
        """Render every camera's modalities at the current state (positions computed)."""
        frames: dict[str, CameraFrame] = {}
        for spec in self._specs:
            camera = self._camera_ids[spec.name]
            layers = self._renderer(spec).render_layers(
                data,
                camera,
                rgb=spec.has("rgb"),
                depth=spec.has("depth"),
                segmentation=spec.has("segmentation"),
            )
            segmentation = None
            if layers.geom_ids is not None:
                # -1 picks "no surface"; take: ~2x faster than fancy indexing
                segmentation = np.take(self._segments, layers.geom_ids, mode="wrap")
            pose = np.empty(7, dtype=np.float32)
            pose[:3] = data.cam_xpos[camera]
            pose[3:] = matrix_to_quat(data.cam_xmat[camera].reshape(3, 3))
            frames[spec.name] = CameraFrame(
                layers.rgb,
                None if layers.depth_m is None else depth_to_mm(layers.depth_m),
                segmentation,
                pose,
            )
        return frames

    def _renderer(self, spec: CameraSpec) -> OffscreenRenderer:
        size = (spec.width, spec.height)
        if size not in self._renderers:
            self._renderers[size] = OffscreenRenderer(self._model, *size)
        return self._renderers[size]

    def close(self) -> None:
        """Free every renderer (idempotent)."""
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
