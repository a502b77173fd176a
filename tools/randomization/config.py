"""Randomizer parameters of one policy (`replicator/configs/<policy>.json`), validated on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.errors import InputError, ManifestError
from tools.randomization.layout import BUNDLE_SCHEMA_VERSION, config_path
from tools.randomization.regions import PlacementRegion, find_region
from tools.randomization.samples import Pose, Shape, Vec3

Frequency = Literal["per_episode", "per_frame"]
Range = tuple[float, float]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _ordered(value: Range) -> Range:
    if value[0] > value[1]:
        raise ValueError("range must be [low, high] with low <= high")
    return value


class ScatterObject(_Frozen):
    """A scene object the scatter moves, and the regions it may go to."""

    object_id: str
    prim_path: str
    category: str
    regions: tuple[str, ...] = Field(min_length=1)
    # From the collision hulls at rest (the replicator's contract boxes). Without them the
    # sampler takes the asset box's turned corners, which for a tilted round object (an orange
    # reconstructed at a slant) lie centimetres below its real bottom: it was set down that
    # high and dropped when settling.
    rest_bottom_m: float | None = Field(
        default=None, description="lowest collision point below the origin, at rest"
    )
    rest_height_m: float | None = Field(
        default=None, gt=0, description="vertical extent of the collision hulls, at rest"
    )


class Workspace(_Frozen):
    """The annulus around the robot base where placed objects must stay (None: anywhere)."""

    center: tuple[float, float]
    min_radius_m: float = Field(ge=0)
    max_radius_m: float = Field(gt=0)


class ScatterConfig(_Frozen):
    """Object pose scatter: each object to a free spot of its regions, yaw about world z."""

    enabled: bool = True
    frequency: Literal["per_episode"] = "per_episode"
    objects: tuple[ScatterObject, ...] = ()
    yaw_range_deg: float = Field(default=180.0, ge=0, le=180, description="uniform +- about rest")
    edge_margin_m: float = Field(default=0.01, ge=0, description="kept from region edges")
    min_gap_m: float = Field(default=0.01, ge=0, description="kept between footprints")
    drop_height_m: float = Field(default=0.002, ge=0, description="start above the surface")
    tries_per_object: int = Field(default=200, ge=1)
    restarts: int = Field(default=8, ge=1, description="whole-scene retries before failing")
    workspace: Workspace | None = None


class DistractorConfig(_Frozen):
    """Primitive distractors scattered like objects; slot i has shape shapes[i % len]."""

    enabled: bool = True
    frequency: Literal["per_episode"] = "per_episode"
    count: tuple[int, int] = Field(default=(0, 3), description="inclusive range per episode")
    shapes: tuple[Shape, ...] = Field(default=("box", "cylinder"), min_length=1)
    size_m: Range = Field(default=(0.03, 0.08), description="extent range of each dimension")
    mass_kg: Range = (0.05, 0.3)
    rgb_low: Vec3 = (0.05, 0.05, 0.05)
    rgb_high: Vec3 = (0.95, 0.95, 0.95)
    friction: float = Field(default=0.6, ge=0, description="sliding friction")
    regions: tuple[str, ...] = ()
    labels: tuple[str, ...] = Field(default=("distractor",), min_length=1)

    @property
    def slots(self) -> int:
        """How many distractor bodies an engine must provide."""
        return self.count[1]


class LightingConfig(_Frozen):
    """Key light: intensity, colour temperature and direction (USD rotateXYZ angles)."""

    enabled: bool = True
    frequency: Frequency = "per_episode"
    prim_path: str
    nominal_intensity: float = Field(gt=0, description="the stage's intensity (MuJoCo scale 1)")
    intensity: Range
    color_temperature_k: Range = (3500.0, 7500.0)
    rotation_x_deg: Range = Field(default=(20.0, 60.0), description="tilt from the vertical")
    rotation_z_deg: Range = Field(default=(-180.0, 180.0), description="azimuth")

    _check = field_validator("intensity", "color_temperature_k", "rotation_x_deg")(_ordered)


class ColorTarget(_Frozen):
    """One material whose base colour is tinted (texture scale, or diffuse colour)."""

    object_id: str
    material_path: str
    shader_path: str
    shader_input: str = Field(description="inputs:scale (textured) or inputs:diffuseColor")
    base_rgb: Vec3


class ColorConfig(_Frozen):
    """Colour tints: absolute colour = tint (uniform per channel) x base colour."""

    enabled: bool = True
    frequency: Frequency = "per_episode"
    targets: tuple[ColorTarget, ...] = ()
    tint_low: Vec3 = (0.6, 0.6, 0.6)
    tint_high: Vec3 = (1.0, 1.0, 1.0)


class CameraJitterConfig(_Frozen):
    """Camera pose jitter: uniform position offset per axis, rotation about a random axis."""

    enabled: bool = True
    frequency: Frequency = "per_episode"
    prim_path: str
    nominal: Pose
    nominal_rotation_xyz_deg: Vec3 = Field(description="the nominal rotation as rotateXYZ")
    position_m: float = Field(default=0.02, ge=0)
    rotation_deg: float = Field(default=2.0, ge=0)


class PhysicsTarget(_Frozen):
    """Ranges of one object's physical parameters (from the manifest's physics.ranges)."""

    object_id: str
    prim_path: str
    material_path: str
    mass_kg: Range | None = Field(default=None, description="free bodies only")
    static_friction: Range
    dynamic_friction: Range

    _check = field_validator("static_friction", "dynamic_friction")(_ordered)


class PhysicsConfig(_Frozen):
    """Mass and friction drawn uniformly within ranges (frictions share one quantile)."""

    enabled: bool = True
    frequency: Literal["per_episode"] = "per_episode"
    targets: tuple[PhysicsTarget, ...] = ()


class JointConfig(_Frozen):
    """Door and drawer positions drawn per episode within each joint's limits."""

    enabled: bool = False
    frequency: Literal["per_episode"] = "per_episode"
    open_fraction: Range = Field(
        default=(0.0, 1.0), description="share of each joint's range drawn from (0 = closed)"
    )
    keep_closed: tuple[str, ...] = Field(
        default=(), description="`<object>/<joint>` keys that start closed (open tasks need it)"
    )

    @field_validator("open_fraction")
    @classmethod
    def _fraction(cls, value: Range) -> Range:
        if not 0.0 <= value[0] <= value[1] <= 1.0:
            raise ValueError("must satisfy 0 <= low <= high <= 1")
        return value


