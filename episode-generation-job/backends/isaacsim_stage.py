"""USD authoring for the Isaac Sim backend: robot asset probing, pedestal, cameras, object
lookup, timing.

Only `pxr` is used, imported inside each function: in the container it is Isaac Sim's own
and resolves only once Kit runs, so importing this module must not need it. Nothing here
starts Isaac Sim; with usd-core the same functions run (and are tested) on a CPU.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from episode_generation_job.backends.base import SCENE_CAMERA, WRIST_CAMERA
from episode_generation_job.errors import BackendUnavailableError
from tools.sim import usd_layout
from tools.sim.robots.franka import constants as franka
from tools.tasks.geometry import FloatArray, Pose
from tools.tasks.robot_mount import CAMERA_FOVY_DEG, Pedestal, scene_camera

if TYPE_CHECKING:
    from pxr import Usd, UsdGeom

ROBOT_PATH = "/World/Robot"
PEDESTAL_PATH = "/World/RobotPedestal"
SCENE_CAMERA_PATH = "/World/EpisodeCameras/scene"
WRIST_CAMERA_PATH = f"{ROBOT_PATH}/{franka.HAND_BODY}/{franka.WRIST_CAMERA}"
# Franka asset locations under the Isaac assets root, newest release first (probed in order).
FRANKA_ASSET_CANDIDATES = (
    "/Isaac/Robots_Multiphysics/FrankaRobotics/FrankaPanda/franka/franka.usda",  # 6.2
    "/Isaac/Robots/FrankaRobotics/FrankaPanda/franka.usd",  # 6.0, 6.1
    "/Isaac/Robots/Franka/franka.usd",  # 4.x, 5.x
)
ASSET_ROOT_ENV = "ISAACSIM_ASSET_ROOT"  # offline asset mirror (e.g. a mounted volume)
_APERTURE_MM = 20.955
PHYSX_SCENE_API = "PhysxSceneAPI"
PHYSX_STEPS_ATTR = "physxScene:timeStepsPerSecond"


def asset_root() -> str | None:
    """The offline Isaac assets mirror named by ISAACSIM_ASSET_ROOT (None: Isaac's default)."""
    return os.environ.get(ASSET_ROOT_ENV) or None


def franka_asset(asset_root: str, exists: Callable[[str], bool]) -> str:
    """The first Franka asset that exists under `asset_root` (Isaac moved it between releases).

    Args:
        asset_root: the Isaac assets root (server URL or mirror folder).
        exists: whether a URL resolves (`isaacsim_api.asset_exists`).

    Raises:
        BackendUnavailableError: none of the candidates exists.
    """
    for relative in FRANKA_ASSET_CANDIDATES:
        url = asset_root.rstrip("/") + relative
        if exists(url):
            return url
    raise BackendUnavailableError(
        "isaacsim",
        f"no Franka asset under {asset_root} (tried {', '.join(FRANKA_ASSET_CANDIDATES)})",
        hint=f"set {ASSET_ROOT_ENV} to an Isaac assets mirror",
    )


def author_timing(stage: Usd.Stage, control_hz: int, physics_dt: float) -> int:
    """Make one app update one control period: timeCodesPerSecond = control_hz (USD's default
    is 24, and Kit's fixed stepping advances 1/timeCodesPerSecond per update) and PhysX's
    rate 1/physics_dt on every physics scene (written as the PhysxSceneAPI attribute, so plain
    USD can author it).

    Args:
        stage: the open scene.
        control_hz: control (and recording) rate.
        physics_dt: physics step, seconds.

    Returns:
        Physics steps per second authored.

    Raises:
        BackendUnavailableError: the stage has no physics scene.
    """
    from pxr import Sdf, Usd, UsdPhysics

    steps_per_second = round(1.0 / physics_dt)
    layer = stage.GetRootLayer()
    with Usd.EditContext(stage, layer):
        stage.SetTimeCodesPerSecond(control_hz)
        stage.SetFramesPerSecond(control_hz)
        scenes = [p for p in stage.Traverse() if p.IsA(UsdPhysics.Scene)]
        if not scenes:
            raise BackendUnavailableError("isaacsim", "the stage has no UsdPhysics.Scene")
        for prim in scenes:
            prim.AddAppliedSchema(PHYSX_SCENE_API)
            attribute = prim.CreateAttribute(PHYSX_STEPS_ATTR, Sdf.ValueTypeNames.UInt)
            attribute.Set(steps_per_second)
    return steps_per_second


def object_paths(stage: Usd.Stage) -> dict[str, str]:
    """Manifest object id -> prim path, from the usd step's custom data."""
    root = stage.GetPrimAtPath(usd_layout.OBJECTS_PATH)
    out = {}
    for prim in root.GetChildren() if root else []:
        object_id = prim.GetCustomDataByKey(usd_layout.OBJECT_ID_KEY)
        if isinstance(object_id, str):
            out[object_id] = str(prim.GetPath())
    return out


def rigid_bodies(stage: Usd.Stage, paths: Mapping[str, str]) -> tuple[str, ...]:
    """Ids of the objects whose prim has a rigid body (the free objects), sorted."""
    from pxr import UsdPhysics

    return tuple(
        sorted(
            oid
            for oid, p in paths.items()
            if stage.GetPrimAtPath(p).HasAPI(UsdPhysics.RigidBodyAPI)
        )
    )


def local_bounds(stage: Usd.Stage, path: str) -> tuple[FloatArray, FloatArray]:
    """An object's extent in its own (body) frame: static data, read once from the USD."""
    from pxr import Gf, Usd, UsdGeom

    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])
    prim = stage.GetPrimAtPath(path)
    total = Gf.Range3d()
    for child in prim.GetChildren():  # each child's subtree, expressed in the prim's frame
        total.UnionWith(cache.ComputeRelativeBound(child, prim).ComputeAlignedRange())
    return np.array(total.GetMin(), dtype=float), np.array(total.GetMax(), dtype=float)


