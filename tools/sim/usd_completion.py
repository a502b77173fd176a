"""Completion of the MjSpec that mujoco-usd's importer returns: what it does not carry over."""

# What `mujoco.MjSpec.from_file` (mujoco[usd] 4.0.0) carries over from a UsdPhysics stage:
# rigid bodies (free joints, poses), MassAPI (mass, centre of mass, diagonal inertia,
# principal axes), static and dynamic colliders (mesh hulls, scaled), PhysicsScene gravity,
# and visual meshes with normals, UVs and UsdPreviewSurface colours/textures.
# What it does not, completed here: friction/restitution of materials bound with purpose
# `physics` (it reads all-purpose bindings only), cameras and lights, safe mesh inertia modes,
# hidden collision geoms, and a ground plane when the room has no floor.

from __future__ import annotations

import math

import mujoco
import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdShade

from tools.sim import usd_layout as layout
from tools.sim.rolling_friction import apply_rolling_friction

EARTH_GRAVITY_M_S2 = 9.81
_FLOOR_TOLERANCE_M = 0.02
_FLOOR_MIN_EXTENT_M = 0.5
_MAX_RESTITUTION = 0.95
# Lowest contact damping ratio. MuJoCo's soft contact cannot tell an impact from resting
# contact, so a bouncy ratio keeps resting objects chattering: with plastic's 0.35 restitution
# (ratio 0.32) tape rolls, bins and bottles dropped 1 cm on a workbench still moved at
# 1.5-1.9 cm/s 2 s later, in a limit cycle; at 0.7 and above every one was still. 0.7 allows a
# restitution of about 0.05: impacts hardly bounce, which tabletop objects barely do anyway.
MIN_CONTACT_DAMPING_RATIO = 0.7


def damping_ratio_for_restitution(restitution: float) -> float:
    """Damping ratio of a linear spring-damper whose impact has this restitution coefficient.

    Args:
        restitution: coefficient of restitution in [0, 1] (clipped to 0.95).

    Returns:
        zeta in (0, 1]; 1 (critical damping, MuJoCo's default) for restitution 0.
    """
    e = min(max(restitution, 0.0), _MAX_RESTITUTION)
    if e <= 0.0:
        return 1.0
    log_e = math.log(e)
    return -log_e / math.sqrt(math.pi**2 + log_e**2)


def contact_damping_ratio(restitution: float) -> float:
    """The contact damping ratio (solref[1]) of a material: its restitution's
    (`damping_ratio_for_restitution`), no lower than `MIN_CONTACT_DAMPING_RATIO`."""
    return max(MIN_CONTACT_DAMPING_RATIO, damping_ratio_for_restitution(restitution))


def set_gravity(spec: mujoco.MjSpec, stage: Usd.Stage) -> None:
    """Gravity from the stage's PhysicsScene, resolving USD's unauthored sentinels to Earth's.

    Args:
        spec: the imported spec, changed in place.
        stage: the scene stage.
    """
    gravity = np.array([0.0, 0.0, -EARTH_GRAVITY_M_S2])
    for prim in stage.Traverse():
        if prim.IsA(UsdPhysics.Scene):
            scene = UsdPhysics.Scene(prim)
            direction = np.array(scene.GetGravityDirectionAttr().Get() or (0, 0, 0), dtype=float)
            magnitude = scene.GetGravityMagnitudeAttr().Get()
            if not np.any(direction):
                direction = np.array([0.0, 0.0, -1.0])
            if magnitude is None or not math.isfinite(magnitude) or magnitude < 0:
                magnitude = EARTH_GRAVITY_M_S2
            gravity = direction / np.linalg.norm(direction) * magnitude
            break
    spec.option.gravity = gravity


def _physics_material(prim: Usd.Prim) -> UsdPhysics.MaterialAPI | None:
    material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial(layout.PHYSICS_PURPOSE)
    if material and material.GetPrim().HasAPI(UsdPhysics.MaterialAPI):
        return UsdPhysics.MaterialAPI(material.GetPrim())
    return None


def complete_geoms(
    spec: mujoco.MjSpec,
    stage: Usd.Stage,
    collision_group: int,
    contact_timeconst: float,
    notes: list[str],
) -> None:
    """Contact properties of collision geoms and inertia modes of every mesh.

    Collision geoms move to `collision_group`, take sliding friction = dynamicFriction of
    their physics-purpose material, a contact damping ratio from its restitution
    (`contact_damping_ratio`: floored, so resting objects settle) and the
    rolling/torsional friction the material records (`rolling_friction`); meshes
    get inertia modes that cannot fail: shell for (possibly open) visual meshes, convex for
    hulls. Bodies keep their explicit MassAPI inertia either way.

    Args:
        spec: the imported spec, changed in place.
        stage: the stage it was imported from (geom names are prim paths).
        collision_group: geom group for collision geoms.
        contact_timeconst: contact spring time constant (solref[0]) in seconds.
        notes: receives a line per property saying on how many geoms it was set.
    """
    with_material = with_rolling = 0
    for geom in spec.geoms:
        prim = stage.GetPrimAtPath(geom.name) if geom.name.startswith("/") else Usd.Prim()
        colliding = bool(prim) and prim.HasAPI(UsdPhysics.CollisionAPI)
        mesh = spec.mesh(geom.meshname) if geom.type == mujoco.mjtGeom.mjGEOM_MESH else None
        if not colliding:
            if mesh is not None:
                mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL
            continue
        geom.group = collision_group
        if mesh is not None:
            mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_CONVEX
        material = _physics_material(prim)
        if material is None:
            continue
        with_material += 1
        geom.friction[0] = float(material.GetDynamicFrictionAttr().Get() or 0.0)
        restitution = float(material.GetRestitutionAttr().Get() or 0.0)
        geom.solref = [contact_timeconst, contact_damping_ratio(restitution)]
        with_rolling += apply_rolling_friction(geom, material.GetPrim())
    notes.append(f"friction/restitution from physics-purpose materials on {with_material} geoms")
    notes.append(f"rolling/torsional friction (condim 6) on {with_rolling} geoms")


