"""Object meshes in their asset frame and their upright world boxes, measured in the Z-up frame."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import trimesh
from numpy.typing import NDArray

from tools.errors import InputError
from tools.rotations import quat_to_matrix
from tools.scene_manifest import SceneManifest, SceneObject, SimRole
from tools.tasks.geometry import ObjectBox

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ObjectGeometry:
    """One object's visual mesh and where it is.

    Attributes:
        object_id: manifest id.
        mesh: the visual mesh in the asset frame with the manifest's scale applied (metres).
        rotation: world rotation of the asset frame (3x3).
        translation: world position of the asset frame origin.
        yaw: heading of the asset frame's x axis about world z, radians.
        centre: centre of the upright world box.
        half_extents: half sizes of that box along its own x, y (turned by `yaw`) and world z.
    """

    object_id: str
    mesh: trimesh.Trimesh
    rotation: FloatArray
    translation: FloatArray
    yaw: float
    centre: FloatArray
    half_extents: FloatArray

    @cached_property
    def box(self) -> ObjectBox:
        """The upright world box as the tasks' engine-neutral `ObjectBox` (one box geometry)."""
        c, h = self.centre, self.half_extents
        return ObjectBox(
            self.object_id,
            (float(c[0]), float(c[1]), float(c[2])),
            (float(h[0]), float(h[1]), float(h[2])),
            self.yaw,
        )

    @property
    def top(self) -> float:
        """Height of the box's top face."""
        return self.box.top

    @property
    def bottom(self) -> float:
        """Height of the box's bottom face."""
        return self.box.bottom

    @property
    def local_centre(self) -> FloatArray:
        """Centre of the mesh's axis-aligned box in the (scaled) asset frame."""
        low, high = self.mesh.bounds
        return np.asarray((low + high) / 2.0, dtype=np.float64)

    def local_xy(self, point: Iterable[float]) -> FloatArray:
        """A world point's (x, y) in this box's frame, relative to its centre."""
        return self.box.local_xy([float(v) for v in point])

    def contains_xy(self, point: Iterable[float], margin: float = 0.0) -> bool:
        """Whether a world point's (x, y) lies in the footprint shrunk by `margin`."""
        return self.box.contains_xy([float(v) for v in point], margin)


def load_visual_mesh(path: Path, source: str) -> trimesh.Trimesh:
    """All triangles of a mesh file as one mesh (GLB node transforms applied).

    Raises:
        InputError: unreadable or without triangles.
    """
    try:
        mesh = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # trimesh raises many types for unreadable files
        raise InputError(source, f"unreadable mesh ({type(exc).__name__})") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise InputError(source, "contains no triangles")
    return mesh


def object_geometry(scene_dir: Path, obj: SceneObject) -> ObjectGeometry:
    """Load an object's mesh and measure its upright world box.

    Args:
        scene_dir: the scene folder.
        obj: the manifest object.

    Returns:
        Its geometry.

    Raises:
        InputError: the mesh is missing or unreadable.
    """
    source = obj.asset.mesh_path
    path = scene_dir / source
    if not path.is_file():
        raise InputError(source, "mesh file missing")
    mesh = load_visual_mesh(path, source)
    mesh = trimesh.Trimesh(
        mesh.vertices * np.asarray(obj.transform.scale), mesh.faces, process=False
    )
    rotation = quat_to_matrix(obj.transform.rotation_wxyz)
    translation = np.asarray(obj.transform.position, dtype=np.float64)
    yaw = math.atan2(rotation[1, 0], rotation[0, 0])
    world = mesh.vertices @ rotation.T + translation
    c, s = math.cos(yaw), math.sin(yaw)
    to_box = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    boxed = world @ to_box.T
    low, high = boxed.min(axis=0), boxed.max(axis=0)
    centre = to_box.T @ ((low + high) / 2.0)
    return ObjectGeometry(obj.id, mesh, rotation, translation, yaw, centre, (high - low) / 2.0)


def scene_geometry(scene_dir: Path, manifest: SceneManifest) -> dict[str, ObjectGeometry]:
    """Geometry of every object but the room shell, by id."""
    return {
        o.id: object_geometry(scene_dir, o)
        for o in manifest.objects
        if o.sim_role is not SimRole.BACKGROUND
    }
