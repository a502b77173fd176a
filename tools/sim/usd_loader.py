"""Load `usd/scene.usda` into MuJoCo through mujoco-usd's importer, completed by usd_completion."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import mujoco
from pxr import Usd, UsdGeom

from tools.errors import InputError
from tools.sim import usd_layout as layout
from tools.sim.material_budget import SCENE_MATERIAL_BUDGET, importable_scene
from tools.sim.usd_completion import (
    add_cameras_and_lights,
    complete_geoms,
    floor_colliders,
    set_gravity,
)
from tools.sim.usd_joints import JointHandle, complete_joints, joint_handles
from tools.usd_stage import open_usd_stage

GROUND_PLANE_NAME = "ground_plane"


IMPRATIO = 10.0  # friction-to-normal impedance ratio: sticky, non-creeping friction


def apply_contact_solver(spec: mujoco.MjSpec) -> None:
    """The contact solver every simulation of a scene uses (see LoaderOptions)."""
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.impratio = IMPRATIO
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST


@dataclass(frozen=True)
class LoaderOptions:
    """How the scene is completed and simulated.

    Attributes:
        timestep: simulation step in seconds.
        ground_plane: add a plane at z = 0 when the stage has no floor collider ("auto": only
            for stages written before the usd step always authored one), always or never.
        collision_group: geom group of collision hulls (3 is hidden in MuJoCo's default view).
        contact_timeconst: contact spring time constant in seconds (MuJoCo's solref[0]).
        material_budget: visual materials kept; the smallest objects beyond it are shown in a
            flat colour (MuJoCo's renderer holds at most 1,000 materials).

    The contact solver is set here, once, for every user of the scene (settling, the settle
    check, the episodes): an elliptic friction cone with impratio 10 and the implicitfast
    integrator. With MuJoCo's default pyramidal cone a can standing on one hull face creeps
    and spins (3 mm and 20 deg in 2 s on a realistic kitchen) while the episodes, which used
    the elliptic cone, saw it stand still: the check judged another physics.
    """

    timestep: float = 0.002
    ground_plane: Literal["auto", "always", "never"] = "auto"
    collision_group: int = 3
    contact_timeconst: float = 0.02
    material_budget: int = SCENE_MATERIAL_BUDGET


@dataclass(frozen=True)
class ObjectHandle:
    """Where a scene object ended up in the MjModel.

    Attributes:
        object_id: the manifest id.
        prim_path: its prim in the scene stage.
        body_id: its body, or -1 when static (its geoms are on the world body).
        collision_geoms: ids of its collision geoms.
        visual_geoms: ids of its visual geoms.
    """

    object_id: str
    prim_path: str
    body_id: int
    collision_geoms: tuple[int, ...]
    visual_geoms: tuple[int, ...]

    @property
    def dynamic(self) -> bool:
        """Whether the object is a free rigid body."""
        return self.body_id >= 0


@dataclass
class LoadedScene:
    """A compiled MuJoCo model of a scene stage, with maps back to the manifest.

    Owns the MjSpec (kept so callers can add a robot and recompile) and the MjModel.
    """

    spec: mujoco.MjSpec
    model: mujoco.MjModel
    objects: dict[str, ObjectHandle]
    cameras: dict[str, int]
    ground_plane_added: bool
    completed: list[str] = field(default_factory=list)
    importer_warnings: list[str] = field(default_factory=list)
    joints: dict[str, JointHandle] = field(default_factory=dict)  # "<object id>/<joint name>"

    def make_data(self) -> mujoco.MjData:
        """A fresh MjData with positions computed (mj_forward)."""
        data = mujoco.MjData(self.model)
        mujoco.mj_forward(self.model, data)
        return data


def require_usd_importer() -> None:
    """Fail with an install hint when mujoco-usd is missing.

    Raises:
        ImportError: mujoco was installed without its `usd` extra.
    """
    if importlib.util.find_spec("mujoco._usd") is None:
        raise ImportError("loading USD into MuJoCo needs `pip install mujoco[usd]==4.0.0`")


@contextlib.contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """Collect MuJoCo warnings instead of letting them append to MUJOCO_LOG.TXT in the cwd.

    Yields:
        The list the warning messages are appended to.
    """
    messages: list[str] = []
    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(messages.append)
    try:
        yield messages
    finally:
        mujoco.set_mju_user_warning(previous)


def _check_units(stage: Usd.Stage, source: str) -> None:
    if UsdGeom.GetStageUpAxis(stage) != UsdGeom.Tokens.z:
        raise InputError(source, "stage upAxis must be Z")
    if abs(UsdGeom.GetStageMetersPerUnit(stage) - 1.0) > 1e-9:
        raise InputError(source, "stage metersPerUnit must be 1")


def _object_handles(model: mujoco.MjModel, stage: Usd.Stage) -> dict[str, ObjectHandle]:
    objects_root = stage.GetPrimAtPath(layout.OBJECTS_PATH)
    if not objects_root:
        return {}
    geom_names = [model.geom(i).name for i in range(model.ngeom)]
    handles: dict[str, ObjectHandle] = {}
    for prim in objects_root.GetChildren():
        object_id = prim.GetCustomDataByKey(layout.OBJECT_ID_KEY)
        if not isinstance(object_id, str):
            continue
        path = str(prim.GetPath())
        body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, path)
        mine = [i for i, name in enumerate(geom_names) if name.startswith(path + "/")]
        colliding = tuple(i for i in mine if model.geom_contype[i] or model.geom_conaffinity[i])
        visual = tuple(i for i in mine if i not in colliding)
        handles[object_id] = ObjectHandle(object_id, path, int(body), colliding, visual)
    return handles


def load_scene_model(usd_path: Path, options: LoaderOptions | None = None) -> LoadedScene:
    """Build the MuJoCo model of a scene stage from the USD itself.

    Args:
        usd_path: `usd/scene.usda` (its references must resolve on the local filesystem).
        options: completion and simulation options.

    Returns:
        The spec, compiled model and maps from object ids and camera prims to MuJoCo ids.

    Raises:
        ImportError: mujoco-usd is not installed.
        InputError: the file is missing, not Z-up metres, or the importer/compiler refuses it.
    """
    options = options or LoaderOptions()
    require_usd_importer()
    source = str(usd_path)
    stage = open_usd_stage(usd_path)
    _check_units(stage, source)
    notes: list[str] = []
    # Textures are read when compiling, so the import and the compile share the context.
    with importable_scene(stage, usd_path, notes, options.material_budget) as importable:
        with captured_warnings() as warnings:
            try:
                spec = mujoco.MjSpec.from_file(str(importable))
            except ValueError as exc:
                raise InputError(source, f"MuJoCo's USD importer refused it: {exc}") from exc
        spec.option.timestep = options.timestep
        apply_contact_solver(spec)
        set_gravity(spec, stage)
        complete_geoms(spec, stage, options.collision_group, options.contact_timeconst, notes)
        add_cameras_and_lights(spec, stage, notes)
        complete_joints(spec, stage, notes)
        floors = floor_colliders(stage)
        add_plane = options.ground_plane == "always" or (
            options.ground_plane == "auto" and not floors
        )
        if floors:
            notes.append(f"floor from the USD: {', '.join(floors)}")
        if add_plane:
            spec.worldbody.add_geom(
                name=GROUND_PLANE_NAME,
                type=mujoco.mjtGeom.mjGEOM_PLANE,
                size=[0.0, 0.0, 1.0],
                rgba=[0.55, 0.55, 0.55, 1.0],
            )
            notes.append("added a ground plane at z = 0 (no floor collider found)")
        with captured_warnings() as compile_warnings:
            try:
                model = spec.compile()
            except ValueError as exc:
                raise InputError(source, f"MuJoCo could not compile the scene: {exc}") from exc
    cameras = {model.camera(i).name: i for i in range(model.ncam)}
    handles = _object_handles(model, stage)
    scene = LoadedScene(spec, model, handles, cameras, add_plane, notes)
    scene.importer_warnings.extend(warnings + compile_warnings)
    scene.joints.update(joint_handles(model, stage))
    return scene
