"""Checks of a scene stage: UsdValidation, and its UsdPhysics parse against the manifest."""

from __future__ import annotations

from typing import Any

from pxr import Usd, UsdPhysics, UsdValidation

from tools.scene_manifest import SceneManifest
from tools.sim import usd_layout as layout
from tools.steps import Check
from usd_assembly_job.articulation_usd import articulated_shape
from usd_assembly_job.physics_usd import is_dynamic
from usd_assembly_job.shader_defs import ensure_preview_surface_definitions

MASS_RELATIVE_TOLERANCE = 1e-5  # USD stores mass as float32
FRICTION_TOLERANCE = 1e-5


def run_usd_validation(stages: dict[str, Usd.Stage]) -> Check:
    """Run every registered UsdValidation validator on each stage.

    Args:
        stages: label -> stage; the scene stage composes its assets, and asset stages are
            checked on their own too (layer metadata is checked per root layer).

    Returns:
        ok when no error is reported; warnings are counted and listed but allowed.
    """
    added = ensure_preview_surface_definitions()
    registry = UsdValidation.ValidationRegistry()
    names = [m.name for m in registry.GetAllValidatorMetadata() if not m.isSuite]
    validators = registry.GetOrLoadValidatorsByName(names)
    context = UsdValidation.ValidationContext(validators)
    kinds = {
        UsdValidation.ValidationErrorType.Error: "error",
        UsdValidation.ValidationErrorType.Warn: "warning",
    }
    lines: list[str] = []
    counts = {"error": 0, "warning": 0, "info": 0}
    for label, stage in stages.items():
        for error in context.Validate(stage):
            key = kinds.get(error.GetType(), "info")
            counts[key] += 1
            sites = [str(s.GetPrim().GetPath()) for s in error.GetSites() if s.IsPrim()][:3]
            lines.append(f"{label}: {key}: {error.GetName()}: {error.GetMessage()} {sites}")
    figures: dict[str, Any] = {"validators": len(validators), "stages": len(stages), **counts}
    figures["sdr_definitions_added"] = list(added)
    return Check(
        name="usd_validation",
        ok=counts["error"] == 0,
        detail=f"{len(validators)} validators on {len(stages)} stages: "
        f"{counts['error']} errors, {counts['warning']} warnings",
        figures=figures,
        problems=tuple(lines),
    )


def object_prims(stage: Usd.Stage) -> dict[str, str]:
    """Object id -> prim path, read from the customData of `/World/Objects/*`.

    Args:
        stage: the scene stage.

    Returns:
        The map (empty if the stage has no objects scope).
    """
    root = stage.GetPrimAtPath(layout.OBJECTS_PATH)
    found: dict[str, str] = {}
    for prim in root.GetChildren() if root else []:
        object_id = prim.GetCustomDataByKey(layout.OBJECT_ID_KEY)
        if isinstance(object_id, str):
            found[object_id] = str(prim.GetPath())
    return found


def _parsed(stage: Usd.Stage) -> dict[Any, list[tuple[str, Any]]]:
    result = UsdPhysics.LoadUsdPhysicsFromRange(stage, [layout.WORLD_PATH])
    return {
        kind: [(str(p), d) for p, d in zip(paths, descs, strict=True)]
        for kind, (paths, descs) in result.items()
    }


def _shape_kinds() -> set[Any]:
    kinds = UsdPhysics.ObjectType
    names = (
        *("MeshShape", "CubeShape", "SphereShape", "CapsuleShape", "CylinderShape"),
        *("ConeShape", "PlaneShape", "CustomShape", "SpherePointsShape"),
    )
    return {getattr(kinds, n) for n in names if hasattr(kinds, n)}


