"""Sampled randomization values of one episode or frame: serializable, engine-independent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.randomization.layout import BUNDLE_SCHEMA_VERSION

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]
Shape = Literal["box", "cylinder", "sphere"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Pose(_Frozen):
    """A world pose: metres and a unit quaternion [w, x, y, z]."""

    position: Vec3
    rotation_wxyz: Quat


class ObjectPlacement(_Frozen):
    """Where a scene object starts the episode (its prim / body frame in the world)."""

    object_id: str
    prim_path: str
    region_id: str
    pose: Pose


class RestPose(_Frozen):
    """A scattered object that found no free spot: it starts the episode at its rest pose."""

    object_id: str
    prim_path: str
    pose: Pose


class DistractorSample(_Frozen):
    """A primitive distractor: slot `slot` of the engine's distractor bodies."""

    slot: int = Field(ge=0)
    name: str
    shape: Shape
    size_m: Vec3 = Field(description="full extents: box x, y, z; cylinder d, d, h; sphere d, d, d")
    region_id: str
    pose: Pose = Field(description="centre of the primitive")
    rgb: Vec3
    mass_kg: float = Field(gt=0)
    friction: float = Field(ge=0, description="sliding friction")
    label: str = Field(description="semantic class written on the distractor")


class LightSample(_Frozen):
    """The key (distant) light."""

    prim_path: str
    intensity: float = Field(ge=0, description="USD inputs:intensity")
    color_temperature_k: float = Field(gt=0)
    rotation_xyz_deg: Vec3 = Field(description="USD rotateXYZ of the light prim")
    direction: Vec3 = Field(description="unit direction the light travels (world)")
    rgb: Vec3 = Field(description="colour of the temperature, max channel 1")
    relative_intensity: float = Field(ge=0, description="intensity / the scene's nominal one")


class ColorSample(_Frozen):
    """An absolute base colour (tint times the material's nominal colour)."""

    object_id: str
    material_path: str = Field(description="UsdShade material prim = MuJoCo material name")
    shader_path: str
    shader_input: str
    rgb: Vec3


class CameraSample(_Frozen):
    """The jittered pose of a camera (USD/glTF camera frame: looks down -Z, +Y up)."""

    prim_path: str
    pose: Pose


class PhysicsSample(_Frozen):
    """Physical parameters of one object for the episode (mass only for free bodies)."""

    object_id: str
    prim_path: str
    material_path: str
    mass_kg: float | None = Field(default=None, gt=0)
    static_friction: float = Field(ge=0)
    dynamic_friction: float = Field(ge=0)


class JointSample(_Frozen):
    """A door or drawer joint's position at the start of the episode."""

    object_id: str
    joint: str = Field(description="the manifest joint name")
    open_fraction: float = Field(ge=0, le=1, description="0 closed, 1 fully open")
    position: float = Field(description="radians (revolute) or metres (prismatic)")


class FrameRandomization(_Frozen):
    """Values of the per-frame randomizers (None / empty: not randomized per frame)."""

    light: LightSample | None = None
    colors: tuple[ColorSample, ...] = ()
    camera: CameraSample | None = None


class EpisodeRandomization(_Frozen):
    """Every randomized value of one episode; what the dataset records in episode metadata."""

    schema_version: Literal["1.0.0"] = BUNDLE_SCHEMA_VERSION
    scene_id: str
    policy: str
    seed: int | None = Field(default=None, description="seed of the generator, if recorded")
    placements: tuple[ObjectPlacement, ...] = ()
    kept_at_rest: tuple[RestPose, ...] = Field(
        default=(), description="scattered objects that found no free spot and stay at rest"
    )
    distractors: tuple[DistractorSample, ...] = ()
    light: LightSample | None = None
    colors: tuple[ColorSample, ...] = ()
    camera: CameraSample | None = None
    physics: tuple[PhysicsSample, ...] = ()
    joints: tuple[JointSample, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready values (tuples become lists)."""
        return self.model_dump(mode="json")

    def with_frame(self, frame: FrameRandomization) -> EpisodeRandomization:
        """This episode's values with those of one frame's randomizers substituted.

        Args:
            frame: values of the per-frame randomizers.

        Returns:
            A copy with the frame's light and camera where it has them, and its colours
            replacing those of the same materials.
        """
        update: dict[str, Any] = {}
        if frame.light is not None:
            update["light"] = frame.light
        if frame.colors:
            fresh = {c.material_path: c for c in frame.colors}
            kept = tuple(c for c in self.colors if c.material_path not in fresh)
            update["colors"] = kept + frame.colors
        if frame.camera is not None:
            update["camera"] = frame.camera
        return self.model_copy(update=update)


class EpisodeSamples(_Frozen):
    """`replicator/samples/<policy>.json`: episodes pre-sampled from the bundle's seed."""

    schema_version: Literal["1.0.0"] = BUNDLE_SCHEMA_VERSION
    scene_id: str
    policy: str
    seed: int = Field(ge=0, description="the bundle seed the episode seeds derive from")
    episodes: tuple[EpisodeRandomization, ...]
