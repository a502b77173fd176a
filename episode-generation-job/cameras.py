"""The recorded cameras: their settings (a list), calibration, and the dataset features they add.

`CAMERAS` is either the short form (`scene,wrist`, `wrist`, empty: none; every camera RGB at
CAMERA_WIDTH x CAMERA_HEIGHT) or a JSON list of cameras, each
`{"name", "mount", "width", "height", "modalities"}`:

- mount `scene`: fixed in the world, facing the robot across its work surface (moved only by the
  bundle's camera jitter); mount `wrist`: on the hand, looking along the fingers.
- modalities: any of `rgb` (an H.264/AV1 video), `depth` (millimetres along the view axis,
  lossless uint16), `segmentation` (instance ids, lossless uint16, mapped to manifest objects);
  layers are stored as height * width values per frame, row-major.

Every recorded camera adds its pose per frame (`observation.cameras.<name>.extrinsics`: x, y,
z, qw, qx, qy, qz of the camera in the world; OpenGL/MuJoCo axes: x right, y up, looking along
-z) and its intrinsics to `meta/cameras.json`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.lerobot import FeatureSpec

Modality = Literal["rgb", "depth", "segmentation"]
Mount = Literal["scene", "wrist"]
MODALITIES: Final = ("rgb", "depth", "segmentation")
POSE_NAMES: Final = ("x", "y", "z", "qw", "qx", "qy", "qz")
CAMERAS_DOCUMENT: Final = "cameras"
SEGMENTATION_DOCUMENT: Final = "segmentation"
# Reserved segmentation ids; manifest objects (then distractor slots) follow in sorted order.
NO_SURFACE_ID: Final = 0
ROBOT_ID: Final = 1
WORLD_ID: Final = 2
FIRST_OBJECT_ID: Final = 3
DEPTH_UNIT_PER_M: Final = 1000.0  # millimetres
MAX_DEPTH_MM: Final = 65535


@dataclass(frozen=True)
class CameraFrame:
    """One camera's frame: what its modalities ask for, and its pose in the world."""

    rgb: NDArray[np.uint8] | None  # (H, W, 3)
    depth_mm: NDArray[np.uint16] | None  # (H, W); 0: no surface within range
    segmentation: NDArray[np.uint16] | None  # (H, W) ids of meta/segmentation.json
    extrinsics: NDArray[np.float32] | None  # (7,) x, y, z, qw, qx, qy, qz (camera to world)


class CameraSpec(BaseModel):
    """One recorded camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    mount: Mount
    width: int = Field(default=128, ge=16, le=1920, multiple_of=2)
    height: int = Field(default=128, ge=16, le=1080, multiple_of=2)
    modalities: tuple[Modality, ...] = ("rgb",)

    def has(self, modality: Modality) -> bool:
        """Whether the camera records `modality`."""
        return modality in self.modalities


def parse_cameras(value: str, width: int, height: int) -> tuple[CameraSpec, ...]:
    """The cameras of a CAMERAS value (short form or JSON list), checked.

    Args:
        value: the variable's text.
        width: CAMERA_WIDTH, for the short form.
        height: CAMERA_HEIGHT, for the short form.

    Raises:
        ValueError: one line naming the entry and field that is wrong.
    """
    text = value.strip()
    if not text.startswith("["):
        if not re.fullmatch(r"((scene|wrist)(,(scene|wrist))?)?", text):
            raise ValueError("must be scene, wrist, scene,wrist, empty, or a JSON list of cameras")
        names = list(dict.fromkeys(n for n in text.split(",") if n))
        return tuple(CameraSpec(name=n, mount=n, width=width, height=height) for n in names)
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(entries, list):
        raise ValueError("a JSON value must be a list of cameras")
    specs: list[CameraSpec] = []
    for number, entry in enumerate(entries):
        try:
            spec = CameraSpec.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(part) for part in error["loc"]) or "entry"
            raise ValueError(f"camera {number}: {where}: {error['msg']}") from None
        if not spec.modalities or len(set(spec.modalities)) != len(spec.modalities):
            raise ValueError(f"camera {number}: modalities: give each of {MODALITIES} once")
        if spec.name in {s.name for s in specs}:
            raise ValueError(f"camera {number}: name: {spec.name!r} is used twice")
        specs.append(spec)
    return tuple(specs)


def intrinsics(spec: CameraSpec, fovy_deg: float) -> dict[str, float]:
    """Pinhole intrinsics of a camera from its vertical field of view (square pixels, principal
    point at the image centre, as MuJoCo renders; pixel (0, 0) is the top-left corner)."""
    fy = spec.height / (2.0 * math.tan(math.radians(fovy_deg) / 2.0))
    return {"fx": fy, "fy": fy, "cx": spec.width / 2.0, "cy": spec.height / 2.0}


def depth_key(camera: str) -> str:
    """The dataset feature of a camera's depth layer."""
    return f"observation.depth.{camera}"