def check_physics_parse(stage: Usd.Stage, manifest: SceneManifest) -> Check:
    """Parse the stage like PhysX does and compare bodies, colliders, materials, masses.

    Args:
        stage: the scene stage.
        manifest: the manifest the stage was built from.

    Returns:
        ok when the parse finds exactly the manifest's rigid bodies (with their masses) and
        exactly each object's hulls, on the right body, with the object's physics material.
    """
    problems: list[str] = []
    prims = object_prims(stage)
    parsed = _parsed(stage)
    bodies = {path for path, _ in parsed.get(UsdPhysics.ObjectType.RigidBody, [])}
    materials = dict(parsed.get(UsdPhysics.ObjectType.RigidBodyMaterial, []))
    shapes = [item for kind in _shape_kinds() for item in parsed.get(kind, [])]
    expected_bodies = {prims[o.id] for o in manifest.objects if o.id in prims and is_dynamic(o)}
    articulated = {
        o.id: shape
        for o in manifest.objects
        if o.id in prims and (shape := articulated_shape(o, prims[o.id])) is not None
    }
    expected_bodies.update(b for shape in articulated.values() for b in shape.bodies)
    problems += [f"object {o.id} has no prim" for o in manifest.objects if o.id not in prims]
    problems += [f"rigid body {p} missing" for p in sorted(expected_bodies - bodies)]
    problems += [f"unexpected rigid body {p}" for p in sorted(bodies - expected_bodies)]
    max_mass_error = 0.0
    claimed: set[str] = set()
    for obj in manifest.objects:
        path = prims.get(obj.id)
        if path is None:
            continue
        if is_dynamic(obj) and obj.physics is not None and path in bodies:
            mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(path)).GetMassAttr().Get() or 0.0
            error = abs(mass - obj.physics.mass_kg) / obj.physics.mass_kg
            max_mass_error = max(max_mass_error, error)
            if error > MASS_RELATIVE_TOLERANCE:
                problems.append(f"{obj.id}: mass {mass} != manifest {obj.physics.mass_kg}")
        mine = [(p, d) for p, d in shapes if p.startswith(path + "/")]
        claimed.update(p for p, _ in mine)
        parts = articulated.get(obj.id)
        count = len(obj.asset.collision_paths) if parts is None else parts.colliders
        if len(mine) != count:
            problems.append(f"{obj.id}: {len(mine)} colliders, manifest has {count}")
        owner = path if is_dynamic(obj) else ""
        for shape_path, desc in mine:
            if parts is not None:
                owner = parts.owner(shape_path)
            body = "" if desc.rigidBody.isEmpty else str(desc.rigidBody)
            if body != owner:
                problems.append(f"{shape_path}: on body '{body}', expected '{owner}'")
            bound = [str(m) for m in desc.materials]
            if len(bound) != 1 or bound[0] not in materials:
                problems.append(f"{shape_path}: physics materials {bound}, expected one")
            elif obj.physics is not None:
                mat = materials[bound[0]]
                wanted = (obj.physics.static_friction, obj.physics.dynamic_friction)
                got = (mat.staticFriction, mat.dynamicFriction)
                if any(abs(a - b) > FRICTION_TOLERANCE for a, b in zip(got, wanted, strict=True)):
                    problems.append(f"{shape_path}: friction {got} != manifest {wanted}")
    claimed.update(p for p, _ in shapes if p.startswith(layout.ROOM_PATH + "/"))
    problems += [f"collider {p} belongs to no object" for p, _ in shapes if p not in claimed]
    scenes = len(parsed.get(UsdPhysics.ObjectType.Scene, []))
    if scenes != 1:
        problems.append(f"{scenes} physics scenes, expected 1")
    figures = {
        "rigid_bodies_expected": len(expected_bodies),
        "rigid_bodies_found": len(bodies),
        "colliders_expected": sum(
            len(o.asset.collision_paths) if o.id not in articulated else articulated[o.id].colliders
            for o in manifest.objects
        ),
        "colliders_found": len(shapes),
        "physics_materials": len(materials),
        "max_mass_relative_error": max_mass_error,
    }
    detail = (
        f"{len(bodies)}/{len(expected_bodies)} bodies, "
        f"{len(shapes)}/{figures['colliders_expected']} colliders"
    )
    return Check("physics_parse", not problems, detail, figures, tuple(problems))
