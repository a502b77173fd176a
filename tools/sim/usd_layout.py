"""Prim layout of `usd/scene.usda` and of per-object asset USDs: every path and key in one place."""

from __future__ import annotations

import posixpath
import re
from typing import Final

from tools.scene_layout import asset_dir

# The scene stage (usd/scene.usda).
WORLD_PATH: Final = "/World"
PHYSICS_SCENE_PATH: Final = "/World/PhysicsScene"
OBJECTS_PATH: Final = "/World/Objects"
PHYSICS_MATERIALS_PATH: Final = "/World/PhysicsMaterials"
CAMERA_PATH: Final = "/World/Camera"
ROBOT_BASE_PATH: Final = "/World/RobotBase"
LIGHTS_PATH: Final = "/World/Lights"
# The room's own colliders (today: the floor, when the room mesh gives none at z = 0).
ROOM_PATH: Final = "/World/Room"
FLOOR_COLLIDER_PATH: Final = "/World/Room/FloorCollider"

# Under /World/Objects/<prim>: the asset reference sits on a child that carries the scale, so
# the rigid body frame (translate + orient only) and its mass properties are never scaled.
ASSET_CHILD: Final = "Asset"

# Inside a per-object asset USD (assets/<id>/<id>.usda), below its default prim `/<prim name>`.
VISUAL_SCOPE: Final = "Visual"
COLLISION_SCOPE: Final = "Collision"
LOOKS_SCOPE: Final = "Looks"
HULL_PRIM_TEMPLATE: Final = "hull_{index}"
# Articulated objects: one prim per part under the asset's PARTS_SCOPE (each with the scopes
# above), joints under JOINTS_SCOPE of the object's scene prim, the body welded by ANCHOR_JOINT.
PARTS_SCOPE: Final = "Parts"
JOINTS_SCOPE: Final = "Joints"
ANCHOR_JOINT: Final = "anchor"

# customData keys written on prims so readers map prims back to the manifest.
OBJECT_ID_KEY: Final = "blueprint:objectId"
SIM_ROLE_KEY: Final = "blueprint:simRole"
ROBOT_TYPE_KEY: Final = "blueprint:robotType"
WORK_SURFACE_KEY: Final = "blueprint:workSurface"
MATERIAL_CLASS_KEY: Final = "blueprint:material"  # on physics materials: e.g. "wood"
FOCAL_PX_KEY: Final = "blueprint:focalPx"
IMAGE_SIZE_KEY: Final = "blueprint:imageSize"
FLOOR_SOURCE_KEY: Final = "blueprint:floorSource"  # on ROOM_PATH: "room_mesh" | "floor_plane"
FLOOR_COLLIDERS_KEY: Final = "blueprint:floorColliders"  # on ROOM_PATH: the floor prims' paths
WALL_COLLIDERS_KEY: Final = "blueprint:wallColliders"  # on ROOM_PATH: the room's wall slabs
PART_KIND_KEY: Final = "blueprint:partKind"  # on part prims: body | door | drawer
JOINT_FRICTION_KEY: Final = "blueprint:jointFriction"  # on joints: N m or N (no UsdPhysics attr)
JOINT_DAMPING_KEY: Final = "blueprint:jointDamping"  # on joints: N m s/rad or N s/m
HINGE_SIDE_KEY: Final = "blueprint:hingeSide"  # on revolute joints: left | right | bottom | top
PROVENANCE_KEY: Final = "blueprint"  # key of the provenance dict in the layer's customLayerData

# UsdSemantics.LabelsAPI instance (taxonomy) holding the object's category.
SEMANTIC_CLASS_TAXONOMY: Final = "class"
PHYSICS_PURPOSE: Final = "physics"

_INVALID = re.compile(r"[^A-Za-z0-9_]")


def prim_name(object_id: str) -> str:
    """A valid USD prim name for an object id (ids may start with a digit or contain '-').

    Args:
        object_id: a manifest object id (`[a-z0-9][a-z0-9_-]*`).

    Returns:
        The id with '-' replaced by '_', prefixed with 'o_' if it starts with a digit.
    """
    name = _INVALID.sub("_", object_id)
    return f"o_{name}" if not name or name[0].isdigit() else name


def unique_prim_names(object_ids: list[str]) -> dict[str, str]:
    """Prim names for object ids, made unique with a numeric suffix where two ids collide.

    Args:
        object_ids: unique manifest ids, in manifest order.

    Returns:
        object id -> prim name (readers map prims back through OBJECT_ID_KEY, not names).
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for object_id in object_ids:
        base = prim_name(object_id)
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names[object_id] = name
        taken.add(name)
    return names


def asset_usd_path(object_id: str) -> str:
    """Scene-relative path of an object's asset USD."""
    return posixpath.join(asset_dir(object_id), f"{object_id}.usda")
