"""Test helper: a small synthetic tabletop scene (manifest + MjSpec) needing no USD file."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np
from numpy.typing import NDArray
from pxr import Gf, Usd, UsdGeom, UsdPhysics, UsdShade

from episode_generation_job.backends.mujoco_scene import MujocoScene, ObjectRef
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import (
    Asset,
    ObjectProvenance,
    Physics,
    PoseSource,
    Provenance,
    Relationship,
    Robot,
    RoomBounds,
    SceneManifest,
    SceneObject,
    Semantics,
    SimRole,
    Transform,
    save_manifest,
)
from tools.sim import usd_layout

FloatArray = NDArray[np.float64]
TABLE_ID = "table_0"
TABLE_TOP = 0.75
APPLE_CUT = 0.85  # an "apple" item is cut flat this far down its half height


@dataclass(frozen=True)
class TabletopItem:
    """A free object of the synthetic tabletop: a box or an upright cylinder on the table."""

    object_id: str
    label: str
    shape: str  # "box" | "cylinder" | "cup" (open top: a floor and eight wall boxes) | "apple"
    size: tuple[float, float, float]  # full x, y, z extents
    xy: tuple[float, float]
    yaw: float
    mass: float
    colour: str
    rgba: tuple[float, float, float, float]


_ITEMS = (
    TabletopItem(
        "cube_0",
        "toy block",
        "box",
        (0.05, 0.05, 0.05),
        (0.45, 0.15),
        0.3,
        0.1,
        "red",
        (0.85, 0.15, 0.15, 1.0),
    ),
    TabletopItem(
        "can_0",
        "soda can",
        "cylinder",
        (0.066, 0.066, 0.12),
        (0.50, -0.15),
        0.0,
        0.3,
        "blue",
        (0.2, 0.35, 0.8, 1.0),
    ),
    TabletopItem(
        "box_0",
        "small box",
        "box",
        (0.06, 0.10, 0.07),
        (0.62, 0.02),
        -0.4,
        0.15,
        "brown",
        (0.6, 0.45, 0.3, 1.0),
    ),
    TabletopItem(
        "plate_0",
        "plate",
        "cylinder",
        (0.22, 0.22, 0.02),
        (0.40, -0.30),
        0.0,
        0.4,
        "white",
        (0.93, 0.93, 0.9, 1.0),
    ),
)


CUP_WALL = 0.006
_CUP_SIDES = 8


def cup_pieces(size: tuple[float, float, float]) -> list[tuple[FloatArray, FloatArray]]:
    """An open cup as convex boxes: (centre, half sizes) in a frame turned so each wall's
    half sizes are (thickness/2, length/2, height/2) after rotation by its angle (k * 45 deg).

    The first piece is the floor (not turned); piece k >= 1 is turned by (k - 1) * 45 deg.
    Centres are relative to the cup's centre.
    """
    radius, height = size[0] / 2, size[2]
    apothem = radius * math.cos(math.pi / _CUP_SIDES)
    length = 2 * radius * math.sin(math.pi / _CUP_SIDES) + CUP_WALL
    pieces = [
        (
            np.array([0.0, 0.0, -height / 2 + CUP_WALL / 2]),
            np.array([0.7 * apothem, 0.7 * apothem, CUP_WALL / 2]),
        )
    ]
    for k in range(_CUP_SIDES):
        angle = 2 * math.pi * k / _CUP_SIDES
        mid = apothem - CUP_WALL / 2
        centre = np.array([mid * math.cos(angle), mid * math.sin(angle), 0.0])
        pieces.append((centre, np.array([CUP_WALL / 2, length / 2, height / 2])))
    return pieces


def cup_hulls(size: tuple[float, float, float]) -> list[FloatArray]:
    """The cup's pieces as vertex sets (corners), in the cup's frame: its collision hulls."""
    hulls = []
    for k, (centre, half) in enumerate(cup_pieces(size)):
        angle = 0.0 if k == 0 else 2 * math.pi * (k - 1) / _CUP_SIDES
        c, s = math.cos(angle), math.sin(angle)
        turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * half
        hulls.append(corners @ turn.T + centre)
    return hulls


def apple_vertices(size: Sequence[float]) -> FloatArray:
    """A convex "apple": a flattened sphere `size[0]` across (its height 0.9 of that before
    the cut) cut flat at the bottom so it stands `size[2]` tall on the cut, centred on its
    box; vertices (N, 3). Above its equator it is narrower than across it."""
    radius = size[0] / 2
    half_height = size[2] / (1 + APPLE_CUT)  # the flattened sphere's half height
    centre = size[2] / 2 - half_height
    points = [(0.0, 0.0, half_height)]
    for t in np.linspace(0.0, math.pi, 15)[1:-1]:
        z, r = half_height * math.cos(t), radius * math.sin(t)
        if z > -APPLE_CUT * half_height:
            points += [(r * math.cos(a), r * math.sin(a), z)
                       for a in np.linspace(0.0, 2 * math.pi, 16, endpoint=False)]  # fmt: skip
    ring = radius * math.sqrt(1.0 - APPLE_CUT**2)
    points += [(ring * math.cos(a), ring * math.sin(a), -APPLE_CUT * half_height)
               for a in np.linspace(0.0, 2 * math.pi, 16, endpoint=False)]  # fmt: skip
    vertices: FloatArray = np.asarray(points, dtype=float)
    vertices[:, 2] += centre
    return vertices


def _add_cup_geoms(body: mujoco.MjsBody, item: TabletopItem) -> tuple[str, ...]:
    names = []
    for k, (centre, half) in enumerate(cup_pieces(item.size)):
        angle = 0.0 if k == 0 else 2 * math.pi * (k - 1) / _CUP_SIDES
        name = f"{item.object_id}/geom{k}"
        body.add_geom(
            name=name,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=list(half),
            pos=list(centre),
            quat=[math.cos(angle / 2), 0.0, 0.0, math.sin(angle / 2)],
            mass=item.mass / (_CUP_SIDES + 1),
            rgba=list(item.rgba),
            friction=[0.8, 0.005, 0.0001],
        )
        names.append(name)
    return tuple(names)


def _asset(object_id: str) -> Asset:
    return Asset(
        mesh_path=f"assets/{object_id}/{object_id}.glb",
        format="glb",
        sha256=hashlib.sha256(object_id.encode()).hexdigest(),
    )


def _physics(mass: float) -> Physics:
    return Physics(
        mass_kg=mass,
        static_friction=0.8,
        dynamic_friction=0.6,
        restitution=0.1,
        center_of_mass=(0.0, 0.0, 0.0),
        inertia_diagonal=(1e-4, 1e-4, 1e-4),
    )


def _object(item: TabletopItem, origin: tuple[float, float]) -> SceneObject:
    x, y = origin[0] + item.xy[0], origin[1] + item.xy[1]
    return SceneObject(
        id=item.object_id,
        category=item.label.split()[-1],
        sim_role=SimRole.MANIPULABLE,
        transform=Transform(
            position=(x, y, TABLE_TOP + item.size[2] / 2),
            rotation_wxyz=(math.cos(item.yaw / 2), 0.0, 0.0, math.sin(item.yaw / 2)),
        ),
        asset=_asset(item.object_id),
        dimensions=item.size,
        physics=_physics(item.mass),
        semantics=Semantics(label=item.label, class_name=item.label, tags=(item.colour,)),
        relationships=(Relationship(type="on_top_of", target=TABLE_ID),),
        provenance=ObjectProvenance(source_id=item.object_id, pose_source=PoseSource.AUTHORED),
    )


def tabletop_scene(extra_items: Sequence[TabletopItem] = ()) -> MujocoScene:
    """A 1.2 x 0.8 m table with a block, a can, a box and a plate, and a floor-standing Panda.

    Args:
        extra_items: more objects on the table (e.g. a tall bottle for side grasps).

    Returns:
        The scene (MjSpec + body map + manifest) ready for `MujocoBackend`.
    """
    origin = (0.0, 0.0)
    table_centre = (0.75, 0.0)
    spec = mujoco.MjSpec()
    spec.worldbody.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[4, 4, 0.1])
    table = spec.worldbody.add_body(name=TABLE_ID, pos=[*table_centre, TABLE_TOP / 2])
    table.add_geom(
        name=f"{TABLE_ID}/geom",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[0.6, 0.4, TABLE_TOP / 2],
        rgba=[0.6, 0.45, 0.3, 1.0],
        friction=[0.8, 0.005, 0.0001],
    )
    refs = {TABLE_ID: ObjectRef(None, (f"{TABLE_ID}/geom",))}
    objects = [
        SceneObject(
            id=TABLE_ID,
            category="table",
            sim_role=SimRole.STATIC,
            transform=Transform(position=(*table_centre, TABLE_TOP / 2)),
            asset=_asset(TABLE_ID),
            dimensions=(1.2, 0.8, TABLE_TOP),
            semantics=Semantics(label="table", class_name="table"),
            provenance=ObjectProvenance(source_id=TABLE_ID, pose_source=PoseSource.AUTHORED),
        )
    ]
    for item in (*_ITEMS, *extra_items):
        obj = _object(item, origin)
        body = spec.worldbody.add_body(
            name=item.object_id,
            pos=list(obj.transform.position),
            quat=list(obj.transform.rotation_wxyz),
        )
        body.add_freejoint()
        if item.shape == "cup":
            refs[item.object_id] = ObjectRef(item.object_id, _add_cup_geoms(body, item))
            objects.append(obj)
            continue
        if item.shape == "apple":
            mesh = spec.add_mesh(name=f"{item.object_id}/mesh")
            mesh.uservert = apple_vertices(item.size).ravel().tolist()
            body.add_geom(
                name=f"{item.object_id}/geom", type=mujoco.mjtGeom.mjGEOM_MESH,
                meshname=mesh.name, mass=item.mass, rgba=list(item.rgba),
                friction=[0.8, 0.005, 0.0001],
            )  # fmt: skip
            refs[item.object_id] = ObjectRef(item.object_id, (f"{item.object_id}/geom",))
            objects.append(obj)
            continue
        half = [s / 2 for s in item.size]
        box = item.shape == "box"
        body.add_geom(
            name=f"{item.object_id}/geom",
            type=mujoco.mjtGeom.mjGEOM_BOX if box else mujoco.mjtGeom.mjGEOM_CYLINDER,
            size=half if box else [half[0], half[2], 0.0],
            mass=item.mass,
            rgba=list(item.rgba),
            friction=[0.8, 0.005, 0.0001],
        )
        refs[item.object_id] = ObjectRef(item.object_id, (f"{item.object_id}/geom",))
        objects.append(obj)
    manifest = SceneManifest(
        scene_id="synthetic_tabletop",
        room_bounds=RoomBounds(min=(-1.0, -2.0, 0.0), max=(2.5, 2.0, 2.5)),
        objects=tuple(objects),
        robot=Robot(base_pose=Transform(position=(0.0, 0.0, 0.0)), work_surface=TABLE_ID),
        provenance=Provenance(source="synthetic", data_source="authored"),
    )
    return MujocoScene(spec=spec, objects=refs, manifest=manifest)


def _shape(
    stage: Usd.Stage, path: str, size: tuple[float, float, float], item: TabletopItem | None
) -> UsdGeom.Gprim:
    if item is not None and item.shape == "cylinder":
        cylinder = UsdGeom.Cylinder.Define(stage, path)
        cylinder.CreateRadiusAttr(size[0] / 2)
        cylinder.CreateHeightAttr(size[2])
        cylinder.CreateAxisAttr(UsdGeom.Tokens.z)
        return cylinder
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    cube.AddScaleOp().Set(Gf.Vec3f(*size))
    return cube


def tabletop_env(scene_dir: Path, episodes: int, **extra: str) -> dict[str, str]:
    """The episodes step's environment on the tabletop written by `write_tabletop_usd`: no
    cameras, no bundle randomization (the tabletop has no replicator bundle), `extra` on top."""
    env = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": str(episodes)}
    return env | {"CAMERAS": "", "RANDOMIZATION": "none"} | extra


def write_tabletop_usd(scene_dir: Path) -> Path:
    """Write the tabletop scene as a scene folder: manifest plus a UsdPhysics `usd/scene.usda`.

    The stage follows the usd step's layout (objects under /World/Objects with their manifest
    id in custom data, physics materials bound with purpose `physics`), so the job's real
    loading path (`tools.sim.load_scene_model`) is exercised without the upstream steps.

    Args:
        scene_dir: the scene folder to create.

    Returns:
        `scene_dir`.
    """
    scene = tabletop_scene()
    manifest = scene.manifest
    save_manifest(scene_dir, manifest)
    usd_path = scene_dir / SCENE_USD_PATH
    usd_path.parent.mkdir(parents=True, exist_ok=True)
    stage = Usd.Stage.CreateNew(str(usd_path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    world = UsdGeom.Xform.Define(stage, usd_layout.WORLD_PATH)
    stage.SetDefaultPrim(world.GetPrim())
    UsdPhysics.Scene.Define(stage, usd_layout.PHYSICS_SCENE_PATH)
    ground = UsdGeom.Cube.Define(stage, f"{usd_layout.WORLD_PATH}/Ground")
    ground.CreateSizeAttr(1.0)
    ground.AddTranslateOp().Set(Gf.Vec3d(0.5, 0.0, -0.05))
    ground.AddScaleOp().Set(Gf.Vec3f(6.0, 6.0, 0.1))
    UsdPhysics.CollisionAPI.Apply(ground.GetPrim())
    ground.CreateDisplayColorAttr([Gf.Vec3f(0.5, 0.5, 0.52)])
    items = {item.object_id: item for item in _ITEMS}
    for obj in manifest.objects:
        path = f"{usd_layout.OBJECTS_PATH}/{usd_layout.prim_name(obj.id)}"
        xform = UsdGeom.Xform.Define(stage, path)
        x, y, z = obj.transform.position
        xform.AddTranslateOp().Set(Gf.Vec3d(x, y, z))
        w, qx, qy, qz = obj.transform.rotation_wxyz
        xform.AddOrientOp().Set(Gf.Quatf(w, qx, qy, qz))
        xform.GetPrim().SetCustomDataByKey(usd_layout.OBJECT_ID_KEY, obj.id)
        item = items.get(obj.id)
        rgba = item.rgba if item is not None else (0.6, 0.45, 0.3, 1.0)
        shape = _shape(stage, f"{path}/collider", obj.dimensions, item)
        UsdPhysics.CollisionAPI.Apply(shape.GetPrim())
        UsdGeom.Imageable(shape).CreatePurposeAttr(UsdGeom.Tokens.guide)
        visual = _shape(stage, f"{path}/visual", obj.dimensions, item)
        visual.CreateDisplayColorAttr([Gf.Vec3f(*rgba[:3])])
        material = UsdShade.Material.Define(
            stage, f"{usd_layout.PHYSICS_MATERIALS_PATH}/{usd_layout.prim_name(obj.id)}"
        )
        friction = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
        friction.CreateStaticFrictionAttr(0.8)
        friction.CreateDynamicFrictionAttr(0.8)
        friction.CreateRestitutionAttr(0.0)
        UsdShade.MaterialBindingAPI.Apply(shape.GetPrim()).Bind(
            material, UsdShade.Tokens.weakerThanDescendants, usd_layout.PHYSICS_PURPOSE
        )
        if obj.physics is not None:
            UsdPhysics.RigidBodyAPI.Apply(xform.GetPrim())
            mass = UsdPhysics.MassAPI.Apply(xform.GetPrim())
            mass.CreateMassAttr(obj.physics.mass_kg)
            sx, sy, sz = obj.dimensions
            moments = [
                obj.physics.mass_kg * (a * a + b * b) / 12
                for a, b in ((sy, sz), (sx, sz), (sx, sy))
            ]
            mass.CreateDiagonalInertiaAttr(Gf.Vec3f(*moments))
            mass.CreateCenterOfMassAttr(Gf.Vec3f(0.0, 0.0, 0.0))
    stage.GetRootLayer().Save()
    return scene_dir
