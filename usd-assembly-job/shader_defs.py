"""Sdr definitions of the UsdPreviewSurface nodes, registered when the usd-core wheel lacks them.

usd-core 25.11's wheel ships no `shaderDefs.usda` for usdShaders (OpenUSD issue #3983), so
UsdValidation's ShaderSdrCompliance reports every UsdPreviewSurface, UsdUVTexture and
UsdPrimvarReader shader as unknown. The definitions below are written from the
UsdPreviewSurface specification (inputs, outputs and their types) and registered only when
the registry does not already know the node, so a wheel that ships them is used as is.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from pxr import Sdf, Sdr, Usd, UsdShade

from tools.usd_diagnostics import sdr_registry

_T = Sdf.ValueTypeNames
_SOURCE_TYPE = "glslfx"

# name -> (inputs, outputs, sdr role); types per the UsdPreviewSurface specification.
_NODES: dict[str, tuple[dict[str, Sdf.ValueTypeName], dict[str, Sdf.ValueTypeName], str]] = {
    "UsdPreviewSurface": (
        {
            "diffuseColor": _T.Color3f,
            "emissiveColor": _T.Color3f,
            "useSpecularWorkflow": _T.Int,
            "specularColor": _T.Color3f,
            "metallic": _T.Float,
            "roughness": _T.Float,
            "clearcoat": _T.Float,
            "clearcoatRoughness": _T.Float,
            "opacity": _T.Float,
            "opacityMode": _T.Token,
            "opacityThreshold": _T.Float,
            "ior": _T.Float,
            "normal": _T.Normal3f,
            "displacement": _T.Float,
            "occlusion": _T.Float,
        },
        {"surface": _T.Token, "displacement": _T.Token},
        "",
    ),
    "UsdUVTexture": (
        {
            "file": _T.Asset,
            "st": _T.Float2,
            "wrapS": _T.Token,
            "wrapT": _T.Token,
            "fallback": _T.Float4,
            "scale": _T.Float4,
            "bias": _T.Float4,
            "sourceColorSpace": _T.Token,
        },
        {"r": _T.Float, "g": _T.Float, "b": _T.Float, "a": _T.Float, "rgb": _T.Float3},
        "texture",
    ),
    "UsdPrimvarReader_float2": (
        {"varname": _T.String, "fallback": _T.Float2},
        {"result": _T.Float2},
        "primvar",
    ),
}


def _write_definitions(folder: Path) -> Usd.Stage:
    stage = Usd.Stage.CreateNew(str(folder / "preview_surface_defs.usda"))
    for name, (inputs, outputs, role) in _NODES.items():
        (folder / f"{name}.{_SOURCE_TYPE}").write_text("")  # the parser only needs it to resolve
        shader = UsdShade.Shader.Define(stage, f"/{name}")
        shader.SetSourceAsset(Sdf.AssetPath(f"./{name}.{_SOURCE_TYPE}"), _SOURCE_TYPE)
        for input_name, value_type in inputs.items():
            shader.CreateInput(input_name, value_type)
        for output_name, value_type in outputs.items():
            shader.CreateOutput(output_name, value_type)
        if role:
            shader.SetSdrMetadataByKey("role", role)
    stage.GetRootLayer().Save()
    return stage


def _registry() -> Sdr.Registry:
    """The Sdr registry; its first construction's complaint about the wheel's missing
    shaderDefs.usda is kept off the terminal (these definitions stand in for it)."""
    return sdr_registry()


@functools.cache
def ensure_preview_surface_definitions() -> tuple[str, ...]:
    """Register the UsdPreviewSurface node definitions the Sdr registry is missing.

    Returns:
        The names registered by this call (empty when the registry already had them all).
    """
    registry = _registry()
    known = set(registry.GetShaderNodeIdentifiers())
    missing = [name for name in _NODES if name not in known]
    if not missing:
        return ()
    with tempfile.TemporaryDirectory(prefix="bp-shader-defs-") as tmp:
        stage = _write_definitions(Path(tmp))
        layer = stage.GetRootLayer().identifier
        for name in missing:
            shader = UsdShade.Shader(stage.GetPrimAtPath(f"/{name}"))
            for result in UsdShade.ShaderDefUtils.GetDiscoveryResults(shader, layer):
                registry.AddDiscoveryResult(result)
            registry.GetShaderNodeByIdentifier(name)  # parse now, while the files exist
        del stage
    return tuple(missing)
