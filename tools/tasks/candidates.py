"""Robot-independent pick-and-place candidates of a scene at rest, and the contract they go in.

A candidate says which manipulable object could go on or in which receptacle (or onto the
work surface), judged on upright boxes at rest only, and which skill that is
(`tools.tasks.skills.placement_skill`): into a container, stacked on a movable object, onto a
surface at another level (a plate on the counter for a mug on the table, the table for a mug
on the counter) or plainly on. Whether a robot can do it (its gripper's
width, its reach, free squares of the surface from its station) is decided afterwards by each
consumer with `tools.tasks.feasibility.feasible_tasks`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.geometry import ObjectBox
from tools.tasks.receptacles import fits_goal, is_receptacle, is_stack_goal, relation_to
from tools.tasks.scene_tasks import (
    SCHEMA_VERSION,
    BoxRecord,
    SceneTasks,
    TaskCandidate,
)
from tools.tasks.skills import placement_skill


def derive_candidates(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    supports: Mapping[str, str | None],
    closed: Collection[str] = (),
) -> tuple[TaskCandidate, ...]:
    """Every candidate of the scene, in a stable order: object goals by (target, goal), then
    the work surface by target.

    Args:
        manifest: the scene contract (roles, labels, work surface).
        boxes: upright boxes at rest.
        supports: object id -> what it rests on (`tools.tasks.supports.resting_supports`).
        closed: containers by name measured closed on top: flat receptacles, "on".

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
    surface_id = manifest.robot.work_surface
    if surface_id is not None and surface_id in boxes:
        # From the floor, the work surface or a piece of furniture (a counter, a shelf board);
        # a target on a movable object is taken off it onto an object goal only.
        movable = {o.id for o in targets}
        for t in targets:
            support = supports.get(t.id)
            if support in movable:
                continue
            change = boxes[surface_id].top - boxes[t.id].bottom
            out.append(
                TaskCandidate(
                    task_id=f"{t.id}-to-{surface_id}",
                    target_id=t.id,
                    support_id=support if support is not None else surface_id,
                    goal_id=surface_id,
                    goal="surface",
                    relation="on",
                    skill=placement_skill("on", False, change),
                    height_change_m=round(change, 4),
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
    generator: str,
) -> SceneTasks:
    """The contract of a scene at rest (validated on construction).

    Args:
        manifest: the scene contract.
        boxes: upright boxes at rest.
        supports: what rests on what (`tools.tasks.supports.resting_supports`).
        closed: containers by name measured closed on top.
        rim_objects: objects with a pinchable rim light enough to carry by it.
        generator: the step writing it.

    Returns:
        The contract.
    """
    return SceneTasks(
        schema_version=SCHEMA_VERSION,
        scene_id=manifest.scene_id,
        generator=generator,
        boxes={oid: BoxRecord.of(box) for oid, box in sorted(boxes.items())},
        supports=dict(sorted(supports.items())),
        closed_containers=tuple(sorted(closed)),
        rim_objects=tuple(sorted(rim_objects)),
        candidates=derive_candidates(manifest, boxes, supports, closed),
    )
