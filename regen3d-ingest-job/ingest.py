"""The `regen3d` step: a 3D-RE-GEN working tree to metric, Z-up assets and the scene manifest."""

from __future__ import annotations

import math
import platform
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from regen3d_ingest_job import regen3d_layout as layout
from regen3d_ingest_job.asset_writer import AssetStaging
from regen3d_ingest_job.floor import fit_floor
from regen3d_ingest_job.ids import IdAllocator, slug
from regen3d_ingest_job.manifest_builder import ProvenanceInputs, build_manifest, room_bounds
from regen3d_ingest_job.placement import drop_below_floor, max_interpenetration, separate, settle
from regen3d_ingest_job.regen3d_reader import read_regen3d
from regen3d_ingest_job.robot_base import place_robot
from regen3d_ingest_job.scale import (
    ScaleEstimate,
    configured,
    from_priors,
    from_reference,
    load_priors,
)
from regen3d_ingest_job.scene_objects import (
    PosedObject,
    encode_asset,
    measurements,
    pose_object,
    room_object,
    to_placed,
)
from tools.data_source import regen3d_data_source
from tools.errors import ConfigError, InputError
from tools.scene_layout import MANIFEST_PATH, REGEN3D_DIR
from tools.scene_manifest import SCENE_ID_PATTERN, SimRole
from tools.structured_logging import get_logger

log = get_logger("regen3d")


