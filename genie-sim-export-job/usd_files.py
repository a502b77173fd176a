"""USD file helpers of the export: copy a layer elsewhere and bring its relative files along."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from pxr import Sdf

from tools.errors import InputError


def copy_layer(source: Path, dest: Path) -> Sdf.Layer:
    """A new ASCII layer at `dest` with the content of `source` (paths inside left as written).

    Raises:
        InputError: the source cannot be read.
    """
    src = Sdf.Layer.FindOrOpen(str(source))
    if src is None:
        raise InputError(str(source), "unreadable USD (did the usd step run?)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    layer = Sdf.Layer.CreateNew(str(dest), args={"format": "usda"})
    layer.TransferContent(src)
    return layer


def safe_relative(path: str, source: str) -> PurePosixPath:
    """A relative POSIX path that stays inside its folder.

    Raises:
        InputError: an absolute path or one with '..'.
    """
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise InputError(source, f"path {path!r} leaves its folder")
    return rel


def copy_relative_assets(layer: Sdf.Layer, source_dir: Path, dest_dir: Path) -> int:
    """Copy the files a layer's own asset attributes name by relative path (textures).

    Args:
        layer: the layer (already written under `dest_dir`); referenced layers are not read.
        source_dir: the folder the paths were relative to.
        dest_dir: the folder they are relative to now.

    Returns:
        The number of files copied.

    Raises:
        InputError: a path leaves its folder or names a missing file.
    """
    paths: list[Sdf.Path] = []
    layer.Traverse(Sdf.Path.absoluteRootPath, paths.append)
    copied = 0
    for path in paths:
        spec = layer.GetAttributeAtPath(path) if path.IsPropertyPath() else None
        if spec is None or spec.typeName != Sdf.ValueTypeNames.Asset:
            continue
        value = spec.default
        if not isinstance(value, Sdf.AssetPath) or not value.path:
            continue
        rel = safe_relative(value.path, str(source_dir))
        src = source_dir / rel
        if not src.is_file():
            raise InputError(str(src), "file named by the USD is missing")
        target = dest_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        copied += 1
    return copied