def _world_pose(prim: Usd.Prim, cache: UsdGeom.XformCache) -> tuple[list[float], list[float]]:
    matrix = Gf.Matrix4d(cache.GetLocalToWorldTransform(prim))
    position = matrix.ExtractTranslation()
    quat = matrix.RemoveScaleShear().ExtractRotationQuat()
    imaginary = quat.GetImaginary()
    return list(position), [quat.GetReal(), imaginary[0], imaginary[1], imaginary[2]]


def add_cameras_and_lights(spec: mujoco.MjSpec, stage: Usd.Stage, notes: list[str]) -> None:
    """World cameras for UsdGeom.Camera prims (fovy, resolution) and lights for DistantLights.

    Args:
        spec: the imported spec, changed in place (names are prim paths).
        stage: the scene stage.
        notes: receives one line saying what was added.
    """
    cache = UsdGeom.XformCache()
    cameras = lights = 0
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Camera):
            camera = UsdGeom.Camera(prim)
            pos, quat = _world_pose(prim, cache)
            focal = camera.GetFocalLengthAttr().Get()
            vertical = camera.GetVerticalApertureAttr().Get()
            fovy = math.degrees(2.0 * math.atan2(vertical / 2.0, focal))
            added = spec.worldbody.add_camera(name=str(prim.GetPath()), pos=pos, quat=quat)
            added.fovy = fovy
            size = prim.GetCustomDataByKey(layout.IMAGE_SIZE_KEY)
            if size is not None:
                added.resolution = [float(size[0]), float(size[1])]
            cameras += 1
        elif prim.IsA(UsdLux.DistantLight):
            matrix = cache.GetLocalToWorldTransform(prim)
            direction = matrix.TransformDir(Gf.Vec3d(0.0, 0.0, -1.0)).GetNormalized()
            light = spec.worldbody.add_light(name=str(prim.GetPath()))
            light.type = mujoco.mjtLightType.mjLIGHT_DIRECTIONAL
            light.dir = list(direction)
            light.pos = [0.0, 0.0, 3.0]
            light.diffuse = [0.6, 0.6, 0.6]
            light.castshadow = False
            lights += 1
    notes.append(f"added {cameras} cameras and {lights} distant lights")


def _static_colliders(stage: Usd.Stage) -> list[Usd.Prim]:
    """Mesh and cube colliders under /World with no rigid body above them."""
    found: list[Usd.Prim] = []
    world = stage.GetPrimAtPath(layout.WORLD_PATH)
    if not world:
        return found
    prims = iter(Usd.PrimRange(world))
    for prim in prims:
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            prims.PruneChildren()  # its colliders move with it
            continue
        shape = prim.IsA(UsdGeom.Mesh) or prim.IsA(UsdGeom.Cube)
        if shape and prim.HasAPI(UsdPhysics.CollisionAPI):
            found.append(prim)
    return found


def has_floor(stage: Usd.Stage) -> bool:
    """Whether a static collider's top lies at z = 0 over at least 0.5 m x 0.5 m."""
    return bool(floor_colliders(stage))


def floor_colliders(stage: Usd.Stage) -> list[str]:
    """Paths of the static colliders whose top lies at z = 0 over at least 0.5 m x 0.5 m.

    Walks the stage instead of `UsdPhysics.LoadUsdPhysicsFromRange`, whose multithreaded
    collider parsing can corrupt the heap in usd-core 25.11 (see usd_assembly_job's
    isolated_parse); a static collider is a mesh or cube with CollisionAPI and no
    RigidBodyAPI on it or above it.

    Args:
        stage: the scene stage.

    Returns:
        The floor colliders' prim paths, in stage order (empty: the stage has no floor).
    """
    purposes = [UsdGeom.Tokens.default_, UsdGeom.Tokens.guide, UsdGeom.Tokens.render]
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), purposes, useExtentsHint=False)
    found: list[str] = []
    for prim in _static_colliders(stage):
        box = cache.ComputeWorldBound(prim).ComputeAlignedRange()
        size = box.GetSize()
        top = box.GetMax()[2]
        if abs(top) <= _FLOOR_TOLERANCE_M and min(size[0], size[1]) >= _FLOOR_MIN_EXTENT_M:
            found.append(str(prim.GetPath()))
    return found
