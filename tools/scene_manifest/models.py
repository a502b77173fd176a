"""Pydantic v2 models of `assets/scene_manifest.json`, the contract every job reads."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.scene_manifest.articulation import Articulation

# 1.1.0: `articulation` holds parts and joints (tools/scene_manifest/articulation.py); a
# 1.0.0 manifest (articulation always null) still loads. 1.2.0: a joint may carry a
# counterbalance `spring`; 1.0.0 and 1.1.0 manifests (no springs) still load.
SCHEMA_VERSION: Literal["1.2.0"] = "1.2.0"
SAFE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,127}$"
SCENE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
_SAFE_ID = re.compile(SAFE_ID_PATTERN)
_SHA256 = r"^[0-9a-f]{64}$"
_QUAT_NORM_TOLERANCE = 1e-6

SafeId = Annotated[str, Field(pattern=SAFE_ID_PATTERN, description="lower-case a-z, 0-9, _ and -")]
Vec3 = tuple[float, float, float]
NonNegVec3 = tuple[
    Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]
]


class _Model(BaseModel):
    """Strict base: unknown keys are errors, NaN/Inf are refused, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SimRole(StrEnum):
    """How the simulator treats an object."""

    BACKGROUND = "background"  # room shell: static collider, never a task object
    STATIC = "static"  # fixed furniture: static collider, may be a support surface
    MANIPULABLE = "manipulable"  # free rigid body a robot may grasp
    ARTICULATED = "articulated"  # has joints (doors, drawers)
    DISTRACTOR = "distractor"  # free rigid body placed for randomization only


class PoseSource(StrEnum):
    """How an object's pose was obtained (recorded for provenance)."""

    SIMILARITY_FIT = "similarity_fit"
    BAKED_GEOMETRY = "baked_geometry"
    AUTHORED = "authored"


class Transform(_Model):
    """Maps the asset's local frame to the world: scale, then rotation, then translation."""

    position: Vec3 = Field(description="metres, world frame (Z-up)")
    rotation_wxyz: tuple[float, float, float, float] = Field(
        default=(1.0, 0.0, 0.0, 0.0), description="unit quaternion [w, x, y, z]"
    )
    scale: Vec3 = Field(default=(1.0, 1.0, 1.0), description="per-axis scale of the asset")

    @field_validator("rotation_wxyz")
    @classmethod
    def _unit_quaternion(
        cls, q: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float]:
        norm = math.sqrt(sum(c * c for c in q))
        if abs(norm - 1.0) > _QUAT_NORM_TOLERANCE:
            raise ValueError(f"quaternion must be normalized (norm {norm:.6f})")
        return q

    @field_validator("scale")
    @classmethod
    def _positive_scale(cls, s: Vec3) -> Vec3:
        if min(s) <= 0:
            raise ValueError("every scale component must be > 0")
        return s


class Asset(_Model):
    """The object's mesh, relative to the scene directory, with its content hash."""

    mesh_path: str = Field(description="POSIX path relative to the scene directory")
    format: Literal["glb", "obj", "ply", "stl", "usd", "usda", "usdc"]
    sha256: str = Field(pattern=_SHA256)
    collision_paths: tuple[str, ...] = Field(
        default=(), description="convex hull meshes (filled by simready)"
    )
    usd_path: str | None = Field(default=None, description="per-object USD (filled by usd)")

    @field_validator("mesh_path", "usd_path")
    @classmethod
    def _relative_safe_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        _check_relative_path(value)
        return value

    @field_validator("collision_paths")
    @classmethod
    def _relative_safe_paths(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            _check_relative_path(value)
        return values


def _check_relative_path(value: str) -> None:
    if not value or value.startswith("/") or "\\" in value or "\x00" in value:
        raise ValueError("must be a relative POSIX path")
    if any(part == ".." for part in value.split("/")):
        raise ValueError("must not contain '..'")


class Physics(_Model):
    """Physical properties; names shared by every job (BRIEF)."""

    mass_kg: float = Field(gt=0)
    static_friction: float = Field(ge=0)
    dynamic_friction: float = Field(ge=0)
    restitution: float = Field(ge=0, le=1)
    center_of_mass: Vec3 = Field(description="metres, asset frame")
    inertia_diagonal: NonNegVec3 = Field(description="kg m^2, principal moments")
    principal_axes_wxyz: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    material: str = Field(default="unknown")
    density_kg_m3: float | None = Field(default=None, gt=0)
    source: str = Field(default="priors", description="priors | llm:<model> | measured")
    ranges: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="randomization ranges per quantity, e.g. mass_kg"
    )

    @model_validator(mode="after")
    def _friction_order(self) -> Physics:
        if self.dynamic_friction > self.static_friction:
            raise ValueError("dynamic_friction must be <= static_friction")
        return self


