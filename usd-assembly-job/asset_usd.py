"""Per-object asset USD: the GLB's visual meshes with materials, the convex hulls as colliders."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics, UsdShade

from tools.errors import InputError
from tools.mesh_files import load_textured_meshes
from tools.provenance import sha256_file
from tools.scene_manifest import SceneObject
from tools.sim import usd_layout as layout
from usd_assembly_job.usd_files import define_mesh, new_stage

TEXTURES_DIR = "textures"
# Each hull is already convex (simready decomposed the object), so every hull prim gets
# `convexHull`: PhysX and MuJoCo then collide with exactly these shapes. `convexDecomposition`
# would make PhysX decompose each convex piece again.
HULL_APPROXIMATION = UsdPhysics.Tokens.convexHull
_DEFAULT_RGB = (0.7, 0.7, 0.7)


@dataclass(frozen=True)
class AssetSummary:
    """What was written for one object."""

    usd_path: str
    visual_meshes: int
    textured_meshes: int
    hulls: int


def load_visual_meshes(path: Path, source: str) -> list[trimesh.Trimesh]:
    """The visual meshes of an asset file, duplicate vertices merged (as the USD always had)."""
    return load_textured_meshes(path, source, process=True)


def load_hull(path: Path, source: str) -> tuple[np.ndarray, np.ndarray]:
    """A hull OBJ written by simready: its vertices and triangles exactly as stored."""
    if not path.is_file():
        raise InputError(source, "collision hull missing (did simready run?)")
    try:
        # The OBJ parser alone: no scene graph, no vertex merging (the hull is already clean).
        with path.open("r", encoding="ascii") as handle:
            loaded = trimesh.exchange.obj.load_obj(handle, maintain_order=True, skip_materials=True)
        (geometry,) = loaded["geometry"].values()
        vertices = np.asarray(geometry["vertices"], dtype=np.float64)
        faces = np.asarray(geometry["faces"], dtype=np.int64)
    except Exception as exc:  # trimesh raises many types for unreadable files
        raise InputError(source, f"unreadable hull ({type(exc).__name__})") from exc
    if len(faces) < 4 or faces.ndim != 2 or faces.shape[1] != 3:
        raise InputError(source, "hull has fewer than 4 triangles")
    if not np.isfinite(vertices).all() or faces.min() < 0 or faces.max() >= len(vertices):
        raise InputError(source, "hull has non-finite vertices or faces out of range")
    return vertices, faces


@dataclass(frozen=True)
class _Look:
    """Base-colour texture (if any), base colour factor, metallic and roughness of a mesh."""

    image: Image.Image | None
    rgb: tuple[float, float, float]
    metallic: float = 0.0
    roughness: float = 0.5


def _rgb(color: object, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """An 8-bit RGB(A) colour as floats in [0, 1]."""
    if color is None:
        return default
    values = np.asarray(color, dtype=np.float64).reshape(-1)[:3] / 255.0
    return float(values[0]), float(values[1]), float(values[2])


def _look(mesh: trimesh.Trimesh) -> _Look:
    visual = mesh.visual
    if isinstance(visual, trimesh.visual.TextureVisuals) and visual.material is not None:
        material = visual.material
        if isinstance(material, trimesh.visual.material.PBRMaterial):
            metallic, roughness = material.metallicFactor, material.roughnessFactor
            return _Look(
                material.baseColorTexture,
                _rgb(material.baseColorFactor, (1.0, 1.0, 1.0)),
                0.0 if metallic is None else float(metallic),
                0.5 if roughness is None else float(roughness),
            )
        image = getattr(material, "image", None)
        return _Look(image, _rgb(getattr(material, "diffuse", None), (1.0, 1.0, 1.0)))
    if isinstance(visual, trimesh.visual.ColorVisuals) and visual.kind is not None:
        mean = np.asarray(visual.vertex_colors, dtype=np.float64)[:, :3].mean(axis=0)
        return _Look(None, _rgb(mean, _DEFAULT_RGB))
    return _Look(None, _DEFAULT_RGB)


def _define_material(
    stage: Usd.Stage, path: str, look: _Look, texture_file: str | None
) -> UsdShade.Material:
    """A UsdPreviewSurface; diffuseColor is the texture (times the colour factor) or the colour."""
    material = UsdShade.Material.Define(stage, path)
    surface = UsdShade.Shader.Define(stage, f"{path}/PreviewSurface")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(look.metallic)
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(look.roughness)
    diffuse = surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f)
    if texture_file is None:
        diffuse.Set(Gf.Vec3f(*look.rgb))
    else:
        reader = UsdShade.Shader.Define(stage, f"{path}/StReader")
        reader.CreateIdAttr("UsdPrimvarReader_float2")
        reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
        reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
        texture = UsdShade.Shader.Define(stage, f"{path}/BaseColorTexture")
        texture.CreateIdAttr("UsdUVTexture")
        texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(texture_file))
        texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
        texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
            reader.ConnectableAPI(), "result"
        )
        texture.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*look.rgb, 1.0))
        texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
        diffuse.ConnectToSource(texture.ConnectableAPI(), "rgb")
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    return material


def write_visual(
    stage: Usd.Stage, root: str, index: int, mesh: trimesh.Trimesh, asset_dir: Path
) -> bool:
    """Author one visual mesh and its material; returns whether it is textured."""
    look = _look(mesh)
    image = look.image
    uv = getattr(mesh.visual, "uv", None)
    textured = image is not None and uv is not None and len(uv) == len(mesh.vertices)
    name = f"mesh_{index}"
    usd_mesh = define_mesh(
        stage,
        f"{root}/{layout.VISUAL_SCOPE}/{name}",
        np.asarray(mesh.vertices),
        np.asarray(mesh.faces),
        normals=np.asarray(mesh.vertex_normals),
        uv=np.asarray(uv) if textured else None,
    )
    usd_mesh.CreateDisplayColorAttr([Gf.Vec3f(*look.rgb)])
    texture_file = None
    if textured:
        assert image is not None
        relative = posixpath.join(TEXTURES_DIR, f"{name}_basecolor.png")
        (asset_dir / TEXTURES_DIR).mkdir(parents=True, exist_ok=True)
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
        image.convert(mode).save(asset_dir / relative, format="PNG")
        texture_file = f"./{relative}"
    material = _define_material(stage, f"{root}/{layout.LOOKS_SCOPE}/{name}", look, texture_file)
    UsdShade.MaterialBindingAPI.Apply(usd_mesh.GetPrim()).Bind(material)
    return textured


def write_hull(
    stage: Usd.Stage, root: str, index: int, hull: tuple[np.ndarray, np.ndarray]
) -> None:
    path = f"{root}/{layout.COLLISION_SCOPE}/{layout.HULL_PRIM_TEMPLATE.format(index=index)}"
    mesh = define_mesh(stage, path, *hull)
    mesh.CreatePurposeAttr(UsdGeom.Tokens.guide)  # not rendered; PhysX and MuJoCo collide with it
    UsdPhysics.CollisionAPI.Apply(mesh.GetPrim())
    UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr(HULL_APPROXIMATION)


def write_object_asset(scene_dir: Path, obj: SceneObject) -> AssetSummary:
    """Convert one object's mesh and hulls into `assets/<id>/<id>.usda` (asset frame, metres).

    Args:
        scene_dir: the scene folder.
        obj: the manifest object (its mesh must match its sha256).

    Returns:
        What was written.

    Raises:
        InputError: the mesh or a hull is missing, unreadable or changed since the manifest.
    """
    mesh_path = scene_dir / obj.asset.mesh_path
    if not mesh_path.is_file():
        raise InputError(obj.asset.mesh_path, f"mesh of object {obj.id} missing")
    if sha256_file(mesh_path) != obj.asset.sha256:
        raise InputError(obj.asset.mesh_path, f"sha256 differs from the manifest ({obj.id})")
    visuals = load_visual_meshes(mesh_path, obj.asset.mesh_path)
    hulls = [load_hull(scene_dir / p, p) for p in obj.asset.collision_paths]
    usd_rel = layout.asset_usd_path(obj.id)
    asset_dir = (scene_dir / usd_rel).parent
    root = f"/{layout.prim_name(obj.id)}"
    textured = 0
    with new_stage(scene_dir / usd_rel) as stage:
        root_prim = UsdGeom.Xform.Define(stage, root).GetPrim()
        stage.SetDefaultPrim(root_prim)
        root_prim.SetCustomDataByKey(layout.OBJECT_ID_KEY, obj.id)
        UsdGeom.Scope.Define(stage, f"{root}/{layout.VISUAL_SCOPE}")
        UsdGeom.Scope.Define(stage, f"{root}/{layout.LOOKS_SCOPE}")
        UsdGeom.Scope.Define(stage, f"{root}/{layout.COLLISION_SCOPE}")
        for index, mesh in enumerate(visuals):
            textured += write_visual(stage, root, index, mesh, asset_dir)
        for index, hull in enumerate(hulls):
            write_hull(stage, root, index, hull)
    return AssetSummary(usd_rel, len(visuals), textured, len(hulls))
