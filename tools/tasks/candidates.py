"""Robot-independent pick-and-place candidates of a scene at rest, and the contract they go in.

A candidate says which manipulable object could go on or in which receptacle (or onto a
goal surface: the work surface, another piece of furniture's top or one of its shelf boards,
`tools.tasks.surfaces`), judged on upright boxes at rest only, and which skill that is
(`tools.tasks.skills.placement_skill`): into a container, stacked on a movable object, onto a
surface at another level (a plate on the counter for a mug on the table, the table for a mug
on the counter) or plainly on. Whether a robot can do it (its gripper's
width, its reach, free squares of the surface from its station) is decided afterwards by each
consumer with `tools.tasks.feasibility.feasible_tasks`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox
from tools.tasks.receptacles import fits_goal, is_receptacle, is_stack_goal, relation_to
from tools.tasks.scene_tasks import (
    SCHEMA_VERSION,
    BoxRecord,
    SceneTasks,
    SurfaceRecord,
    TaskCandidate,
)
from tools.tasks.skills import placement_skill
from tools.tasks.surfaces import GoalSurface, box_surfaces

SAME_LEVEL_M = 0.03  # a target this close above a face of its support stands on that face


def derive_candidates(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    supports: Mapping[str, str | None],
    closed: Collection[str] = (),
    surfaces: Sequence[GoalSurface] = (),
) -> tuple[TaskCandidate, ...]:
    """Every candidate of the scene, in a stable order: object goals by (target, goal), then
    the goal surfaces (the work surface first, then by surface id) by target.

    Args:
        manifest: the scene contract (roles, labels, work surface).
        boxes: upright boxes at rest.
        supports: object id -> what it rests on (`tools.tasks.supports.resting_supports`).
        closed: containers by name measured closed on top: flat receptacles, "on".
        surfaces: the furniture's goal surfaces (`tools.tasks.surfaces`).

    Returns:
        The candidates (possibly none).
    """
    objects = {o.id: o for o in manifest.objects if o.id in boxes}
    targets = sorted(
        (o for o in objects.values() if o.sim_role is SimRole.MANIPULABLE), key=lambda o: o.id
    )
    goals = sorted(
        (o for o in objects.values() if is_receptacle(o, boxes[o.id], closed)), key=lambda o: o.id
    )
    out: list[TaskCandidate] = []
    for target in targets:
        support = supports.get(target.id)
        level = boxes[target.id].bottom  # the surface it stands on (a support's top or a board)
        for goal in goals:
            if goal.id in (target.id, support) or supports.get(goal.id) == target.id:
                continue
            if not fits_goal(boxes[target.id], goal, boxes[goal.id], closed):
                continue
            relation: Literal["on", "in"] = "in" if relation_to(goal, closed) == "in" else "on"
            goal_box = boxes[goal.id]
            change = (goal_box.bottom if relation == "in" else goal_box.top) - level
            skill = placement_skill(relation, is_stack_goal(goal, closed), change)
            out.append(
                TaskCandidate(
                    task_id=f"{target.id}-to-{goal.id}",
                    target_id=target.id,
                    support_id=support,
                    goal_id=goal.id,
                    goal="object",
                    relation=relation,
                    skill=skill,
                    height_change_m=round(change, 4),
                )
            )
    # From the floor or a piece of furniture (a counter, a shelf board) onto a free square of a
    # surface: the same level is place_on, another level place_at_height. A target on a
    # movable object is taken off it onto an object goal only.
    work = manifest.robot.work_surface
    movable = {o.id for o in targets}
    for surface in sorted(surfaces, key=lambda f: (f.surface_id != work, f.surface_id)):
        for t in targets:
            support = supports.get(t.id)
            change = surface.level - boxes[t.id].bottom
            # Between two boards of one unit the carry would run through the boards in
            # between: the motion clears every box but the one the target starts on.
            other_board = surface.object_id == support and abs(change) > SAME_LEVEL_M
            if support in movable or t.id == surface.object_id or other_board:
                continue
            out.append(
                TaskCandidate(
                    task_id=f"{t.id}-to-{surface.surface_id}",
                    target_id=t.id,
                    support_id=support if support is not None else surface.object_id,
                    goal_id=surface.object_id,
                    goal="surface",
                    relation="on",
                    skill=placement_skill("on", False, change),
                    height_change_m=round(change, 4),
                    surface_id=surface.surface_id,
                )
            )
    return tuple(out)


def build_scene_tasks(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    supports: Mapping[str, str | None],
    *,
    closed: Collection[str] = (),
    rim_objects: Collection[str] = (),
    surfaces: Sequence[GoalSurface] | None = None,
    generator: str,
) -> SceneTasks:
    """The contract of a scene at rest (validated on construction).

    Args:
        manifest: the scene contract.
        boxes: upright boxes at rest.
        supports: what rests on what (`tools.tasks.supports.resting_supports`).
        closed: containers by name measured closed on top.
        rim_objects: objects with a pinchable rim light enough to carry by it.
        surfaces: the goal surfaces measured on the colliders (`tools.tasks.surfaces.
            hull_surfaces`; None: each piece of furniture's box top).
        generator: the step writing it.

    Returns:
        The contract.
    """
    faces = box_surfaces(manifest, boxes) if surfaces is None else tuple(surfaces)
    return SceneTasks(
        schema_version=SCHEMA_VERSION,
        scene_id=manifest.scene_id,
        generator=generator,
        boxes={oid: BoxRecord.of(box) for oid, box in sorted(boxes.items())},
        supports=dict(sorted(supports.items())),
        closed_containers=tuple(sorted(closed)),
        rim_objects=tuple(sorted(rim_objects)),
        surfaces={f.surface_id: SurfaceRecord.of(f) for f in faces},
        candidates=derive_candidates(manifest, boxes, supports, closed, faces),
    )
