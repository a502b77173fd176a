"""Applying a sampled randomization to a MuJoCo model loaded from scene.usda (tools.sim)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import mujoco
import numpy as np

from tools.randomization.config import BundleConfig, DistractorConfig
from tools.randomization.errors import ModelMismatchError
from tools.randomization.layout import distractor_name
from tools.randomization.samples import (
    CameraSample,
    ColorSample,
    DistractorSample,
    EpisodeRandomization,
    FrameRandomization,
    JointSample,
    LightSample,
    PhysicsSample,
)
from tools.sim import LoadedScene, LoaderOptions, ObjectHandle, load_scene_model
from tools.sim.usd_layout import JOINTS_SCOPE

# tools.sim.usd_completion gives each distant light this diffuse colour at the stage's intensity.
NOMINAL_LIGHT_DIFFUSE = 0.6
_PARK_DEPTH_M = -50.0  # unused distractor slots wait far below the floor, weightless, not colliding
# Slots are compiled just below the floor: MuJoCo derives the model's extent (hence the
# cameras' near clipping plane, 1 % of it) from the compiled poses, so a slot compiled 50 m
# away would clip everything within 1 m of a camera.
_COMPILE_DEPTH_M = -1.0
_SHAPES = {
    "box": mujoco.mjtGeom.mjGEOM_BOX,
    "cylinder": mujoco.mjtGeom.mjGEOM_CYLINDER,
    "sphere": mujoco.mjtGeom.mjGEOM_SPHERE,
}


def add_distractor_slots(spec: mujoco.MjSpec, params: DistractorConfig) -> None:
    """Add `params.slots` parked free bodies that distractor samples are applied to.

    Call before compiling (`spec.compile()`); slot i has shape `params.shapes[i % len]`.

    Args:
        spec: the scene's spec (`LoadedScene.spec`), changed in place.
        params: the policy's distractor parameters.
    """
    for slot in range(params.slots):
        name = distractor_name(slot)
        body = spec.worldbody.add_body(name=name, pos=[0.0, 0.0, _COMPILE_DEPTH_M - 0.1 * slot])
        body.add_freejoint(name=f"{name}/joint")
        body.gravcomp = 1.0
        body.mass = 0.1
        body.inertia = [1e-4, 1e-4, 1e-4]
        # Centre of mass at the body origin: left undefined, MuJoCo 4 compiles it at the body's
        # compile-time offset from the world (below the placed primitive), and the implicit
        # integrators diverge.
        body.ipos = [0.0, 0.0, 0.0]
        body.iquat = [1.0, 0.0, 0.0, 0.0]
        body.explicitinertial = True
        size = params.size_m[1] / 2.0
        body.add_geom(
            name=f"{name}/geom",
            type=_SHAPES[params.shapes[slot % len(params.shapes)]],
            size=[size, size, size],
            contype=0,
            conaffinity=0,
            rgba=[0.5, 0.5, 0.5, 0.0],
        )


def load_randomizable_scene(
    usd_path: Path, config: BundleConfig, options: LoaderOptions | None = None
) -> LoadedScene:
    """Load `usd/scene.usda` into MuJoCo with the config's distractor slots compiled in.

    Args:
        usd_path: the scene stage.
        config: the policy config (its distractor slots are added).
        options: loader options.

    Returns:
        The loaded scene; its object handles stay valid (slots are appended bodies).

    Raises:
        InputError: the stage cannot be loaded (see `tools.sim.load_scene_model`).
    """
    scene = load_scene_model(usd_path, options)
    add_distractor_slots(scene.spec, config.randomizers.distractors)
    scene.model = scene.spec.compile()
    return scene


def _id(model: mujoco.MjModel, kind: mujoco.mjtObj, label: str, name: str) -> int:
    index = int(mujoco.mj_name2id(model, kind, name))
    if index < 0:
        raise ModelMismatchError(label, name)
    return index


def _set_free_pose(
    model: mujoco.MjModel, data: mujoco.MjData, body: int, pos: object, quat: object
) -> None:
    joint = int(model.body_jntadr[body])
    if joint < 0 or model.jnt_type[joint] != mujoco.mjtJoint.mjJNT_FREE:
        raise ModelMismatchError("free body", model.body(body).name)
    qpos, dof = int(model.jnt_qposadr[joint]), int(model.jnt_dofadr[joint])
    data.qpos[qpos : qpos + 3] = pos
    data.qpos[qpos + 3 : qpos + 7] = quat
    data.qvel[dof : dof + 6] = 0.0


def _object_geoms(model: mujoco.MjModel, prim_path: str) -> list[int]:
    prefix = prim_path + "/"
    return [
        g
        for g in range(model.ngeom)
        if model.geom(g).name.startswith(prefix)
        and (model.geom_contype[g] or model.geom_conaffinity[g])
    ]


def _apply_physics(model: mujoco.MjModel, sample: PhysicsSample, handle: ObjectHandle) -> None:
    if sample.mass_kg is not None and handle.dynamic:
        body = _id(model, mujoco.mjtObj.mjOBJ_BODY, "body", handle.prim_path)
        ratio = sample.mass_kg / float(model.body_mass[body])
        model.body_mass[body] = sample.mass_kg
        model.body_inertia[body] *= ratio
    for geom in _object_geoms(model, handle.prim_path):
        model.geom_friction[geom, 0] = sample.dynamic_friction


def _primitive_inertia(shape: str, size: tuple[float, float, float], mass: float) -> list[float]:
    x, y, z = size
    if shape == "box":
        return [
            mass / 12 * (y * y + z * z),
            mass / 12 * (x * x + z * z),
            mass / 12 * (x * x + y * y),
        ]
    r = x / 2.0
    if shape == "cylinder":
        side = mass * (3 * r * r + z * z) / 12
        return [side, side, mass * r * r / 2]
    return [0.4 * mass * r * r] * 3


def _apply_distractor(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    slot: int,
    sample: DistractorSample | None,
) -> None:
    name = distractor_name(slot)
    body = _id(model, mujoco.mjtObj.mjOBJ_BODY, "distractor slot", name)
    geom = _id(model, mujoco.mjtObj.mjOBJ_GEOM, "distractor slot", f"{name}/geom")
    if sample is None:
        model.geom_contype[geom] = model.geom_conaffinity[geom] = 0
        model.geom_rgba[geom, 3] = 0.0
        model.body_gravcomp[body] = 1.0
        _set_free_pose(model, data, body, [0.0, 0.0, _PARK_DEPTH_M - slot], [1.0, 0.0, 0.0, 0.0])
        return
    if model.geom_type[geom] != _SHAPES[sample.shape]:
        raise ModelMismatchError(f"{sample.shape} distractor slot", name)
    x, y, z = (s / 2.0 for s in sample.size_m)
    if sample.shape == "box":
        half, extent, bound = (x, y, z), (x, y, z), float(np.linalg.norm((x, y, z)))
    elif sample.shape == "cylinder":
        half, extent, bound = (x, z, 0.0), (x, x, z), float(np.hypot(x, z))
    else:
        half, extent, bound = (x, 0.0, 0.0), (x, x, x), x
    # Size, bounding sphere and box together: collision broad and narrow phases read all three.
    model.geom_size[geom] = half
    model.geom_aabb[geom] = [0.0, 0.0, 0.0, *extent]
    model.geom_rbound[geom] = bound
    model.geom_rgba[geom] = [*sample.rgb, 1.0]
    model.geom_contype[geom] = model.geom_conaffinity[geom] = 1
    model.geom_friction[geom, 0] = sample.friction
    model.body_gravcomp[body] = 0.0
    model.body_mass[body] = sample.mass_kg
    model.body_inertia[body] = _primitive_inertia(sample.shape, sample.size_m, sample.mass_kg)
    _set_free_pose(model, data, body, sample.pose.position, sample.pose.rotation_wxyz)


def _refresh_constants(model: mujoco.MjModel, data: mujoco.MjData) -> None:
    """Recompute mass-derived constants (mj_setConst) without losing the simulation state."""
    saved = (data.qpos.copy(), data.qvel.copy(), data.act.copy(), data.ctrl.copy(), data.time)
    mujoco.mj_setConst(model, data)
    data.qpos[:], data.qvel[:], data.act[:], data.ctrl[:] = saved[:4]
    data.time = saved[4]


def _distractor_slots(model: mujoco.MjModel) -> int:
    slots = 0
    while mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, distractor_name(slots)) >= 0:
        slots += 1
    return slots


def _apply_appearance(
    model: mujoco.MjModel,
    light: LightSample | None,
    colors: tuple[ColorSample, ...],
    camera: CameraSample | None,
) -> None:
    if light is not None:
        index = _id(model, mujoco.mjtObj.mjOBJ_LIGHT, "light", light.prim_path)
        model.light_dir[index] = light.direction
        scale = NOMINAL_LIGHT_DIFFUSE * light.relative_intensity
        model.light_diffuse[index] = np.asarray(light.rgb) * scale
    for color in colors:
        material = _id(model, mujoco.mjtObj.mjOBJ_MATERIAL, "material", color.material_path)
        model.mat_rgba[material, :3] = color.rgb
    if camera is not None:
        index = _id(model, mujoco.mjtObj.mjOBJ_CAMERA, "camera", camera.prim_path)
        model.cam_pos[index] = camera.pose.position
        model.cam_quat[index] = camera.pose.rotation_wxyz


def _apply_joints(
    samples: tuple[JointSample, ...],
    model: mujoco.MjModel,
    data: mujoco.MjData,
    name_map: Mapping[str, ObjectHandle],
) -> None:
    """Set each sampled joint's position (at rest) in a model loaded from the scene stage.

    Joint names are their prim paths (`<object prim>/Joints/<joint>`), as the USD importer
    names them; positions are clipped to the model's joint range.

    Raises:
        ModelMismatchError: a sampled joint is not in the model.
        KeyError: a sample names an object `name_map` lacks.
    """
    for sample in samples:
        name = f"{name_map[sample.object_id].prim_path}/{JOINTS_SCOPE}/{sample.joint}"
        joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if joint < 0:
            raise ModelMismatchError("joint", name)
        lo, hi = model.jnt_range[joint]
        data.qpos[model.jnt_qposadr[joint]] = float(np.clip(sample.position, lo, hi))
        data.qvel[model.jnt_dofadr[joint]] = 0.0


def apply_frame_to_mujoco(frame: FrameRandomization, model: mujoco.MjModel) -> None:
    """Set one frame's light, colours and camera (no state change, no mj_forward needed).

    Args:
        frame: values of the per-frame randomizers (`sample_frame_randomization`).
        model: the model (rendering reads these fields directly).

    Raises:
        ModelMismatchError: a light, camera or material is missing.
    """
    _apply_appearance(model, frame.light, frame.colors, frame.camera)


def apply_to_mujoco(
    randomization: EpisodeRandomization,
    model: mujoco.MjModel,
    data: mujoco.MjData,
    name_map: Mapping[str, ObjectHandle],
) -> None:
    """Set a randomization on a model loaded from the same scene.usda, then run mj_forward.

    Absolute values are written (masses, frictions, colours, poses), so applying episode
    after episode to one model never compounds. Inertia is scaled with the mass. Unused
    distractor slots are parked below the floor without collisions or gravity.

    Args:
        randomization: the sampled values.
        model: the compiled model (with distractor slots if the sample has distractors).
        data: its data; free-body poses are set and velocities zeroed.
        name_map: object id -> handle (`LoadedScene.objects`); bodies, geoms, materials,
            lights and cameras are found by name (prim paths), so ids may differ.

    Raises:
        ModelMismatchError: a body, slot, light, camera or material is missing.
        KeyError: the randomization names an object `name_map` lacks.
    """
    for physics in randomization.physics:
        _apply_physics(model, physics, name_map[physics.object_id])
    by_slot = {d.slot: d for d in randomization.distractors}
    slots = _distractor_slots(model)
    if by_slot and max(by_slot) >= slots:
        raise ModelMismatchError("distractor slot", distractor_name(max(by_slot)))
    for slot in range(slots):
        _apply_distractor(model, data, slot, by_slot.get(slot))
    _refresh_constants(model, data)
    for placement in randomization.placements:
        body = _id(model, mujoco.mjtObj.mjOBJ_BODY, "body", name_map[placement.object_id].prim_path)
        _set_free_pose(model, data, body, placement.pose.position, placement.pose.rotation_wxyz)
    for kept in randomization.kept_at_rest:  # back to rest, wherever an earlier sample put it
        body = _id(model, mujoco.mjtObj.mjOBJ_BODY, "body", name_map[kept.object_id].prim_path)
        _set_free_pose(model, data, body, kept.pose.position, kept.pose.rotation_wxyz)
    _apply_joints(randomization.joints, model, data, name_map)
    _apply_appearance(model, randomization.light, randomization.colors, randomization.camera)
    mujoco.mj_forward(model, data)
