"""The reconstruction camera as a UsdGeom.Camera: pinhole intrinsics to focal length / aperture."""

from __future__ import annotations

from dataclasses import dataclass

from pxr import Gf, Usd, UsdGeom

from tools.scene_manifest import Camera
from tools.sim import usd_layout as layout
from usd_assembly_job.usd_files import set_pose

# USD's default horizontal aperture (35 mm film-back units); only focal / aperture ratios matter.
HORIZONTAL_APERTURE = 20.955
CLIPPING_RANGE = (0.01, 100.0)


@dataclass(frozen=True)
class CameraIntrinsics:
    """Focal length and apertures in the same (film-back) unit, principal point centred."""

    focal_length: float
    horizontal_aperture: float
    vertical_aperture: float


def intrinsics_from_pinhole(focal_px: float, width: int, height: int) -> CameraIntrinsics:
    """Convert K = [[f, 0, W/2], [0, f, H/2], [0, 0, 1]] to USD camera lens attributes.

    Args:
        focal_px: focal length in pixels (square pixels).
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        Lens attributes that reproduce the pinhole projection: focal / aperture = f / W.
    """
    unit_per_px = HORIZONTAL_APERTURE / width
    return CameraIntrinsics(
        focal_length=focal_px * unit_per_px,
        horizontal_aperture=HORIZONTAL_APERTURE,
        vertical_aperture=height * unit_per_px,
    )


def define_camera(stage: Usd.Stage, camera: Camera) -> UsdGeom.Camera:
    """Define `/World/Camera` from the manifest's camera.

    The manifest pose is the glTF camera frame (looking down -Z, +Y up), which is also USD's
    camera convention, so the pose is used as is.

    Args:
        stage: the scene stage.
        camera: the manifest camera.

    Returns:
        The camera schema object.
    """
    usd_camera = UsdGeom.Camera.Define(stage, layout.CAMERA_PATH)
    set_pose(usd_camera, camera.pose.position, camera.pose.rotation_wxyz)
    lens = intrinsics_from_pinhole(camera.focal_px, camera.width, camera.height)
    usd_camera.CreateProjectionAttr(UsdGeom.Tokens.perspective)
    usd_camera.CreateFocalLengthAttr(lens.focal_length)
    usd_camera.CreateHorizontalApertureAttr(lens.horizontal_aperture)
    usd_camera.CreateVerticalApertureAttr(lens.vertical_aperture)
    usd_camera.CreateHorizontalApertureOffsetAttr(0.0)
    usd_camera.CreateVerticalApertureOffsetAttr(0.0)
    usd_camera.CreateClippingRangeAttr(Gf.Vec2f(*CLIPPING_RANGE))
    prim = usd_camera.GetPrim()
    prim.SetCustomDataByKey(layout.FOCAL_PX_KEY, float(camera.focal_px))
    prim.SetCustomDataByKey(layout.IMAGE_SIZE_KEY, Gf.Vec2i(camera.width, camera.height))
    return usd_camera