def world_pose(stage: Usd.Stage, path: str) -> Pose:
    """A prim's authored world pose (for static objects; PhysX owns the dynamic ones)."""
    from pxr import Gf, UsdGeom

    matrix = Gf.Matrix4d(UsdGeom.XformCache().GetLocalToWorldTransform(stage.GetPrimAtPath(path)))
    quat = matrix.RemoveScaleShear().ExtractRotationQuat()
    imag = quat.GetImaginary()
    return Pose.of(matrix.ExtractTranslation(), (quat.GetReal(), imag[0], imag[1], imag[2]))


def author_pedestal(stage: Usd.Stage, stand: Pedestal) -> None:
    """A static box collider under the raised robot base."""
    from pxr import Gf, UsdGeom, UsdPhysics

    cube = UsdGeom.Cube.Define(stage, PEDESTAL_PATH)
    cube.CreateSizeAttr(1.0)
    xform = UsdGeom.Xformable(cube)
    xform.AddTranslateOp().Set(Gf.Vec3d(*stand.centre))
    xform.AddScaleOp().Set(Gf.Vec3f(*(2 * h for h in stand.half_extents)))
    UsdPhysics.CollisionAPI.Apply(cube.GetPrim())


def _set_fovy(camera: UsdGeom.Camera, fovy_deg: float) -> None:
    """Square aperture; the focal length that gives the vertical field of view."""
    camera.CreateVerticalApertureAttr(_APERTURE_MM)
    camera.CreateHorizontalApertureAttr(_APERTURE_MM)
    camera.CreateFocalLengthAttr(_APERTURE_MM / (2 * math.tan(math.radians(fovy_deg) / 2)))


def author_cameras(stage: Usd.Stage, base: Pose) -> dict[str, str]:
    """The scene and wrist cameras at the same poses as in the MuJoCo backend.

    Args:
        stage: the open stage (the robot already referenced).
        base: the robot base pose.

    Returns:
        camera name -> prim path.
    """
    from pxr import Gf, UsdGeom

    eye, rotation = scene_camera(base)
    scene = UsdGeom.Camera.Define(stage, SCENE_CAMERA_PATH)
    matrix = Gf.Matrix4d(1.0)
    # Gf uses row vectors: the rows are the camera's x, y, z axes in the world.
    matrix.SetRotateOnly(Gf.Matrix3d(*rotation.T.ravel().tolist()))
    matrix.SetTranslateOnly(Gf.Vec3d(*eye))
    UsdGeom.Xformable(scene).AddTransformOp().Set(matrix)
    _set_fovy(scene, CAMERA_FOVY_DEG)
    wrist = UsdGeom.Camera.Define(stage, WRIST_CAMERA_PATH)
    w, x, y, z = franka.WRIST_CAMERA_QUAT
    xform = UsdGeom.Xformable(wrist)
    xform.AddTranslateOp().Set(Gf.Vec3d(*franka.WRIST_CAMERA_POS))
    xform.AddOrientOp().Set(Gf.Quatf(w, x, y, z))
    _set_fovy(wrist, franka.WRIST_CAMERA_FOVY_DEG)
    return {SCENE_CAMERA: SCENE_CAMERA_PATH, WRIST_CAMERA: WRIST_CAMERA_PATH}
