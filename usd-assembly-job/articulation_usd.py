"""Articulated objects in USD: one asset prim per part, rigid links and UsdPhysics joints.

The asset USD holds `/<object>/Parts/<part>/{Visual,Collision,Looks}`. In the scene stage the
part prims (reached through the asset reference) become rigid bodies with their own mass; the
body part carries `ArticulationRootAPI` and is welded to the world by a `FixedJoint` without
body0 (a fixed-base articulation for PhysX; MuJoCo's importer makes it a jointless body); every
door or drawer hangs from it by a `RevoluteJoint` or `PrismaticJoint` whose frame maps the joint
X axis onto the manifest's axis, with limits and a drive: a damper, and a spring (stiffness
and targetPosition) where the manifest gives a counterbalance. Dry friction has no UsdPhysics
attribute: it is authored as PhysX's per-axis joint friction (tools/sim/usd_joints), which Isaac
Sim reads and the MuJoCo loader applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from tools.scene_manifest import ArticulatedPart, ArticulationJoint, SceneObject
from tools.sim import usd_layout as layout
from tools.sim.usd_joints import author_physx_friction
from usd_assembly_job.asset_usd import (
    AssetSummary,
    load_hull,
    load_visual_meshes,
    write_hull,
    write_visual,
)
from usd_assembly_job.usd_files import new_stage

_X = np.array([1.0, 0.0, 0.0])


def part_path(object_root: str, part: str) -> str:
    """Path of a part's prim below an object's root (asset or scene)."""
    return f"{object_root}/{layout.PARTS_SCOPE}/{part}"


def write_articulated_asset(scene_dir: Path, obj: SceneObject) -> AssetSummary:
    """Write `assets/<id>/<id>.usda` with one prim per part (visuals, materials, colliders).

    Args:
        scene_dir: the scene folder.
        obj: a manifest object with an articulation.

    Returns:
        What was written.

    Raises:
        InputError: a part mesh or collider is missing or unreadable.
    """
    assert obj.articulation is not None
    usd_rel = layout.asset_usd_path(obj.id)
    asset_dir = (scene_dir / usd_rel).parent
    root = f"/{layout.prim_name(obj.id)}"
    visuals = textured = hulls = 0
    with new_stage(scene_dir / usd_rel) as stage:
        root_prim = UsdGeom.Xform.Define(stage, root).GetPrim()
        stage.SetDefaultPrim(root_prim)
        root_prim.SetCustomDataByKey(layout.OBJECT_ID_KEY, obj.id)
        UsdGeom.Scope.Define(stage, f"{root}/{layout.PARTS_SCOPE}")
        for part in obj.articulation.parts:
            base = part_path(root, part.name)
            prim = UsdGeom.Xform.Define(stage, base).GetPrim()
            prim.SetCustomDataByKey(layout.PART_KIND_KEY, part.kind)
            for scope in (layout.VISUAL_SCOPE, layout.LOOKS_SCOPE, layout.COLLISION_SCOPE):
                UsdGeom.Scope.Define(stage, f"{base}/{scope}")
            for mesh in load_visual_meshes(scene_dir / part.mesh_path, part.mesh_path):
                textured += write_visual(stage, base, visuals, mesh, asset_dir)
                visuals += 1
            for k, path in enumerate(part.collision_paths):
                write_hull(stage, base, k, load_hull(scene_dir / path, path))
                hulls += 1
    return AssetSummary(usd_rel, visuals, textured, hulls)


def _box_inertia(part: ArticulatedPart) -> tuple[Gf.Vec3f, Gf.Vec3f]:
    """Centre and diagonal inertia of a solid box filling the part's bounds, with its mass."""
    lo, hi = np.array(part.bounds_min), np.array(part.bounds_max)
    size = hi - lo
    m = part.mass_kg
    inertia = [m / 12.0 * (size[1] ** 2 + size[2] ** 2), m / 12.0 * (size[0] ** 2 + size[2] ** 2)]
    inertia.append(m / 12.0 * (size[0] ** 2 + size[1] ** 2))
    return Gf.Vec3f(*((lo + hi) / 2)), Gf.Vec3f(*inertia)


def _joint_rotation(axis: tuple[float, float, float]) -> Gf.Quatf:
    """The rotation taking the joint frame's X axis onto `axis`."""
    rotation = Gf.Rotation(Gf.Vec3d(*_X), Gf.Vec3d(*axis)).GetQuat()
    imaginary = rotation.GetImaginary()
    return Gf.Quatf(rotation.GetReal(), Gf.Vec3f(*imaginary))


