"""Writes the ingest's outputs: assets staged privately, moved into place, manifest last."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from regen3d_ingest_job import regen3d_layout as layout
from tools.errors import InputError
from tools.scene_layout import ASSETS_DIR, MANIFEST_PATH, asset_dir
from tools.scene_manifest import SceneManifest, is_safe_id, save_manifest


class AssetStaging:
    """Owns a staging folder inside the scene directory until `commit` or `close`.

    Nothing outside the scene directory is touched; nothing is visible under `assets/` until
    `commit`, which removes the old manifest, swaps each object folder in with a rename and
    writes the new manifest last (atomically). `close` is safe to call twice.
    """

    def __init__(self, scene_dir: Path) -> None:
        self.scene_dir = scene_dir
        assets = scene_dir / ASSETS_DIR
        if assets.is_symlink() or (assets.exists() and not assets.is_dir()):
            raise InputError(ASSETS_DIR, "is not a plain directory (refused: writes stay inside)")
        _remove_stale_staging(scene_dir)
        self.root: Path | None = Path(tempfile.mkdtemp(prefix=layout.STAGING_PREFIX, dir=scene_dir))
        self._written: list[str] = []

    def __enter__(self) -> AssetStaging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def write_mesh(self, object_id: str, data: bytes) -> tuple[str, str]:
        """Stage an object's mesh.

        Args:
            object_id: a safe object id.
            data: the GLB bytes.

        Returns:
            The mesh path relative to the scene directory, and its sha256.
        """
        root = self._require_open()
        if not is_safe_id(object_id):
            raise ValueError(f"internal: unsafe object id {object_id!r}")
        relative = f"{asset_dir(object_id)}/{layout.ASSET_MESH_NAME}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=False)
        with open(target, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        self._written.append(object_id)
        return relative, hashlib.sha256(data).hexdigest()

    def commit(self, manifest: SceneManifest) -> None:
        """Move every staged object folder into `assets/`, then write the manifest.

        Args:
            manifest: the validated manifest referencing the staged meshes.
        """
        root = self._require_open()
        (self.scene_dir / MANIFEST_PATH).unlink(missing_ok=True)
        assets = self.scene_dir / ASSETS_DIR
        assets.mkdir(exist_ok=True)
        retired = root / "retired"
        retired.mkdir()
        for object_id in self._written:
            final = self.scene_dir / asset_dir(object_id)
            if final.is_symlink() or final.exists():
                os.rename(final, retired / object_id)
            os.rename(root / asset_dir(object_id), final)
        save_manifest(self.scene_dir, manifest)
        self.close()

    def close(self) -> None:
        """Delete the staging folder (and the asset folders `commit` replaced)."""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _require_open(self) -> Path:
        if self.root is None:
            raise RuntimeError("staging is closed")
        return self.root


def _remove_stale_staging(scene_dir: Path) -> None:
    """Staging folders a killed run left behind (one ingest runs per scene at a time)."""
    for entry in scene_dir.iterdir():
        stale = entry.name.startswith(layout.STAGING_PREFIX)
        if stale and not entry.is_symlink() and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
