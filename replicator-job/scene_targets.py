"""What the randomizers act on in the stage: materials, physics materials, key light, camera."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdShade

from tools.randomization.config import ColorTarget
from tools.randomization.samples import Pose
from tools.rotations import rotate_xyz_from_quat
from tools.sim import usd_layout as layout

TEXTURE_SHADER_ID = "UsdUVTexture"
SURFACE_SHADER_ID = "UsdPreviewSurface"
DEFAULT_BASE_RGB = (0.7, 0.7, 0.7)


@dataclass(frozen=True)
class LightTarget:
    """The stage's key light."""

    prim_path: str
    intensity: float


@dataclass(frozen=True)
class CameraTarget:
    """The stage's camera and its world pose."""

    prim_path: str
    pose: Pose
    rotation_xyz_deg: tuple[float, float, float]


def _shader(material: Usd.Prim, shader_id: str) -> UsdShade.Shader | None:
    for child in material.GetChildren():
        shader = UsdShade.Shader(child)
        if shader and shader.GetIdAttr().Get() == shader_id:
            return shader
    return None


def _rgb(value: object) -> tuple[float, float, float]:
    if value is None:
        return DEFAULT_BASE_RGB
    array = np.asarray(value, dtype=np.float64).reshape(-1)[:3]
    return (float(array[0]), float(array[1]), float(array[2]))


def color_targets(stage: Usd.Stage, object_id: str, prim_path: str) -> list[ColorTarget]:
    """The base colour of each visual material of an object.

    A textured material is tinted through its texture's `inputs:scale`, an untextured one
    through the surface's `inputs:diffuseColor`.

    Args:
        stage: the scene stage.
        object_id: the manifest id.
        prim_path: the object's prim.

    Returns:
        One target per material, in stage order.
    """
    looks = stage.GetPrimAtPath(f"{prim_path}/{layout.ASSET_CHILD}/{layout.LOOKS_SCOPE}")
    targets: list[ColorTarget] = []
    if not looks:
        return targets
    for material in looks.GetChildren():
        if not material.IsA(UsdShade.Material):
            continue
        texture = _shader(material, TEXTURE_SHADER_ID)
        surface = _shader(material, SURFACE_SHADER_ID)
        if texture is not None:
            shader, name = texture, "inputs:scale"
        elif surface is not None:
            shader, name = surface, "inputs:diffuseColor"
        else:
            continue
        attribute = shader.GetPrim().GetAttribute(name)
        targets.append(
            ColorTarget(
                object_id=object_id,
                material_path=str(material.GetPath()),
                shader_path=str(shader.GetPath()),
                shader_input=name,
                base_rgb=_rgb(attribute.Get() if attribute else None),
            )
        )
    return targets


def physics_material_path(stage: Usd.Stage, prim_path: str) -> str | None:
    """The physics material bound (purpose `physics`) to an object's first collider.

    Args:
        stage: the scene stage.
        prim_path: the object's prim.

    Returns:
        The material's prim path, or None when no collider has one.
    """
    for prim in Usd.PrimRange(stage.GetPrimAtPath(prim_path), Usd.TraverseInstanceProxies()):
        if prim.HasAPI(UsdPhysics.CollisionAPI):
            binding = UsdShade.MaterialBindingAPI(prim)
            material, _ = binding.ComputeBoundMaterial(layout.PHYSICS_PURPOSE)
            if material:
                return str(material.GetPath())
    return None


def key_light(stage: Usd.Stage) -> LightTarget | None:
    """The first DistantLight below `/World/Lights` and its intensity.

    Args:
        stage: the scene stage.

    Returns:
        The light, or None when the stage has none.
    """
    lights = stage.GetPrimAtPath(layout.LIGHTS_PATH)
    if not lights:
        return None
    for prim in Usd.PrimRange(lights):
        if prim.IsA(UsdLux.DistantLight):
            intensity = UsdLux.DistantLight(prim).GetIntensityAttr().Get()
            return LightTarget(str(prim.GetPath()), float(intensity or 1.0))
    return None


def scene_camera(stage: Usd.Stage) -> CameraTarget | None:
    """The reconstruction camera (`/World/Camera`) and its world pose.

    Args:
        stage: the scene stage.

    Returns:
        The camera, or None when the stage has none.
    """
    prim = stage.GetPrimAtPath(layout.CAMERA_PATH)
    if not prim or not prim.IsA(UsdGeom.Camera):
        return None
    matrix = Gf.Matrix4d(UsdGeom.XformCache().GetLocalToWorldTransform(prim))
    position = matrix.ExtractTranslation()
    quat = matrix.RemoveScaleShear().ExtractRotationQuat()
    imaginary = quat.GetImaginary()
    wxyz = (float(quat.GetReal()), float(imaginary[0]), float(imaginary[1]), float(imaginary[2]))
    if wxyz[0] < 0:
        wxyz = (-wxyz[0], -wxyz[1], -wxyz[2], -wxyz[3])
    pose = Pose(
        position=(float(position[0]), float(position[1]), float(position[2])), rotation_wxyz=wxyz
    )
    return CameraTarget(str(prim.GetPath()), pose, rotate_xyz_from_quat(wxyz))