@dataclass(frozen=True)
class IngestOptions:
    """How to ingest one scene; the defaults estimate everything from the input.

    Attributes:
        metric_scale: metres per 3D-RE-GEN scene unit, when known; skips the estimation.
        reference_object: a 3D-RE-GEN label (e.g. "table"; case, spaces and underscores are
            equivalent) whose real height is known; every upright object with exactly that
            label is a reference and the scale is their median.
        reference_dimension_m: the reference object's height in metres: the vertical extent
            of the upright object (floor to its highest point).
        seed: recorded in provenance; the ingest itself is deterministic.
    """

    metric_scale: float | None = None
    reference_object: str | None = None
    reference_dimension_m: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.metric_scale is not None and not _positive(self.metric_scale):
            raise ConfigError("metric_scale", "must be a finite number > 0")
        if (self.reference_object is None) != (self.reference_dimension_m is None):
            raise ConfigError("reference_object", "needs reference_dimension_m, and vice versa")
        if self.reference_dimension_m is not None and not _positive(self.reference_dimension_m):
            raise ConfigError("reference_dimension_m", "must be a finite number > 0")
        if self.reference_object is not None and not slug(self.reference_object):
            raise ConfigError("reference_object", "must contain a letter or digit")
        if self.metric_scale is not None and self.reference_object is not None:
            raise ConfigError("metric_scale", "set it or a reference object, not both")


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest produced.

    Attributes:
        scene_id: the scene.
        objects: objects in the manifest (room included).
        manipulable: how many of them are manipulable.
        dropped: 3D-RE-GEN id -> reason for every object left out.
        metric_scale: metres per scene unit.
        metric_scale_spread: relative spread of the per-object scale estimates.
        scale_method: "priors", "reference" or "configured".
        pose_sources: pose source -> count.
        work_surface: the robot's work surface, if any.
        manifest_path: the manifest, relative to the scene directory.
        elapsed_s: wall time of the ingest.
    """

    scene_id: str
    objects: int
    manipulable: int
    dropped: dict[str, str]
    metric_scale: float
    metric_scale_spread: float
    scale_method: str
    pose_sources: dict[str, int]
    work_surface: str | None
    manifest_path: str = MANIFEST_PATH
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


def ingest_scene(
    scene_dir: Path, options: IngestOptions, *, scene_id: str | None = None
) -> IngestSummary:
    """Turn `<scene_dir>/regen3d/` into `assets/<id>/mesh.glb` files and the scene manifest.

    Reads only `regen3d/`; writes only `assets/` (through a staging folder inside the scene
    directory, manifest last). Nothing is written when an InputError or ConfigError is raised.

    Args:
        scene_dir: the scene directory.
        options: overrides (see IngestOptions).
        scene_id: the scene id; defaults to the directory's name.

    Returns:
        A summary of the run.

    Raises:
        InputError: the input is unusable as a whole (the message names the file), or the
            scene id is invalid.
        ConfigError: the reference object is not in the scene.
    """
    started = time.perf_counter()
    scene_id = _scene_id(scene_dir, scene_id)
    regen = read_regen3d(scene_dir)
    floor = fit_floor(regen.floor_points, layout.input_key(layout.FLOOR_PLANE_PLY))
    posed = [pose_object(obj, floor) for obj in regen.objects]
    estimate = _metric_scale(options, posed)
    metres = estimate.metric_scale
    allocator = IdAllocator(reserved=(layout.ROOM_OBJECT_ID,))
    placed = [to_placed(p, allocator.allocate(p.source), metres) for p in posed]
    documents = {o.object_id: p.document for o, p in zip(placed, posed, strict=True)}
    dropped = dict(regen.dropped)
    for object_id, reason in drop_below_floor(placed).items():
        obj = next(o for o in placed if o.object_id == object_id)
        dropped[obj.source_id] = reason
        placed.remove(obj)
    if not placed:
        raise InputError(layout.input_key(layout.POSED_GLB_DIR), "every object was dropped")
    if regen.room is not None:
        placed.append(room_object(regen.room, floor, metres))
        documents[layout.ROOM_OBJECT_ID] = regen.room
    settle(placed)
    depths: dict[bytes, float] = {}
    separate(placed, depths)
    camera_height = floor.camera_height * metres
    bounds = room_bounds(placed, camera_height)
    robot = place_robot(placed, bounds[0], bounds[1])
    estimates = {
        "metric_scale": metres,
        "metric_scale_spread": estimate.spread,
        "metric_scale_stderr": estimate.stderr,
        "metric_scale_samples": float(estimate.samples),
        "metric_scale_inliers": float(estimate.inliers),
        "camera_height_m": camera_height,
        "camera_tilt_deg": floor.camera_tilt_deg,
        "floor_plane_rms_m": floor.rms * metres,
        "max_interpenetration_m": max_interpenetration(placed, depths),
        "robot_reach_fraction": robot.reach_fraction,
        "robot_max_reach_m": robot.max_reach_m,
    }
    for source_id, reason in dropped.items():
        log.warning("object %s dropped: %s", source_id, reason)
    with AssetStaging(scene_dir) as staging:
        meshes = {
            o.object_id: staging.write_mesh(o.object_id, encode_asset(o, documents[o.object_id]))
            for o in placed
        }
        manifest = build_manifest(
            scene_id,
            placed,
            meshes,
            regen.camera,
            floor,
            metres,
            robot,
            bounds,
            ProvenanceInputs(
                seed=options.seed,
                tool_versions=_tool_versions(),
                input_sha256=regen.input_sha256,
                estimates=estimates,
                dropped=dropped,
                data_source=regen3d_data_source(scene_dir / REGEN3D_DIR),
            ),
        )
        staging.commit(manifest)
    sources: dict[str, int] = {}
    for obj in placed:
        sources[obj.pose_source.value] = sources.get(obj.pose_source.value, 0) + 1
    return IngestSummary(
        scene_id=scene_id,
        objects=len(placed),
        manipulable=sum(o.role is SimRole.MANIPULABLE for o in placed),
        dropped=dropped,
        metric_scale=metres,
        metric_scale_spread=estimate.spread,
        scale_method=estimate.method,
        pose_sources=sources,
        work_surface=robot.work_surface,
        elapsed_s=time.perf_counter() - started,
        notes=(f"robot: {robot.note}",),
    )


def _scene_id(scene_dir: Path, scene_id: str | None) -> str:
    name = scene_dir.name if scene_id is None else scene_id
    if not re.match(SCENE_ID_PATTERN, name):
        raise InputError(str(scene_dir), f"{name!r} is not a valid scene id")
    return name


def _metric_scale(options: IngestOptions, posed: list[PosedObject]) -> ScaleEstimate:
    if options.metric_scale is not None:
        return configured(options.metric_scale)
    sizes = measurements(posed)
    if options.reference_object is not None and options.reference_dimension_m is not None:
        wanted = slug(options.reference_object)
        references = [m for m in sizes if m.label == wanted]
        if not references:
            labels = ", ".join(sorted({m.label for m in sizes})[:20])
            raise ConfigError("reference_object", f"no upright object has it; labels: {labels}")
        return from_reference(references, options.reference_dimension_m)
    recognised = {p.source.raw for p in posed if p.category.recognised}
    estimate = from_priors([m for m in sizes if m.object_id in recognised], load_priors())
    if estimate is None:
        raise InputError(
            layout.input_key(layout.POSED_GLB_DIR),
            "no object of a category with a size prior: the metric scale is unknown",
            hint="set metric_scale, or reference_object and reference_dimension_m",
        )
    return estimate


def _tool_versions() -> dict[str, str]:
    return {
        layout.TOOL_NAME: layout.TOOL_VERSION,
        "numpy": np.__version__,
        "trimesh": str(trimesh.__version__),
        "python": platform.python_version(),
    }


def _positive(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0
