"""The background scene USD: `usd/scene.usda` without what Genie Sim brings or places itself."""

# Genie Sim references the background's default prim at `/World`, defines its own physics scene,
# adds its robot and cameras, and adds every task object at `/World/Objects/<object_id>`. So the
# background keeps the room, the furniture and objects no task lays out, and drops the physics
# scene, the camera, the robot pedestal and every exported object. The per-object asset USDs it
# references are copied beside it, so the export folder is self-contained.


from __future__ import annotations

import posixpath
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

from pxr import Sdf

from genie_sim_export_job.usd_files import copy_layer, copy_relative_assets, safe_relative
from tools.errors import InputError
from tools.sim import usd_layout as layout

ASSETS_SUBDIR = "assets"
_DROPPED = (layout.PHYSICS_SCENE_PATH, layout.CAMERA_PATH, layout.ROBOT_BASE_PATH)


@dataclass(frozen=True)
class BackgroundSummary:
    """What the background holds."""

    kept_objects: tuple[str, ...]
    dropped_objects: tuple[str, ...]
    referenced_files: int


def _object_id(spec: Sdf.PrimSpec) -> str | None:
    data = spec.customData.get("blueprint")
    value = data.get("objectId") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def write_background(scene_usd: Path, dest: Path, exported: Set[str]) -> BackgroundSummary:
    """Write the background USD.

    Args:
        scene_usd: `usd/scene.usda` of the scene.
        dest: the background USD to write (its folder receives `assets/`).
        exported: ids of the objects exported as Genie Sim assets (removed here).

    Returns:
        What was kept and dropped.

    Raises:
        InputError: the scene USD is missing or unreadable, or references files outside the
            scene.
    """
    if not scene_usd.is_file():
        raise InputError(str(scene_usd), "missing (did the usd step run?)")
    layer = copy_layer(scene_usd, dest)
    for path in _DROPPED:
        spec = layer.GetPrimAtPath(path)
        if spec is not None:
            del spec.nameParent.nameChildren[spec.name]
    kept: list[str] = []
    dropped: list[str] = []
    objects = layer.GetPrimAtPath(layout.OBJECTS_PATH)
    for child in list(objects.nameChildren) if objects is not None else []:
        object_id = _object_id(child)
        if object_id is not None and object_id in exported:
            dropped.append(object_id)
            del objects.nameChildren[child.name]
        elif object_id is not None:
            kept.append(object_id)
    scene_dir = scene_usd.parent.parent
    copied = 0
    for dependency in sorted(layer.GetCompositionAssetDependencies()):
        resolved = (scene_usd.parent / dependency).resolve()
        try:
            inside = resolved.relative_to(scene_dir.resolve()).as_posix()
        except ValueError:
            raise InputError(
                str(scene_usd), f"references {dependency!r} outside the scene"
            ) from None
        new_path = posixpath.join(ASSETS_SUBDIR, *safe_relative(inside, str(scene_usd)).parts[1:])
        target = dest.parent / new_path
        asset_layer = copy_layer(resolved, target)
        if asset_layer.GetCompositionAssetDependencies():
            raise InputError(str(resolved), "asset USD composes other files; expected one layer")
        asset_layer.Save()
        copied += 1 + copy_relative_assets(asset_layer, resolved.parent, target.parent)
        layer.UpdateCompositionAssetDependency(dependency, f"./{new_path}")
    layer.Save()
    copied += copy_relative_assets(layer, scene_usd.parent, dest.parent)
    return BackgroundSummary(tuple(sorted(kept)), tuple(sorted(dropped)), copied)
