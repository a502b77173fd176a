"""UsdPhysics authoring: physics scene, rigid bodies with mass properties, physics materials."""

from __future__ import annotations

from pxr import Gf, Usd, UsdPhysics, UsdShade

from tools.scene_manifest import Physics, SceneObject, SimRole
from tools.sim import usd_layout as layout

GRAVITY_M_S2 = 9.81
DYNAMIC_ROLES = frozenset({SimRole.MANIPULABLE, SimRole.DISTRACTOR})
# Used only for colliders whose object has no physics block (e.g. a room simready left bare).
DEFAULT_STATIC_FRICTION = 0.8
DEFAULT_DYNAMIC_FRICTION = 0.6
DEFAULT_RESTITUTION = 0.0


def is_dynamic(obj: SceneObject) -> bool:
    """Whether the object is a free rigid body (manipulable or distractor)."""
    return obj.sim_role in DYNAMIC_ROLES


def define_physics_scene(stage: Usd.Stage) -> UsdPhysics.Scene:
    """Define `/World/PhysicsScene` with Earth gravity along -Z.

    Args:
        stage: the scene stage.

    Returns:
        The physics scene schema object.
    """
    scene = UsdPhysics.Scene.Define(stage, layout.PHYSICS_SCENE_PATH)
    scene.CreateGravityDirectionAttr(Gf.Vec3f(0.0, 0.0, -1.0))
    scene.CreateGravityMagnitudeAttr(GRAVITY_M_S2)
    return scene


def apply_rigid_body(prim: Usd.Prim, obj: SceneObject) -> None:
    """Make `prim` (unscaled: translate + orient only) a rigid body with the object's mass.

    The centre of mass is given in the asset frame; the body frame differs from it only by the
    object's scale, which is applied to it. Inertia and principal axes are taken as the physical
    values of the placed (scaled) object.

    Args:
        prim: the object's prim in the scene stage.
        obj: the manifest object; must have physics.

    Raises:
        ValueError: the object has no physics block.
    """
    if obj.physics is None:
        raise ValueError(f"object {obj.id} has no physics")
    physics = obj.physics
    UsdPhysics.RigidBodyAPI.Apply(prim)
    mass = UsdPhysics.MassAPI.Apply(prim)
    mass.CreateMassAttr(physics.mass_kg)
    com = [c * s for c, s in zip(physics.center_of_mass, obj.transform.scale, strict=True)]
    mass.CreateCenterOfMassAttr(Gf.Vec3f(*com))
    mass.CreateDiagonalInertiaAttr(Gf.Vec3f(*physics.inertia_diagonal))
    w, x, y, z = physics.principal_axes_wxyz
    mass.CreatePrincipalAxesAttr(Gf.Quatf(w, Gf.Vec3f(x, y, z)))


def define_physics_material(
    stage: Usd.Stage, path: str, physics: Physics | None
) -> UsdShade.Material:
    """Define a UsdShade material carrying UsdPhysics.MaterialAPI friction and restitution.

    Args:
        stage: the scene stage.
        path: prim path of the material.
        physics: the object's physics (None: documented defaults).

    Returns:
        The material.
    """
    material = UsdShade.Material.Define(stage, path)
    api = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
    if physics is None:
        api.CreateStaticFrictionAttr(DEFAULT_STATIC_FRICTION)
        api.CreateDynamicFrictionAttr(DEFAULT_DYNAMIC_FRICTION)
        api.CreateRestitutionAttr(DEFAULT_RESTITUTION)
    else:
        api.CreateStaticFrictionAttr(physics.static_friction)
        api.CreateDynamicFrictionAttr(physics.dynamic_friction)
        api.CreateRestitutionAttr(physics.restitution)
        material.GetPrim().SetCustomDataByKey(layout.MATERIAL_CLASS_KEY, physics.material)
    return material


def bind_physics_material(collider: Usd.Prim, material: UsdShade.Material) -> None:
    """Bind `material` to a collider prim with purpose `physics` (what PhysX reads).

    Args:
        collider: a prim with CollisionAPI (may live in a referenced layer; the binding is
            authored as an override in the edit target).
        material: the physics material.
    """
    UsdShade.MaterialBindingAPI.Apply(collider).Bind(
        material, UsdShade.Tokens.weakerThanDescendants, layout.PHYSICS_PURPOSE
    )


def collider_prims(object_prim: Usd.Prim) -> list[Usd.Prim]:
    """Every prim with CollisionAPI below an object prim, in stage order.

    Args:
        object_prim: `/World/Objects/<name>`.

    Returns:
        The collider prims.
    """
    return [
        p
        for p in Usd.PrimRange(object_prim, Usd.TraverseInstanceProxies())
        if p.HasAPI(UsdPhysics.CollisionAPI)
    ]