def segmentation_key(camera: str) -> str:
    """The dataset feature of a camera's segmentation layer."""
    return f"observation.segmentation.{camera}"


def extrinsics_key(camera: str) -> str:
    """The dataset feature of a camera's pose per frame."""
    return f"observation.cameras.{camera}.extrinsics"


def camera_features(specs: Sequence[CameraSpec]) -> dict[str, FeatureSpec]:
    """The data features the cameras add (videos aside): layers and per-frame poses."""
    features: dict[str, FeatureSpec] = {}
    for spec in specs:
        shape = (spec.height * spec.width,)  # row-major pixels (lerobot's tools need 1-D)
        size = {"layer.height": spec.height, "layer.width": spec.width, "layer.camera": spec.name}
        if spec.has("depth"):
            info = {"layer.kind": "depth", "layer.is_depth_map": True, "layer.unit": "mm",
                    "layer.zero": "no surface within range", **size}  # fmt: skip
            features[depth_key(spec.name)] = FeatureSpec.model_validate(
                {"dtype": "uint16", "shape": shape, "names": None, "info": info}
            )
        if spec.has("segmentation"):
            id_map = f"meta/{SEGMENTATION_DOCUMENT}.json"
            info = {"layer.kind": "segmentation", "layer.is_depth_map": False,
                    "layer.zero": "no surface", "layer.id_map": id_map, **size}  # fmt: skip
            features[segmentation_key(spec.name)] = FeatureSpec.model_validate(
                {"dtype": "uint16", "shape": shape, "names": None, "info": info}
            )
        features[extrinsics_key(spec.name)] = FeatureSpec(
            dtype="float32", shape=(7,), names=list(POSE_NAMES)
        )
    return features


def cameras_document(specs: Sequence[CameraSpec], fovy_deg: dict[str, float]) -> dict[str, Any]:
    """meta/cameras.json: per camera its mount, size, modalities, fovy and intrinsics."""
    return {
        "convention": "camera-to-world pose per frame in observation.cameras.<name>.extrinsics "
        "(x, y, z, qw, qx, qy, qz); camera axes x right, y up, looking along -z (OpenGL); "
        "intrinsics in pixels, origin at the top-left corner",
        "cameras": {
            spec.name: {
                "mount": spec.mount,
                "width": spec.width,
                "height": spec.height,
                "modalities": list(spec.modalities),
                "fovy_deg": fovy_deg[spec.name],
                "intrinsics": intrinsics(spec, fovy_deg[spec.name]),
                "extrinsics_feature": extrinsics_key(spec.name),
            }
            for spec in specs
        },
    }


def segmentation_document(object_ids: Sequence[str], distractors: Sequence[str]) -> dict[str, str]:
    """meta/segmentation.json: segmentation id -> what it is (manifest objects by their id)."""
    names = {str(NO_SURFACE_ID): "none", str(ROBOT_ID): "robot", str(WORLD_ID): "world"}
    for offset, name in enumerate([*sorted(object_ids), *sorted(distractors)]):
        names[str(FIRST_OBJECT_ID + offset)] = name
    return names
