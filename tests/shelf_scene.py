"""Test helper: the synthetic tabletop with a shelf whose lowest board has another above it."""

from __future__ import annotations

from dataclasses import replace

import mujoco

from episode_generation_job.backends.mujoco_scene import MujocoScene, ObjectRef
from episode_generation_job.testing import TABLE_ID, TABLE_TOP, _asset, tabletop_scene
from tools.scene_manifest import (
    ObjectProvenance,
    PoseSource,
    SceneObject,
    Semantics,
    SimRole,
    Transform,
)
from tools.tasks.geometry import ObjectBox
from tools.tasks.skills import PLACE_AT_HEIGHT
from tools.tasks.surfaces import GoalSurface
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

SHELF = "shelf_0"
CENTRE = (0.0, 0.62)  # beside the Panda (at the origin, facing +x); open side towards it (-y)
WIDTH, DEPTH, THICK = 0.50, 0.30, 0.02
BOARDS = (0.50, 1.05, 1.40)  # board tops; the goal is the lowest, 0.53 m under the next


def shelf_scene(boards: tuple[float, ...] = BOARDS) -> MujocoScene:
    """The synthetic tabletop with a three-board shelf beside the Panda, open towards it."""
    scene = tabletop_scene()
    body = scene.spec.worldbody.add_body(name=SHELF, pos=[*CENTRE, 0.0])
    parts = [(f"board{i}", (0.0, 0.0, top - THICK / 2), (WIDTH / 2, DEPTH / 2, THICK / 2))
             for i, top in enumerate(boards)]  # fmt: skip
    height = boards[-1]
    for side in (-1, 1):
        x = side * (WIDTH + THICK) / 2
        parts.append((f"post{side}", (x, 0.0, height / 2), (THICK / 2, DEPTH / 2, height / 2)))
    parts.append(
        ("back", (0.0, (DEPTH + THICK) / 2, height / 2), (WIDTH / 2, THICK / 2, height / 2))
    )
    for name, pos, half in parts:
        body.add_geom(name=f"{SHELF}/{name}", type=mujoco.mjtGeom.mjGEOM_BOX, pos=pos, size=half)
    shelf = SceneObject(
        id=SHELF,
        category="shelf",
        sim_role=SimRole.STATIC,
        transform=Transform(position=(*CENTRE, height / 2)),
        asset=_asset(SHELF),
        dimensions=(WIDTH, DEPTH, height),
        semantics=Semantics(label="shelf", class_name="shelf"),
        provenance=ObjectProvenance(source_id=SHELF, pose_source=PoseSource.AUTHORED),
    )
    manifest = scene.manifest.model_copy(update={"objects": (*scene.manifest.objects, shelf)})
    refs = {**scene.objects, SHELF: ObjectRef(None, tuple(f"{SHELF}/{n}" for n, *_ in parts))}
    return replace(scene, objects=refs, manifest=manifest)


def shelf_task(target: str = "cube_0", boards: tuple[float, ...] = BOARDS) -> PickPlaceTask:
    """Move `target` from the table onto the lowest board, near its front edge."""
    face = ObjectBox(SHELF, (*CENTRE, boards[0]), (WIDTH / 2, DEPTH / 2, 0.0), 0.0)
    surface = GoalSurface(f"{SHELF}-shelf1", SHELF, face, boards[1] - THICK - boards[0])
    region = GoalRegion((CENTRE[0], CENTRE[1] - 0.07), (0.06, 0.06), 0.0, boards[0], "on")
    return PickPlaceTask(
        f"{target}-to-{surface.surface_id}", target, TABLE_ID, SHELF, region, "shelve it",
        "left", "on", PLACE_AT_HEIGHT, height_change=boards[0] - TABLE_TOP, surface=surface,
    )  # fmt: skip
