"""The scene's floor collider: the room mesh's floor slab when it lies at z = 0, else one box.

Every `scene.usda` has a floor. simready puts a slab behind the floor plane it finds in the
room mesh; when there is no room, no floor plane was found, or the plane found is not at the
ingest's floor (z = 0 in the world, fitted on 3D-RE-GEN's floor samples), a static box is
authored at `/World/Room/FloorCollider` under the whole room extent, its top at z = 0.
`/World/Room` records which prims are the floor and where they came from, so a reader (the
MuJoCo loader, the settle check) uses them instead of adding a ground plane of its own, and
which of the room's slabs are walls.
"""

from __future__ import annotations

from pxr import Gf, Usd, UsdGeom, UsdPhysics, Vt

from tools.scene_manifest import Physics, SceneManifest, SimRole
from tools.sim import usd_layout as layout
from tools.sim.usd_completion import floor_colliders
from tools.steps import Check
from usd_assembly_job import physics_usd

FLOOR_THICKNESS_M = 0.1
# Objects may stand at the edge of the room's extent; the box reaches this far beyond it.
FLOOR_MARGIN_M = 0.5
# A room slab at least this tall in the world is a wall (floor and ceiling slabs are levelled).
WALL_MIN_HEIGHT_M = 0.5
ROOM_MESH = "room_mesh"
FLOOR_PLANE = "floor_plane"


def _room_physics(manifest: SceneManifest) -> Physics | None:
    rooms = [o for o in manifest.objects if o.sim_role == SimRole.BACKGROUND]
    return rooms[0].physics if rooms else None


def _define_floor_box(stage: Usd.Stage, manifest: SceneManifest) -> str:
    low, high = manifest.room_bounds.min, manifest.room_bounds.max
    width = high[0] - low[0] + 2 * FLOOR_MARGIN_M
    depth = high[1] - low[1] + 2 * FLOOR_MARGIN_M
    box = UsdGeom.Cube.Define(stage, layout.FLOOR_COLLIDER_PATH)
    box.CreateSizeAttr(1.0)
    centre = ((low[0] + high[0]) / 2, (low[1] + high[1]) / 2, -FLOOR_THICKNESS_M / 2)
    box.AddTranslateOp().Set(Gf.Vec3d(*centre))
    box.AddScaleOp().Set(Gf.Vec3f(width, depth, FLOOR_THICKNESS_M))
    box.CreatePurposeAttr(UsdGeom.Tokens.guide)  # a collider: the room mesh is the visual
    UsdPhysics.CollisionAPI.Apply(box.GetPrim())
    material = physics_usd.define_physics_material(
        stage, f"{layout.PHYSICS_MATERIALS_PATH}/RoomFloor", _room_physics(manifest)
    )
    physics_usd.bind_physics_material(box.GetPrim(), material)
    return layout.FLOOR_COLLIDER_PATH


def ensure_floor_collider(stage: Usd.Stage, manifest: SceneManifest) -> int:
    """Make sure the stage has a floor collider at z = 0, and record which prims it is.

    Call after the objects are authored (the room's slabs come from its referenced asset).

    Args:
        stage: the scene stage being written.
        manifest: the manifest (its room bounds size the fallback box).

    Returns:
        The number of colliders added: 0 when the room mesh's floor is used, else 1.
    """
    # Only the room's own slabs count: a flat static object at z = 0 (a rug, a pallet) is
    # no floor for the rest of the room.
    slabs = _room_slabs(stage, manifest)
    floors = [p for p in floor_colliders(stage) if p in slabs]
    walls = [p for p, height in slabs.items() if height >= WALL_MIN_HEIGHT_M]
    room = UsdGeom.Xform.Define(stage, layout.ROOM_PATH).GetPrim()
    source = ROOM_MESH
    if not floors:
        floors, source = [_define_floor_box(stage, manifest)], FLOOR_PLANE
    room.SetCustomDataByKey(layout.FLOOR_SOURCE_KEY, source)
    room.SetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY, Vt.StringArray(floors))
    room.SetCustomDataByKey(layout.WALL_COLLIDERS_KEY, Vt.StringArray(walls))
    return int(source == FLOOR_PLANE)


def _room_slabs(stage: Usd.Stage, manifest: SceneManifest) -> dict[str, float]:
    """Collider prim path -> world height, for every collider of the background objects."""
    names = layout.unique_prim_names([o.id for o in manifest.objects])
    purposes = [UsdGeom.Tokens.default_, UsdGeom.Tokens.guide]
    bounds = UsdGeom.BBoxCache(Usd.TimeCode.Default(), purposes, useExtentsHint=False)
    slabs: dict[str, float] = {}
    for obj in manifest.objects:
        prim = stage.GetPrimAtPath(f"{layout.OBJECTS_PATH}/{names[obj.id]}")
        if obj.sim_role != SimRole.BACKGROUND or not prim:
            continue
        for collider in physics_usd.collider_prims(prim):
            size = bounds.ComputeWorldBound(collider).ComputeAlignedRange().GetSize()
            slabs[str(collider.GetPath())] = float(size[2])
    return slabs


def check_floor_collider(stage: Usd.Stage) -> Check:
    """The floor colliders recorded on `/World/Room` are static colliders with their top at z = 0.

    Args:
        stage: the scene stage.

    Returns:
        ok when at least one is recorded and every recorded one is such a collider; figures
        say which and where they came from.
    """
    room = stage.GetPrimAtPath(layout.ROOM_PATH)
    source = room.GetCustomDataByKey(layout.FLOOR_SOURCE_KEY) if room else None
    recorded = list(room.GetCustomDataByKey(layout.FLOOR_COLLIDERS_KEY) or []) if room else []
    floors = floor_colliders(stage)
    walls = list(room.GetCustomDataByKey(layout.WALL_COLLIDERS_KEY) or []) if room else []
    figures = {"floor_colliders": recorded, "source": source, "wall_colliders": walls}
    problems = [
        f"{p}: not a static collider with its top at z = 0" for p in recorded if p not in floors
    ]
    if not recorded:
        problems.append(f"no floor collider recorded on {layout.ROOM_PATH}")
    detail = f"{len(recorded)} ({source}), {len(walls)} walls" if recorded else "none"
    return Check("floor_collider", not problems, detail, figures, tuple(problems))
