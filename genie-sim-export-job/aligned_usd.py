"""`Aligned.usd` of one object: the asset USD re-centred, scaled 1.0, with its physics."""

# Genie Sim's layout reads the raw points of every Mesh prim of this file (ignoring transforms)
# and places an object by the centre of its box, so the points are baked into a frame whose
# origin is the centre of the visual mesh's box. The server references the default prim at
# `/World/Objects/<object_id>` and sets rigid body and mass on it.


from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics, UsdShade, Vt

from genie_sim_export_job.scene_geometry import FloatArray
from genie_sim_export_job.usd_files import copy_layer, copy_relative_assets
from tools.errors import InputError
from tools.scene_manifest import Physics

PHYSICS_MATERIAL = "PhysicsMaterial"
PHYSICS_PURPOSE = "physics"


@dataclass(frozen=True)
class AlignedPhysics:
    """What the asset carries as a body: mass properties (None: static) and surface material."""

    mass_kg: float
    dynamic: bool
    physics: Physics | None


def _bake_meshes(stage: Usd.Stage, root: Usd.Prim, scale: FloatArray, offset: FloatArray) -> int:
    cache = UsdGeom.XformCache()
    linear = np.diag(scale)
    meshes = 0
    for prim in Usd.PrimRange(root):
        if not prim.IsA(UsdGeom.Mesh):
            continue
        mesh = UsdGeom.Mesh(prim)
        matrix = np.array(cache.GetLocalToWorldTransform(prim), dtype=np.float64).T
        points = np.asarray(mesh.GetPointsAttr().Get() or [], dtype=np.float64).reshape(-1, 3)
        moved = (points @ matrix[:3, :3].T + matrix[:3, 3]) @ linear - offset
        mesh.GetPointsAttr().Set(Vt.Vec3fArray.FromNumpy(moved.astype(np.float32)))
        if len(moved):
            low, high = moved.min(axis=0), moved.max(axis=0)
            mesh.GetExtentAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*low), Gf.Vec3f(*high)]))
        normals_attr = mesh.GetNormalsAttr()
        normals = normals_attr.Get()
        if normals:
            inverse = np.linalg.inv(linear @ matrix[:3, :3]).T
            n = np.asarray(normals, dtype=np.float64).reshape(-1, 3) @ inverse.T
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
            normals_attr.Set(Vt.Vec3fArray.FromNumpy(n.astype(np.float32)))
        meshes += 1
    for prim in Usd.PrimRange(root):
        if prim.IsA(UsdGeom.Xformable):
            UsdGeom.Xformable(prim).ClearXformOpOrder()
    return meshes


def _bind_physics_material(stage: Usd.Stage, root: Usd.Prim, physics: Physics) -> None:
    material = UsdShade.Material.Define(stage, root.GetPath().AppendChild(PHYSICS_MATERIAL))
    api = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
    api.CreateStaticFrictionAttr(physics.static_friction)
    api.CreateDynamicFrictionAttr(physics.dynamic_friction)
    api.CreateRestitutionAttr(physics.restitution)
    for prim in Usd.PrimRange(root):
        if prim.HasAPI(UsdPhysics.CollisionAPI):
            binding = UsdShade.MaterialBindingAPI.Apply(prim)
            binding.Bind(material, UsdShade.Tokens.weakerThanDescendants, PHYSICS_PURPOSE)


def _apply_body(
    root: Usd.Prim, body: AlignedPhysics, scale: FloatArray, offset: FloatArray
) -> None:
    if not body.dynamic:
        return
    UsdPhysics.RigidBodyAPI.Apply(root)
    mass = UsdPhysics.MassAPI.Apply(root)
    mass.CreateMassAttr(body.mass_kg)
    if body.physics is not None:
        com = np.asarray(body.physics.center_of_mass) * scale - offset
        mass.CreateCenterOfMassAttr(Gf.Vec3f(*com.astype(float)))
        mass.CreateDiagonalInertiaAttr(Gf.Vec3f(*body.physics.inertia_diagonal))
        w, x, y, z = body.physics.principal_axes_wxyz
        mass.CreatePrincipalAxesAttr(Gf.Quatf(w, x, y, z))


def write_aligned_usd(
    source: Path,
    dest: Path,
    *,
    scale: FloatArray,
    offset: FloatArray,
    body: AlignedPhysics,
    object_id: str,
) -> int:
    """Write `dest` (Aligned.usd) from a per-object asset USD.

    Args:
        source: the asset USD (visual meshes, materials, convex hull colliders).
        dest: the Aligned.usd to write (ASCII crate-free `usda` content).
        scale: the manifest's per-axis scale, baked into the points.
        offset: the (scaled) asset-frame point that becomes the origin.
        body: mass properties and material.
        object_id: manifest id, recorded in the layer's customLayerData.

    Returns:
        The number of meshes written.

    Raises:
        InputError: the source is unreadable, has no default prim, no mesh, or composition.
    """
    layer = copy_layer(source, dest)
    if layer.GetCompositionAssetDependencies():
        raise InputError(str(source), "asset USD composes other files; expected one layer")
    stage = Usd.Stage.Open(layer)
    root = stage.GetDefaultPrim()
    if not root:
        raise InputError(str(source), "asset USD has no default prim")
    meshes = _bake_meshes(stage, root, np.asarray(scale, dtype=np.float64), offset)
    if meshes == 0:
        raise InputError(str(source), "asset USD has no mesh")
    _apply_body(root, body, np.asarray(scale, dtype=np.float64), offset)
    if body.physics is not None:
        _bind_physics_material(stage, root, body.physics)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    layer.customLayerData = {"blueprint": {"objectId": object_id, "frame": "box-centre"}}
    copy_relative_assets(layer, source.parent, dest.parent)
    layer.Save()
    return meshes
