"""The bundle randomization as USD attribute writes: what the Isaac Sim backend applies of the
record MuJoCo applies to its model (light, colours, masses, frictions, scene camera).

Pure data plus a pxr applier (imported inside the function: Isaac Sim's own pxr in the
container, usd-core in the tests). PhysX picks up mass and material changes on the stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tools.randomization import ColorSample, EpisodeRandomization, LightSample, PhysicsSample
from tools.tasks.geometry import Pose

if TYPE_CHECKING:
    from pxr import Usd

MASS_ATTR = "physics:mass"
INERTIA_ATTR = "physics:diagonalInertia"
STATIC_FRICTION_ATTR = "physics:staticFriction"
DYNAMIC_FRICTION_ATTR = "physics:dynamicFriction"
ROTATE_XYZ_ATTR = "xformOp:rotateXYZ"
TRANSFORM_ATTR = "xformOp:transform"


@dataclass(frozen=True)
class UsdWrite:
    """One attribute value to author: prim, attribute name, value and its Sdf type name."""

    prim_path: str
    attribute: str
    value: tuple[float, ...] | float | bool
    type_name: str


@dataclass(frozen=True)
class NominalMass:
    """A body's authored mass and diagonal inertia, read once at load (writes stay absolute)."""

    mass_kg: float
    inertia: tuple[float, float, float] | None


def light_writes(light: LightSample) -> list[UsdWrite]:
    """The key light's intensity, colour temperature and direction (its rotateXYZ)."""
    path = light.prim_path
    return [
        UsdWrite(path, "inputs:intensity", light.intensity, "Float"),
        UsdWrite(path, "inputs:enableColorTemperature", True, "Bool"),
        UsdWrite(path, "inputs:colorTemperature", light.color_temperature_k, "Float"),
        UsdWrite(path, ROTATE_XYZ_ATTR, tuple(light.rotation_xyz_deg), "Float3"),
    ]


def color_writes(colors: Iterable[ColorSample]) -> list[UsdWrite]:
    """Absolute base colours on the shaders (`inputs:scale` is an RGBA texture multiplier)."""
    writes = []
    for color in colors:
        if color.shader_input == "inputs:scale":
            writes.append(
                UsdWrite(color.shader_path, color.shader_input, (*color.rgb, 1.0), "Float4")
            )
        else:
            writes.append(
                UsdWrite(color.shader_path, color.shader_input, tuple(color.rgb), "Color3f")
            )
    return writes


def physics_writes(
    samples: Iterable[PhysicsSample], nominal: Mapping[str, NominalMass]
) -> list[UsdWrite]:
    """Masses (inertia scaled with them, as MuJoCo does) and both frictions of each material.

    Args:
        samples: the episode's physics values.
        nominal: prim path -> the mass authored in scene.usda (bodies without one keep theirs).
    """
    writes = []
    for sample in samples:
        base = nominal.get(sample.prim_path)
        if sample.mass_kg is not None and base is not None:
            writes.append(UsdWrite(sample.prim_path, MASS_ATTR, sample.mass_kg, "Float"))
            if base.inertia is not None:
                ratio = sample.mass_kg / base.mass_kg
                scaled = tuple(v * ratio for v in base.inertia)
                writes.append(UsdWrite(sample.prim_path, INERTIA_ATTR, scaled, "Float3"))
        path = sample.material_path
        writes.append(UsdWrite(path, STATIC_FRICTION_ATTR, sample.static_friction, "Float"))
        writes.append(UsdWrite(path, DYNAMIC_FRICTION_ATTR, sample.dynamic_friction, "Float"))
    return writes


def episode_writes(
    sample: EpisodeRandomization, nominal: Mapping[str, NominalMass]
) -> list[UsdWrite]:
    """Every write of an episode's record except placements and the camera (those go through
    `reset` and `camera_write`) and distractors (not applied by the Isaac backend)."""
    writes = light_writes(sample.light) if sample.light is not None else []
    return writes + color_writes(sample.colors) + physics_writes(sample.physics, nominal)


def camera_write(prim_path: str, pose: Pose) -> UsdWrite:
    """A camera's pose as its single transform op (row-vector matrix, USD's convention)."""
    import numpy as np

    w, x, y, z = pose.quat_wxyz
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation.T  # rows: the camera's axes in the world
    matrix[3, :3] = pose.position
    return UsdWrite(prim_path, TRANSFORM_ATTR, tuple(float(v) for v in matrix.ravel()), "Matrix4d")


def nominal_masses(stage: Usd.Stage, prim_paths: Iterable[str]) -> dict[str, NominalMass]:
    """The authored masses (and diagonal inertias) of these prims; prims without one skipped."""
    out = {}
    for path in prim_paths:
        prim = stage.GetPrimAtPath(path)
        mass = prim.GetAttribute(MASS_ATTR).Get() if prim else None
        if mass:
            inertia = prim.GetAttribute(INERTIA_ATTR).Get()
            value = (
                None if inertia is None or not any(inertia) else tuple(float(v) for v in inertia)
            )
            out[path] = NominalMass(float(mass), value)  # type: ignore[arg-type]
    return out


def apply_writes(stage: Usd.Stage, writes: Iterable[UsdWrite]) -> None:
    """Author the writes on the stage's current edit target; a missing xform op is added
    (rotateXYZ after a light's other ops, a camera's transform as its only op).

    Raises:
        KeyError: a prim of a write is missing from the stage.
    """
    from pxr import Gf, Sdf, UsdGeom

    for write in writes:
        prim = stage.GetPrimAtPath(write.prim_path)
        if not prim:
            raise KeyError(f"{write.prim_path}: no such prim on the stage")
        if write.attribute in (ROTATE_XYZ_ATTR, TRANSFORM_ATTR):
            _ensure_op(UsdGeom.Xformable(prim), write.attribute)
        attribute = prim.GetAttribute(write.attribute)
        if not attribute:
            type_name = getattr(Sdf.ValueTypeNames, write.type_name)
            attribute = prim.CreateAttribute(write.attribute, type_name)
        attribute.Set(_value(Gf, attribute.GetTypeName().type.typeName, write.value))


def _ensure_op(xformable: Any, attribute: str) -> None:
    from pxr import UsdGeom

    if any(op.GetName() == attribute for op in xformable.GetOrderedXformOps()):
        return
    if attribute == TRANSFORM_ATTR:
        xformable.ClearXformOpOrder()
        xformable.AddTransformOp(UsdGeom.XformOp.PrecisionDouble)
    else:
        xformable.AddRotateXYZOp()


def _value(gf: Any, type_name: str, value: tuple[float, ...] | float | bool) -> Any:
    """The value in the attribute's own Gf type (an op may be float or double precision)."""
    if not isinstance(value, tuple):
        return value
    if type_name == "GfMatrix4d":
        return gf.Matrix4d(*value)
    return getattr(gf, type_name.removeprefix("Gf"))(*value)