class Randomizers(_Frozen):
    """Every randomizer of a policy."""

    object_scatter: ScatterConfig
    distractors: DistractorConfig
    lighting: LightingConfig | None
    object_colors: ColorConfig
    background_colors: ColorConfig
    camera_jitter: CameraJitterConfig | None
    physics: PhysicsConfig
    joints: JointConfig = Field(default_factory=JointConfig)


class TaskSpec(_Frozen):
    """What the policy's episodes act on (the episode job decides how)."""

    description: str
    objects: tuple[str, ...] = Field(description="task object ids")
    work_surface: str | None
    place_regions: tuple[str, ...] = Field(description="regions objects may be put down on")


class BundleConfig(_Frozen):
    """`replicator/configs/<policy>.json`: one policy's randomizers and the regions they use."""

    schema_version: Literal["1.0.0"] = BUNDLE_SCHEMA_VERSION
    scene_id: str
    policy: str
    seed: int = Field(ge=0)
    scene_usd: str = Field(description="scene-relative path of the stage")
    regions_usd: str = Field(description="scene-relative path of the regions layer")
    task: TaskSpec
    randomizers: Randomizers
    regions: tuple[PlacementRegion, ...]

    def region(self, region_id: str) -> PlacementRegion:
        """The embedded region with this id (`find_region`: KeyError if there is none)."""
        return find_region(self.regions, region_id)


def load_bundle_config(scene_dir: Path, policy: str) -> BundleConfig:
    """Read and validate `replicator/configs/<policy>.json` of a scene folder.

    Args:
        scene_dir: the scene folder.
        policy: e.g. "pick_and_place".

    Returns:
        The validated config.

    Raises:
        InputError: the file is missing or not JSON.
        ManifestError: the file violates the config model (every problem listed).
    """
    relative = config_path(policy)
    path = scene_dir / relative
    if not path.is_file():
        raise InputError(relative, "missing (did the replicator step run for this policy?)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(relative, f"not valid JSON (line {exc.lineno})") from None
    try:
        return BundleConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        raise ManifestError(relative, problems) from None