class Semantics(_Model):
    """Labels used for semantic segmentation and language."""

    label: str = Field(min_length=1, description="the detector's label, human-readable")
    class_name: str = Field(min_length=1, description="the semantic class (usually category)")
    tags: tuple[str, ...] = ()


class Relationship(_Model):
    """A spatial relation to another object, computed in the Z-up frame."""

    type: Literal["on_top_of", "inside", "adjacent_to"]
    target: SafeId


class ObjectProvenance(_Model):
    """Where an object came from."""

    source_id: str = Field(description="the upstream id, e.g. 3D-RE-GEN's '<label>__(cx, cy)'")
    pose_source: PoseSource
    notes: tuple[str, ...] = ()


class SceneObject(_Model):
    """One object of the scene."""

    id: SafeId
    category: str = Field(min_length=1)
    sim_role: SimRole
    transform: Transform
    asset: Asset
    dimensions: NonNegVec3 = Field(description="metres, axis-aligned extent in the asset frame")
    physics: Physics | None = None
    semantics: Semantics
    articulation: Articulation | None = None
    relationships: tuple[Relationship, ...] = ()
    provenance: ObjectProvenance


class Units(_Model):
    """Units and frame, stated explicitly so no job guesses."""

    length: Literal["meters"] = "meters"
    mass: Literal["kilograms"] = "kilograms"
    up_axis: Literal["Z"] = "Z"
    handedness: Literal["right"] = "right"
    quaternion_order: Literal["wxyz"] = "wxyz"


class RoomBounds(_Model):
    """Axis-aligned room extent in metres; the floor is at z = 0."""

    min: Vec3
    max: Vec3

    @model_validator(mode="after")
    def _ordered(self) -> RoomBounds:
        if any(lo >= hi for lo, hi in zip(self.min, self.max, strict=True)):
            raise ValueError("room bounds: min must be < max on every axis")
        return self


class Camera(_Model):
    """The input camera: pinhole intrinsics and pose in the world frame."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    focal_px: float = Field(gt=0)
    pose: Transform = Field(description="glTF camera frame (-Z forward, +Y up) in the world")


class Robot(_Model):
    """The robot the episodes use."""

    type: str = Field(default="franka_panda", min_length=1)
    base_pose: Transform
    work_surface: SafeId | None = Field(default=None, description="the support it works on")


class Provenance(_Model):
    """How the manifest was produced."""

    source: str = Field(description="e.g. 3d-re-gen")
    data_source: Literal["mock-fixture", "reconstruction", "authored"]
    source_ids: dict[str, str] = Field(default_factory=dict, description="object id -> source id")
    tool_versions: dict[str, str] = Field(default_factory=dict)
    seed: int | None = None
    input_sha256: dict[str, str] = Field(default_factory=dict)
    estimates: dict[str, float] = Field(
        default_factory=dict, description="e.g. metric_scale, metric_scale_spread"
    )
    dropped_objects: dict[str, str] = Field(
        default_factory=dict, description="source id -> reason it was dropped"
    )


class SceneManifest(_Model):
    """The whole scene contract (`assets/scene_manifest.json`)."""

    schema_version: Literal["1.0.0", "1.1.0", "1.2.0"] = SCHEMA_VERSION
    scene_id: str = Field(pattern=SCENE_ID_PATTERN)
    units: Units = Units()
    room_bounds: RoomBounds
    objects: tuple[SceneObject, ...] = Field(min_length=1)
    robot: Robot
    camera: Camera | None = None
    provenance: Provenance

    @model_validator(mode="after")
    def _references(self) -> SceneManifest:
        ids = [o.id for o in self.objects]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"object ids must be unique; duplicated: {', '.join(duplicates)}")
        known = set(ids)
        for obj in self.objects:
            for rel in obj.relationships:
                if rel.target not in known:
                    raise ValueError(f"object {obj.id}: relationship target {rel.target} unknown")
        if self.robot.work_surface is not None and self.robot.work_surface not in known:
            raise ValueError(f"robot.work_surface {self.robot.work_surface} is not an object id")
        return self

    def object(self, object_id: str) -> SceneObject:
        """Return the object with this id; raises KeyError."""
        for obj in self.objects:
            if obj.id == object_id:
                return obj
        raise KeyError(object_id)


def is_safe_id(value: str) -> bool:
    """Whether `value` is usable as an object or scene id (and a path component)."""
    return bool(_SAFE_ID.match(value))
