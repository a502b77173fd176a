"""USD authoring for the Isaac Sim backend: robot asset probing, pedestal, cameras, object lookup.

Only `pxr` (Isaac Sim's own inside the container) and, for probing, `omni.client` are used;
nothing here starts Isaac Sim.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from episode_generation_job.backends.base import SCENE_CAMERA, WRIST_CAMERA
from episode_generation_job.errors import BackendUnavailableError
from tools.sim import usd_layout
from tools.sim.robots.franka import constants as franka
from tools.tasks.geometry import FloatArray, Pose
from tools.tasks.robot_mount import CAMERA_FOVY_DEG, Pedestal, scene_camera

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


def franka_asset(asset_root: str) -> str:  # pragma: no cover - needs omni.client
    """The first Franka asset that exists under `asset_root` (Isaac moved it between releases).

    Raises:
        BackendUnavailableError: none of the candidates exists.
    """
    client = importlib.import_module("omni.client")
    for relative in FRANKA_ASSET_CANDIDATES:
        url = asset_root.rstrip("/") + relative
        result, _ = client.stat(url)
        if result == client.Result.OK:
            return url
    raise BackendUnavailableError(
        "isaacsim",
        f"no Franka asset under {asset_root} (tried {', '.join(FRANKA_ASSET_CANDIDATES)})",
        hint=f"set {ASSET_ROOT_ENV} to an Isaac assets mirror",
    )


def object_paths(stage: Usd.Stage) -> dict[str, str]:
    """Manifest object id -> prim path, from the usd step's custom data."""
    root = stage.GetPrimAtPath(usd_layout.OBJECTS_PATH)
    out = {}
    for prim in root.GetChildren() if root else []:
        object_id = prim.GetCustomDataByKey(usd_layout.OBJECT_ID_KEY)
        if isinstance(object_id, str):
            out[object_id] = str(prim.GetPath())
    return out


def local_bounds(stage: Usd.Stage, path: str) -> tuple[FloatArray, FloatArray]:
    """An object's extent in its own (body) frame: static data, read once from the USD."""
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])
    prim = stage.GetPrimAtPath(path)
    total = Gf.Range3d()
    for child in prim.GetChildren():  # each child's subtree, expressed in the prim's frame
        total.UnionWith(cache.ComputeRelativeBound(child, prim).ComputeAlignedRange())
    return np.array(total.GetMin(), dtype=float), np.array(total.GetMax(), dtype=float)


def world_pose(stage: Usd.Stage, path: str) -> Pose:
    """A prim's authored world pose (for static objects; PhysX owns the dynamic ones)."""
    matrix = Gf.Matrix4d(UsdGeom.XformCache().GetLocalToWorldTransform(stage.GetPrimAtPath(path)))
    quat = matrix.RemoveScaleShear().ExtractRotationQuat()
    imag = quat.GetImaginary()
    return Pose.of(matrix.ExtractTranslation(), (quat.GetReal(), imag[0], imag[1], imag[2]))


def author_pedestal(stage: Usd.Stage, stand: Pedestal) -> None:
    """A static box collider under the raised robot base."""
    cube = UsdGeom.Cube.Define(stage, PEDESTAL_PATH)
    cube.CreateSizeAttr(1.0)
    xform = UsdGeom.Xformable(cube)
    xform.AddTranslateOp().Set(Gf.Vec3d(*stand.centre))
    xform.AddScaleOp().Set(Gf.Vec3f(*(2 * h for h in stand.half_extents)))
    UsdPhysics.CollisionAPI.Apply(cube.GetPrim())


def _set_fovy(camera: UsdGeom.Camera, fovy_deg: float) -> None:
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
