"""Check that the files a manifest names are there and are the bytes it recorded."""

from __future__ import annotations

from pathlib import Path

from tools.errors import InputError
from tools.provenance import sha256_file
from tools.scene_manifest.models import SceneManifest

_HINT = "rerun the regen3d step (with --force) to rebuild the assets and the manifest"


def asset_problems(scene_dir: Path, manifest: SceneManifest) -> list[tuple[str, str]]:
    """(mesh path, problem) for every object whose mesh is missing or differs from its sha256."""
    problems = []
    for obj in manifest.objects:
        path = scene_dir / obj.asset.mesh_path
        if not path.is_file():
            problems.append((obj.asset.mesh_path, f"mesh of object {obj.id} is missing"))
        elif sha256_file(path) != obj.asset.sha256:
            problems.append(
                (obj.asset.mesh_path, f"mesh of object {obj.id} differs from the manifest's sha256")
            )
    return problems


def verify_asset_files(scene_dir: Path, manifest: SceneManifest) -> None:
    """Refuse a scene whose manifest names a mesh it lacks or whose bytes changed.

    Raises:
        InputError: naming the first such file (and how many more there are): a file the
            manifest names and the scene lacks, or edited behind its back, is a broken scene.
    """
    problems = asset_problems(scene_dir, manifest)
    if problems:
        path, problem = problems[0]
        more = f" (+{len(problems) - 1} more: {', '.join(p for p, _ in problems[1:4])})"
        raise InputError(path, problem + (more if len(problems) > 1 else ""), hint=_HINT)
