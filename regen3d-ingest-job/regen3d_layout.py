"""The 3D-RE-GEN working tree and the ingest's own output names: every path in one place."""

from __future__ import annotations

import posixpath

from tools.scene_layout import REGEN3D_DIR

SOURCE_NAME = "3d-re-gen"
TOOL_NAME = "regen3d_ingest"
TOOL_VERSION = "1.0.0"

# Relative to <scene_dir>/regen3d/ (3D-RE-GEN's working folder, commit 9a6275f).
POSED_GLB_DIR = "output/glb"
CANONICAL_GLB_DIR = "output/3D"
CAMERA_NPZ = "output/pre_3D/camera.npz"
FLOOR_PLANE_PLY = "output/pointclouds/PLANE_SAMPLED.ply"
ROOM_GLB = "output/pointclouds/meshed/ground_aligned.glb"
GLB_SUFFIX = ".glb"

ROOM_SOURCE_ID = "ground_aligned"
ROOM_OBJECT_ID = "room"

# Written by the ingest, relative to the scene directory.
ASSET_MESH_NAME = "mesh.glb"
STAGING_PREFIX = ".regen3d-staging-"

# Input size limits: anything larger is refused before it is parsed.
MAX_GLB_BYTES = 512 * 1024 * 1024
MAX_NPZ_BYTES = 16 * 1024 * 1024
MAX_PLY_BYTES = 256 * 1024 * 1024


def posed_glb(source_id: str) -> str:
    """Path of an object's posed mesh (scene frame), relative to the 3D-RE-GEN folder."""
    return posixpath.join(POSED_GLB_DIR, source_id + GLB_SUFFIX)


def canonical_glb(source_id: str) -> str:
    """Path of an object's normalised mesh (Hunyuan3D frame), relative to the 3D-RE-GEN folder."""
    return posixpath.join(CANONICAL_GLB_DIR, source_id, source_id + GLB_SUFFIX)


def input_key(relative: str) -> str:
    """A 3D-RE-GEN path as named in errors and provenance (relative to the scene directory)."""
    return posixpath.join(REGEN3D_DIR, relative)