def _define_joint(
    stage: Usd.Stage, path: str, joint: ArticulationJoint, parts_root: str
) -> Usd.Prim:
    revolute = joint.type == "revolute"
    schema = (
        UsdPhysics.RevoluteJoint.Define(stage, path)
        if revolute
        else UsdPhysics.PrismaticJoint.Define(stage, path)
    )
    schema.CreateBody0Rel().SetTargets([f"{parts_root}/{joint.parent_part}"])
    schema.CreateBody1Rel().SetTargets([f"{parts_root}/{joint.child_part}"])
    schema.CreateAxisAttr(UsdPhysics.Tokens.x)
    origin = Gf.Vec3f(*joint.origin)
    rotation = _joint_rotation(joint.axis)
    schema.CreateLocalPos0Attr(origin)
    schema.CreateLocalPos1Attr(origin)
    schema.CreateLocalRot0Attr(rotation)
    schema.CreateLocalRot1Attr(rotation)
    scale = math.degrees(1.0) if revolute else 1.0  # UsdPhysics: degrees for revolute limits
    schema.CreateLowerLimitAttr(joint.lower * scale)
    schema.CreateUpperLimitAttr(joint.upper * scale)
    drive = UsdPhysics.DriveAPI.Apply(
        schema.GetPrim(), UsdPhysics.Tokens.angular if revolute else UsdPhysics.Tokens.linear
    )
    drive.CreateTypeAttr(UsdPhysics.Tokens.force)
    # Per degree for angular drives, as UsdPhysics states angles in degrees: a damper, and the
    # counterbalance spring (stiffness towards targetPosition) where the part's weight turns it.
    drive.CreateStiffnessAttr(joint.spring.stiffness / scale if joint.spring else 0.0)
    if joint.spring is not None:
        drive.CreateTargetPositionAttr(joint.spring.rest * scale)
    drive.CreateDampingAttr(joint.damping / scale)
    drive.CreateTargetVelocityAttr(0.0)
    prim = schema.GetPrim()
    author_physx_friction(prim, joint.friction)
    prim.SetCustomDataByKey(layout.JOINT_DAMPING_KEY, joint.damping)
    if joint.hinge_side is not None:
        prim.SetCustomDataByKey(layout.HINGE_SIDE_KEY, joint.hinge_side)
    return prim


def define_articulation(stage: Usd.Stage, object_path: str, obj: SceneObject) -> int:
    """Make an articulated object's part prims rigid links joined by its joints.

    Args:
        stage: the scene stage (the object's asset already referenced).
        object_path: `/World/Objects/<name>`.
        obj: the manifest object with its articulation.

    Returns:
        The number of rigid bodies authored.
    """
    assert obj.articulation is not None
    parts_root = f"{object_path}/{layout.ASSET_CHILD}/{layout.PARTS_SCOPE}"
    for part in obj.articulation.parts:
        prim = stage.OverridePrim(f"{parts_root}/{part.name}")
        UsdPhysics.RigidBodyAPI.Apply(prim)
        mass = UsdPhysics.MassAPI.Apply(prim)
        mass.CreateMassAttr(part.mass_kg)
        centre, inertia = _box_inertia(part)
        mass.CreateCenterOfMassAttr(centre)
        mass.CreateDiagonalInertiaAttr(inertia)
        mass.CreatePrincipalAxesAttr(Gf.Quatf(1.0))
        if part.kind == "body":
            UsdPhysics.ArticulationRootAPI.Apply(prim)
    joints_root = f"{object_path}/{layout.JOINTS_SCOPE}"
    UsdGeom.Scope.Define(stage, joints_root)
    anchor = UsdPhysics.FixedJoint.Define(stage, f"{joints_root}/{layout.ANCHOR_JOINT}")
    anchor.CreateBody1Rel().SetTargets([f"{parts_root}/{obj.articulation.body.name}"])
    # body0 is the world: its frame is the body's pose, so the weld holds it where it stands.
    w, x, y, z = obj.transform.rotation_wxyz
    anchor.CreateLocalPos0Attr(Gf.Vec3f(*obj.transform.position))
    anchor.CreateLocalRot0Attr(Gf.Quatf(w, x, y, z))
    for joint in obj.articulation.joints:
        _define_joint(stage, f"{joints_root}/{joint.name}", joint, parts_root)
    return len(obj.articulation.parts)


@dataclass(frozen=True)
class ArticulatedShape:
    """What the stage must hold for one articulated object."""

    bodies: frozenset[str]
    colliders: int

    def owner(self, shape_path: str) -> str:
        """The part body a collider below the object belongs to ('' if none)."""
        return next((b for b in self.bodies if shape_path.startswith(b + "/")), "")


def articulated_shape(obj: SceneObject, object_path: str) -> ArticulatedShape | None:
    """The rigid part prims and collider count of an articulated object (None if not one).

    Args:
        obj: the manifest object.
        object_path: its prim in the scene stage.

    Returns:
        Its expectations, or None for an object without articulation.
    """
    if obj.articulation is None:
        return None
    root = f"{object_path}/{layout.ASSET_CHILD}/{layout.PARTS_SCOPE}"
    bodies = frozenset(f"{root}/{p.name}" for p in obj.articulation.parts)
    return ArticulatedShape(bodies, sum(len(p.collision_paths) for p in obj.articulation.parts))
