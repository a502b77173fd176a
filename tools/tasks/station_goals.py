"""Which of the scene's candidates a base spot may give a task for, judged coarsely without
an engine: the target in the robot's band and the goal within its reach.

The station search (`episode_generation_job.pick_stations`) ranks floor spots by what they
would add. Counting targets in band alone chose spots facing a target whose every goal lay
out of reach from there (fresh kitchen 243: four of ten tries gave no task, every goal of a
cereal box "goal_out_of_reach" or "no_free_square"), and it stopped once each target had one
task, though other goals of the same target (a counter across the room, place_at_height)
were reachable from a spot between them. Candidates are counted instead: target and goal.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from tools.robots import RobotDescription
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.scene_tasks import SceneTasks
from tools.tasks.surfaces import GoalSurface
from tools.tasks.task_specifier import REACH_MARGIN, PickPlaceTask

HEIGHT_BAND_M = (-0.1, 0.4)  # goals this far below/above the base (`within_reach`'s band)


@dataclass(frozen=True)
class CandidateGoal:
    """One candidate of the contract as the search sees it.

    Attributes:
        candidate_id: the candidate's task id (a surface goal's two sides share it).
        target_id: what is picked.
        footprint: the goal object's box, or the goal surface's face (its level as z).
        surface: whether the goal is a free square of a surface (else the object itself).
    """

    candidate_id: str
    target_id: str
    footprint: ObjectBox
    surface: bool


def candidate_of(task: PickPlaceTask) -> str:
    """The candidate a task comes from (a surface task's id carries its side)."""
    return task.task_id.removesuffix(f"-{task.side}") if task.side else task.task_id


def candidate_goals(
    scene_tasks: SceneTasks, targets: Collection[str]
) -> dict[str, list[CandidateGoal]]:
    """The candidates of each of `targets`, in the contract's order.

    Args:
        scene_tasks: the contract (boxes, goal surfaces, candidates).
        targets: the targets that count (those the robot's gripper holds).

    Returns:
        target id -> its candidates' goals.
    """
    boxes = scene_tasks.object_boxes()
    faces = scene_tasks.goal_surfaces()
    out: dict[str, list[CandidateGoal]] = {}
    for c in scene_tasks.candidates:
        if c.target_id not in targets or c.goal_id not in boxes:
            continue
        surface = c.goal == "surface"
        face = faces.get(c.surface_id or c.goal_id) if surface else None
        if surface and face is None:
            face = GoalSurface.top_of(boxes[c.goal_id])
        footprint = face.box if face is not None else boxes[c.goal_id]
        goal = CandidateGoal(c.task_id, c.target_id, footprint, surface)
        out.setdefault(c.target_id, []).append(goal)
    return out


def _distance_range(x: float, y: float, box: ObjectBox) -> tuple[float, float]:
    """Nearest and farthest horizontal distance from (x, y) to the box's footprint."""
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    dx, dy = x - box.centre[0], y - box.centre[1]
    u, v = abs(dx * c + dy * s), abs(-dx * s + dy * c)
    hx, hy = box.half_extents[0], box.half_extents[1]
    near = math.hypot(max(u - hx, 0.0), max(v - hy, 0.0))
    return near, math.hypot(u + hx, v + hy)


def goal_in_reach(spot: Pose, goal: CandidateGoal, robot: RobotDescription) -> bool:
    """Whether a goal may be reached from a base at `spot`: an object goal's centre within
    the arm's reach (as `within_reach` judges it), some part of a goal surface within the
    robot's goal band (where its free squares are looked for)."""
    x, y, z = spot.position
    height = goal.footprint.top - z if goal.surface else goal.footprint.centre[2] - z
    if not HEIGHT_BAND_M[0] <= height <= HEIGHT_BAND_M[1]:
        return False
    if goal.surface:
        near, far = _distance_range(x, y, goal.footprint)
        low, high = robot.goal_band_m
        return near <= high and far >= low
    radius = math.hypot(goal.footprint.centre[0] - x, goal.footprint.centre[1] - y)
    return robot.min_reach_m <= radius <= robot.reach_radius_m - REACH_MARGIN


def reachable_candidates(
    spot: Pose,
    in_band: Iterable[ObjectBox],
    goals: Mapping[str, Sequence[CandidateGoal]],
    robot: RobotDescription,
) -> frozenset[str]:
    """The candidates whose target is in the spot's band and whose goal is in its reach.

    Args:
        spot: the base pose.
        in_band: the targets in its band (`base_placement`'s spots carry them).
        goals: `candidate_goals`.
        robot: the arm.

    Returns:
        Their candidate ids.
    """
    return frozenset(
        g.candidate_id
        for box in in_band
        for g in goals.get(box.object_id, ())
        if goal_in_reach(spot, g, robot)
    )
