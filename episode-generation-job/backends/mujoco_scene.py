"""Assemble the MuJoCo world of an episode: the loaded scene, a mounted Panda, lights, cameras."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import mujoco
import numpy as np

from episode_generation_job.backends.base import PHYSICS_DT, SCENE_CAMERA, CameraConfig
from episode_generation_job.backends.base_choice import checked_base
from tools.randomization import DistractorConfig, add_distractor_slots
from tools.scene_manifest import SceneManifest, SimRole
from tools.sim import LoaderOptions, ObjectHandle, apply_contact_solver, load_scene_model
from tools.sim.robots.base import SimRobot
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.franka.robot import FRANKA_ROBOT
from tools.tasks.geometry import FloatArray, ObjectBox, Pose
from tools.tasks.robot_mount import CAMERA_FOVY_DEG, mount_pose, pedestal, scene_camera

PEDESTAL_NAME = "robot_pedestal"


@dataclass(frozen=True)
class ObjectRef:
    """Where one manifest object lives in the model, by name (ids change when a robot is added).

    Attributes:
        body: its free body's name, or None for a static object (geoms on the world body).
        geoms: names of its collision geoms.
    """

    body: str | None
    geoms: tuple[str, ...]


@dataclass
class MujocoScene:
    """A scene as an MjSpec plus where each manifest object lives in it.

    Attributes:
        spec: the scene without a robot (from usd/scene.usda or built in code).
        objects: manifest object id -> its body and geoms in `spec`.
        manifest: the scene contract (robot base pose, work surface, objects).
        notes: what the loader completed or added.
        handles: every stage object's loader handle (prim paths: what the bundle's
            randomizers find bodies, geoms and materials by); empty for scenes built in code.
        key_light: add the fixed key light (off when the bundle randomizes the stage's light).
    """

    spec: mujoco.MjSpec
    objects: dict[str, ObjectRef]
    manifest: SceneManifest
    notes: list[str] = field(default_factory=list)
    handles: dict[str, ObjectHandle] = field(default_factory=dict)
    key_light: bool = True


def scene_from_usd(
    usd_path: Path,
    manifest: SceneManifest,
    distractors: DistractorConfig | None = None,
    *,
    key_light: bool = True,
) -> MujocoScene:
    """Load `usd/scene.usda` with the shared USD loader (no robot yet).

    Args:
        usd_path: the scene stage.
        manifest: the scene contract.
        distractors: add the bundle's parked distractor slots (None: none).
        key_light: add the fixed key light when assembling.

    Returns:
        The scene, its objects mapped by the prim custom data the usd step writes.

    Raises:
        InputError: the stage is missing or MuJoCo refuses it.
    """
    loaded = load_scene_model(usd_path, LoaderOptions(timestep=PHYSICS_DT))
    if distractors is not None:
        add_distractor_slots(loaded.spec, distractors)
    model = loaded.model
    background = {o.id for o in manifest.objects if o.sim_role is SimRole.BACKGROUND}
    objects = {  # the room shell collides but is never a task object nor an obstacle box
        object_id: ObjectRef(
            model.body(handle.body_id).name if handle.dynamic else None,
            tuple(model.geom(g).name for g in handle.collision_geoms),
        )
        for object_id, handle in loaded.objects.items()
        if handle.collision_geoms and object_id not in background
    }
    notes = list(loaded.completed)
    return MujocoScene(loaded.spec, objects, manifest, notes, dict(loaded.objects), key_light)


@dataclass(frozen=True)
class ObjectIds:
    """An object's ids in one compiled model and its collision points in each geom's frame.

    Attributes:
        body: its free body, -1 if static.
        geoms: its collision geoms.
        static_yaw: heading of a static object (from the manifest).
        points: per geom, points bounding it in the geom frame (mesh vertices, or box corners
            of primitives); geom-frame AABBs would inflate with MuJoCo's inertial mesh frames.
    """

    body: int
    geoms: tuple[int, ...]
    static_yaw: float
    points: tuple[FloatArray, ...]


_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])


def geom_points(model: mujoco.MjModel, geom: int) -> FloatArray:
    """Points bounding a geom in its own frame: mesh vertices, or the corners of its box."""
    if model.geom_type[geom] == mujoco.mjtGeom.mjGEOM_MESH:
        mesh = model.geom_dataid[geom]
        start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        return np.asarray(model.mesh_vert[start : start + count], dtype=float)
    centre, half = model.geom_aabb[geom][:3], model.geom_aabb[geom][3:]
    return np.asarray(centre + _CORNERS * half, dtype=float)


def object_ids(
    model: mujoco.MjModel, objects: dict[str, ObjectRef], manifest: SceneManifest
) -> dict[str, ObjectIds]:
    """Resolve object names to ids in a compiled model.

    Args:
        model: the compiled model.
        objects: object id -> names.
        manifest: gives the heading of static objects.

    Returns:
        object id -> ids.
    """
    out = {}
    for object_id, ref in objects.items():
        body = model.body(ref.body).id if ref.body is not None else -1
        heading = Pose.of((0, 0, 0), manifest.object(object_id).transform.rotation_wxyz).yaw
        geoms = tuple(model.geom(g).id for g in ref.geoms)
        points = tuple(geom_points(model, g) for g in geoms)
        out[object_id] = ObjectIds(body, geoms, heading, points)
    return out


def measure_boxes(data: mujoco.MjData, objects: dict[str, ObjectIds]) -> dict[str, ObjectBox]:
    """Upright boxes around each object's collision geoms, in the frame of its heading.

    Args:
        data: model data after mj_forward or mj_kinematics.
        objects: object id -> ids.

    Returns:
        One box per object that has geoms.
    """
    boxes: dict[str, ObjectBox] = {}
    for object_id, ids in objects.items():
        points = [
            local @ data.geom_xmat[g].reshape(3, 3).T + data.geom_xpos[g]
            for g, local in zip(ids.geoms, ids.points, strict=True)
        ]
        if not points:
            continue
        pts = np.vstack(points)
        if ids.body >= 0:
            yaw = Pose.of(data.xpos[ids.body], data.xquat[ids.body]).yaw
        else:
            yaw = ids.static_yaw
        c, s = math.cos(yaw), math.sin(yaw)
        local_xy = pts[:, :2] @ np.array([[c, -s], [s, c]])
        lo = np.array([*local_xy.min(axis=0), pts[:, 2].min()])
        hi = np.array([*local_xy.max(axis=0), pts[:, 2].max()])
        mid = (lo + hi) / 2
        centre_xy = np.array([[c, -s], [s, c]]) @ mid[:2]
        half = (hi - lo) / 2
        boxes[object_id] = ObjectBox(
            object_id,
            (float(centre_xy[0]), float(centre_xy[1]), float(mid[2])),
            (float(half[0]), float(half[1]), float(half[2])),
            yaw,
        )
    return boxes


def attach_robot(spec: mujoco.MjSpec, robot: SimRobot, base: Pose) -> None:
    """Attach `robot` (with its wrist camera) to `spec` with its base at `base`."""
    frame = spec.worldbody.add_frame(
        pos=list(base.position), quat=list(np.asarray(base.quat_wxyz, dtype=float))
    )
    spec.attach(robot.build(True), prefix=robot.prefix, frame=frame)


def assemble(
    scene: MujocoScene, cameras: CameraConfig | None, robot: SimRobot = FRANKA_ROBOT
) -> tuple[mujoco.MjModel, Pose, dict[str, ObjectBox]]:
    """Add the mounted robot (on a pedestal if raised), a light and the scene camera; compile.

    Args:
        scene: the scene without a robot.
        cameras: offscreen image size (None: no rendering buffers needed).
        robot: the arm to mount.

    Returns:
        (compiled model, robot base pose, object boxes at the authored poses).
    """
    bare_model = scene.spec.copy().compile()
    bare_data = mujoco.MjData(bare_model)
    mujoco.mj_forward(bare_model, bare_data)
    boxes = measure_boxes(bare_data, object_ids(bare_model, scene.objects, scene.manifest))
    # Ingest placed the base for the Panda's reach; any arm may stand elsewhere near it.
    base = checked_base(scene.spec, robot, scene.manifest, boxes, mount_pose(scene.manifest, boxes))
    spec = scene.spec.copy()
    spec.option.timestep = PHYSICS_DT
    apply_contact_solver(spec)  # scenes not built by the loader (tests, tabletops) too
    stand = pedestal(scene.manifest, base)
    if stand is not None:
        spec.worldbody.add_geom(
            name=PEDESTAL_NAME,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=list(stand.half_extents),
            pos=list(stand.centre),
            rgba=[0.25, 0.25, 0.28, 1.0],
        )
    attach_robot(spec, robot, base)
    eye, rotation = scene_camera(base)
    spec.worldbody.add_camera(
        name=SCENE_CAMERA,
        pos=list(eye),
        xyaxes=[*rotation[:, 0], *rotation[:, 1]],
        fovy=CAMERA_FOVY_DEG,
    )
    if scene.key_light:
        spec.worldbody.add_light(
            name="key_light",
            pos=[base.position[0], base.position[1], base.position[2] + 2.0],
            dir=[0.3, 0.2, -1.0],
            castshadow=False,
            type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
            diffuse=[0.8, 0.8, 0.8],
        )
    spec.visual.quality.shadowsize = 0
    spec.visual.quality.offsamples = 0
    if cameras is not None:
        spec.visual.global_.offwidth = max(cameras.width, 64)
        spec.visual.global_.offheight = max(cameras.height, 64)
    return spec.compile(), base, boxes


def robot_name(name: str) -> str:
    """The name of a Panda element inside the assembled model."""
    return franka.PREFIX + name
