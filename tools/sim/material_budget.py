"""Keep a scene within MuJoCo's renderer limit of materials (1,000 per model).

Reconstructed objects each come with their own base-colour texture, so a scene of more than
about 1,000 objects cannot be rendered at all (`mjr_makeContext` aborts). Beyond the budget,
the smallest objects are imported with a flat colour instead of their material: the mean of
their texture times the texture's scale (or the material's diffuse colour). What a camera
sees of a few-centimetre object barely changes, and physics is untouched (the physics
materials are bound separately, on the collision hulls).

The scene file is never modified: the importer reads a temporary overlay layer that has the
scene as its sublayer and, for those objects only, blocks the visual material binding and
sets `displayColor` (which the importer turns into the geom colour). MuJoCo's importer makes
materials only for bound ones, so this costs one small file instead of deleting elements
from the spec (each `MjSpec.delete` walks the whole spec).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, Vt

RENDER_MATERIAL_LIMIT = 1000  # mjMAXMATERIAL of MuJoCo's OpenGL renderer
# Left for what is added after loading: the robot's and the randomizers' materials.
RESERVED_MATERIALS = 100
SCENE_MATERIAL_BUDGET = RENDER_MATERIAL_LIMIT - RESERVED_MATERIALS
_DEFAULT_DIFFUSE = (0.18, 0.18, 0.18)  # UsdPreviewSurface's default diffuseColor


@dataclass(frozen=True)
class _Binding:
    """A gprim bound to a visual material."""

    prim: Usd.Prim
    material: UsdShade.Material


def _visual_bindings(stage: Usd.Stage) -> list[_Binding]:
    bindings = []
    for prim in stage.Traverse():
        if not prim.IsA(UsdGeom.Gprim) or not prim.HasAPI(UsdShade.MaterialBindingAPI):
            continue
        material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
        if material:
            bindings.append(_Binding(prim, material))
    return bindings


def _material_sizes(bindings: list[_Binding]) -> dict[Sdf.Path, float]:
    """Each material's largest bound gprim (world bounding-box diagonal, metres)."""
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])
    size: dict[Sdf.Path, float] = {}
    for binding in bindings:
        extent = cache.ComputeWorldBound(binding.prim).ComputeAlignedRange().GetSize()
        key = binding.material.GetPath()
        size[key] = max(size.get(key, 0.0), float(np.linalg.norm(np.asarray(extent))))
    return size


def _texture_mean(shader: UsdShade.Shader) -> np.ndarray | None:
    """Mean RGB in [0, 1] of a UsdUVTexture's image times its scale, or None if unreadable."""
    file_input = shader.GetInput("file")
    asset = file_input.Get() if file_input else None
    path = getattr(asset, "resolvedPath", "") if asset is not None else ""
    if not path:
        return None
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    except (OSError, UnidentifiedImageError):
        return None
    mean = pixels.reshape(-1, 3).mean(axis=0) / 255.0
    scale_input = shader.GetInput("scale")
    scale = scale_input.Get() if scale_input else None
    if scale is not None:
        mean = mean * np.asarray(scale, dtype=np.float64)[:3]
    return np.asarray(mean, dtype=np.float64)


def flat_colour(material: UsdShade.Material) -> tuple[float, float, float]:
    """The colour a material amounts to from afar: its texture's mean, or its diffuse colour.

    Args:
        material: a UsdPreviewSurface material.

    Returns:
        Linear RGB in [0, 1].
    """
    surface = material.ComputeSurfaceSource()[0]
    diffuse = surface.GetInput("diffuseColor") if surface else None
    if diffuse is None:
        return _DEFAULT_DIFFUSE
    if diffuse.HasConnectedSource():
        source = diffuse.GetConnectedSource()[0]
        mean = _texture_mean(UsdShade.Shader(source.GetPrim()))
        if mean is not None:
            clipped = np.clip(mean, 0.0, 1.0)
            return float(clipped[0]), float(clipped[1]), float(clipped[2])
        return _DEFAULT_DIFFUSE
    value = diffuse.Get()
    if value is None:
        return _DEFAULT_DIFFUSE
    return float(value[0]), float(value[1]), float(value[2])


def _write_overlay(path: Path, scene: Path, flattened: list[_Binding]) -> None:
    layer = Sdf.Layer.CreateNew(str(path))
    layer.subLayerPaths.append(str(scene.resolve()))
    overlay = Usd.Stage.Open(layer)
    colours: dict[Sdf.Path, tuple[float, float, float]] = {}
    for binding in flattened:
        key = binding.material.GetPath()
        if key not in colours:
            colours[key] = flat_colour(binding.material)
        prim = overlay.OverridePrim(binding.prim.GetPath())
        UsdShade.MaterialBindingAPI(prim).GetDirectBindingRel().SetTargets([])
        UsdGeom.Gprim(prim).CreateDisplayColorAttr(Vt.Vec3fArray([Gf.Vec3f(*colours[key])]))
    layer.Save()


@contextlib.contextmanager
def importable_scene(
    stage: Usd.Stage, scene: Path, notes: list[str], budget: int = SCENE_MATERIAL_BUDGET
) -> Iterator[Path]:
    """The file to hand MuJoCo's importer: `scene` itself, or an overlay within the budget.

    Materials are ranked by the largest gprim bound to them (ties by path, so the choice is
    deterministic); the gprims of those beyond the budget get their flat colour instead.
    The overlay lives in a temporary folder until the context ends (keep the import and the
    compile inside it).

    Args:
        stage: the opened scene stage.
        scene: its file.
        notes: a line is appended when anything was flattened.
        budget: how many visual materials may remain.

    Yields:
        The path to import.
    """
    bindings = _visual_bindings(stage)
    if len({b.material.GetPath() for b in bindings}) <= budget:
        yield scene  # the common case: no bounding boxes computed on the loading path
        return
    size = _material_sizes(bindings)
    ranked = sorted(size, key=lambda p: (-size[p], str(p)))
    dropped = set(ranked[budget:])
    flattened = [b for b in bindings if b.material.GetPath() in dropped]
    largest = max(size[p] for p in dropped)
    notes.append(
        f"{len(dropped)} materials of objects up to {largest * 100:.0f} cm across shown in their "
        f"mean texture colour (MuJoCo renders at most {RENDER_MATERIAL_LIMIT} materials)"
    )
    with tempfile.TemporaryDirectory(prefix="bp-material-budget-") as folder:
        overlay = Path(folder) / "scene_overlay.usda"
        _write_overlay(overlay, scene, flattened)
        yield overlay
