"""The one filter from the scene's candidates to the tasks a robot can do, and the task cap."""

# Every consumer of `replicator/scene_tasks.json` (the episodes step for its arm, the Genie Sim
# export for G1/G2) keeps the candidates its robot can do with this function, then caps them
# at MAX_TASKS, interleaving targets so the first tasks cover different objects.

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from tools.scene_manifest import SceneManifest
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.rims import RimGeometry
from tools.tasks.round_objects import rolls
from tools.tasks.sampled_grasps import SampledGrasps
from tools.tasks.scene_tasks import SceneTasks, TaskCandidate
from tools.tasks.settings import DEFAULT_MAX_TASKS
from tools.tasks.skills import grasp_refusal, grasp_skill, instruction_template
from tools.tasks.supports import resting_supports
from tools.tasks.surfaces import GoalSurface
from tools.tasks.task_specifier import (
    PANDA_LIMITS,
    ArmLimits,
    GoalRegion,
    Phraser,
    PickPlaceTask,
    describe,
    surface_regions,
    template_phrase,
    within_reach,
)


def _names(manifest: SceneManifest, object_id: str) -> tuple[str, str]:
    obj = manifest.object(object_id)
    return obj.category, obj.semantics.label


def interleave(tasks: Sequence[PickPlaceTask], max_tasks: int) -> list[PickPlaceTask]:
    """At most `max_tasks` tasks, targets taken in turn (in order of first appearance)."""
    by_target: dict[str, list[PickPlaceTask]] = {}
    for task in tasks:
        by_target.setdefault(task.target_id, []).append(task)
    ordered: list[PickPlaceTask] = []
    while any(by_target.values()):
        for queue in by_target.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered[:max_tasks]


def feasible_tasks(
    scene_tasks: SceneTasks,
    manifest: SceneManifest,
    base: Pose,
    *,
    free_objects: Collection[str],
    limits: ArmLimits = PANDA_LIMITS,
    max_tasks: int = DEFAULT_MAX_TASKS,
    phrase: Phraser = template_phrase,
    rims: Mapping[str, RimGeometry] | None = None,
    dropped: dict[str, str] | None = None,
    sampled: Mapping[str, SampledGrasps] | None = None,
) -> list[PickPlaceTask]:
    """The candidates a robot can do, as tasks, capped at `max_tasks`.

    A candidate is kept when its target is a free body in the consumer's simulation, a grasp
    of the robot's gripper fits it (a pinch across it, or of its rim when the contract
    lists one), and target and goal object lie within the robot's reach. A surface candidate
    becomes one task per side (left, right) of its surface that has a free square in the
    robot's goal band and reach, when the hand fits under what hangs over the surface.

    Args:
        scene_tasks: the contract.
        manifest: the scene contract (labels for instructions, categories for grasps).
        base: the robot's base pose.
        free_objects: ids of the free rigid bodies in the consumer's simulation.
        limits: the robot's gripper, reach and goal band (default: the Panda's).
        max_tasks: at most this many tasks.
        phrase: turns (target, goal, the skill's template) into an instruction.
        rims: rim geometry of the contract's rim objects (for rim grasps' planning).
        dropped: if given, filled with candidate id -> why it was dropped ("not_free",
            "target_out_of_reach", "goal_out_of_reach", "no_free_square", "no_headroom" and
            `tools.tasks.skills.grasp_refusal`'s reasons); the cap drops none here.
        sampled: grasps sampled on the hulls of objects the box rules refuse
            (`tools.tasks.sampled_grasps`): those objects are held by them.

    Returns:
        The tasks: object goals, then surface squares by surface and side, targets
        interleaved.
    """
    boxes: dict[str, ObjectBox] = scene_tasks.object_boxes()
    free, rimmed, rims = set(free_objects), set(scene_tasks.rim_objects), rims or {}
    sampled = sampled or {}

    why = dropped if dropped is not None else {}

    def grasp_of(c: TaskCandidate) -> str | None:
        target = boxes[c.target_id]
        if c.target_id not in free:
            why[c.task_id] = "not_free"
            return None
        if not within_reach(base, target.centre, limits):
            why[c.task_id] = "target_out_of_reach"
            return None
        category = manifest.object(c.target_id).category
        grasp = grasp_skill(
            target, category, limits.max_grasp_width, c.target_id in rimmed,
            c.target_id in sampled,
        )  # fmt: skip
        if grasp is None:
            why[c.task_id] = grasp_refusal(target, category, limits.max_grasp_width)
        return grasp

    def name(object_id: str) -> str:
        return describe(manifest.object(object_id))

    def surface_name(surface: GoalSurface) -> str:
        shelf = surface.shelf
        furniture = name(surface.object_id)
        return furniture if shelf is None else f"{_ordinal(shelf)} shelf of the {furniture}"

    def task(
        c: TaskCandidate,
        grasp: str,
        goal_name: str,
        region: GoalRegion | None = None,
        side: str | None = None,
        surface: GoalSurface | None = None,
    ) -> PickPlaceTask:
        template = instruction_template(c.skill, c.height_change_m)
        return PickPlaceTask(
            c.task_id if side is None else f"{c.task_id}-{side}", c.target_id, c.support_id,
            c.goal_id, region, phrase(name(c.target_id), goal_name, template), side,
            c.relation, c.skill, grasp, rims.get(c.target_id), c.height_change_m, surface,
            rolls(boxes[c.target_id], *_names(manifest, c.target_id)), sampled.get(c.target_id),
        )  # fmt: skip

    faces = scene_tasks.goal_surfaces()
    kept: list[PickPlaceTask] = []
    by_surface: dict[str, list[tuple[TaskCandidate, str]]] = {}
    for c in scene_tasks.candidates:
        grasp = grasp_of(c)
        if grasp is None:
            continue
        if c.goal == "surface":
            by_surface.setdefault(c.surface_id or c.goal_id, []).append((c, grasp))
        elif within_reach(base, boxes[c.goal_id].centre, limits):
            kept.append(task(c, grasp, name(c.goal_id)))
        else:
            why[c.task_id] = "goal_out_of_reach"
    for surface_id, queued in by_surface.items():
        face = faces.get(surface_id) or GoalSurface.top_of(boxes[queued[0][0].goal_id])
        squares = surface_regions(face, boxes, base, limits.goal_band)
        regions = [
            (side, region)
            for side, region in squares
            if within_reach(base, (*region.centre, face.level), limits)
        ]
        if not regions:  # none free in the band, or free ones too high or low to reach
            reason = "goal_out_of_reach" if squares else "no_free_square"
            why.update((c.task_id, reason) for c, _ in queued)
        for side, region in regions:
            goal_name = f"{side} side of the {surface_name(face)}"
            for c, grasp in queued:
                if face.holds(boxes[c.target_id]):
                    kept.append(task(c, grasp, goal_name, region, side, face))
                else:
                    why[c.task_id] = "no_headroom"
    return interleave(kept, max_tasks)


def derive_tasks(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    base: Pose,
    *,
    free_objects: Sequence[str],
    max_tasks: int = DEFAULT_MAX_TASKS,
    phrase: Phraser = template_phrase,
    closed: Collection[str] = (),
    limits: ArmLimits = PANDA_LIMITS,
    rims: Mapping[str, RimGeometry] | None = None,
) -> list[PickPlaceTask]:
    """Candidates and the filter in one go, on boxes the caller measured (where no contract
    was written: a backend opened on a bare stage, unit tests, benches).

    Args:
        manifest: the scene contract.
        boxes: upright boxes at rest.
        base: the robot base pose.
        free_objects: ids of the free rigid bodies in the simulation.
        max_tasks: at most this many tasks.
        phrase: turns (target, goal, the skill's template) into an instruction.
        closed: containers by name measured closed on top (flat, "on").
        limits: the robot's gripper, reach and goal band (default: the Panda's).
        rims: object id -> its pinchable rim: those objects may be picked by the rim.

    Returns:
        The tasks (possibly none).
    """
    contract = build_scene_tasks(
        manifest,
        boxes,
        resting_supports(manifest, boxes),
        closed=closed,
        rim_objects=tuple(rims or {}),
        generator="derive_tasks",
    )
    return feasible_tasks(
        contract,
        manifest,
        base,
        free_objects=free_objects,
        limits=limits,
        max_tasks=max_tasks,
        phrase=phrase,
        rims=rims,
    )


def _ordinal(k: int) -> str:
    """1 -> "bottom", 2 -> "second", ... (shelf boards counted from the floor)."""
    names = {1: "bottom", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    return names.get(k, f"{k}th")
