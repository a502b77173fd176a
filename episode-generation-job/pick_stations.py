"""Pick-and-place tasks from further base poses ("stations") for targets the mounted base
cannot reach.

A robot on one base reaches one stretch of counter: fresh kitchens gave 1-5 tasks, most
candidates dropped as "target_out_of_reach" / "goal_out_of_reach" (kitchen 170: a bottle and
a bowl 0.8 and 1.2 m along the counter from the Franka's base). The session keeps the mounted
base's tasks as they were, then stands the robot at further free floor spots
(`tools.tasks.base_placement.candidate_bases`: pedestal clear of the furniture, same height
and heading; and `facing_bases`: spots facing each target wherever in the room it stands),
most still-uncovered targets in reach first, and keeps a spot when the arm at
home is clear of the room and furniture and some uncovered target gets a task whose whole
plan solves from there. Everything is a pure function of the scene at rest, so every shard
and a resumed run derive the same stations in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from episode_generation_job.backends.base import SimBackend
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.base_placement import FOOTPRINT_HALF_M, candidate_bases, facing_bases
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap
from tools.tasks.task_specifier import PickPlaceTask

MAX_TRIED = 10  # spots checked per session (each: a home clearance check, a plan per task)
MAX_STATIONS = 4  # stations kept beyond the mounted base
LOW_OBJECT_M = 0.3  # an object whose bottom is below this (above the floor) bars the spot
# Spots this close to one already tried reach about the same: skipped, so the tries spread
# along the surface (kitchen 170: five spots 5-20 cm apart gave nothing the first did not).
SPREAD_M = 0.15

# (base, targets already covered) -> the tasks that base gives the others (planned, probed)
TasksAt = Callable[[Pose, frozenset[str]], list[PickPlaceTask]]


@dataclass
class StationSearch:
    """What the search tried: spot -> why it was not kept (for the session's summary)."""

    tried: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        """Count one spot refused for `reason`."""
        self.refused[reason] = self.refused.get(reason, 0) + 1


def _clear_of_floor_objects(
    base: Pose, boxes: Mapping[str, ObjectBox], background: Collection[str], floor: float
) -> bool:
    """The pedestal footprint overlaps no object standing low (a bin or crate on the floor:
    `candidate_bases` only keeps clear of the furniture)."""
    half = (FOOTPRINT_HALF_M, FOOTPRINT_HALF_M)
    xy = (base.position[0], base.position[1])
    return not any(
        box.centre[2] - box.half_extents[2] < floor + LOW_OBJECT_M
        and rectangles_overlap(xy, half, base.yaw, box.centre, box.half_extents, box.yaw)
        for key, box in boxes.items()
        if key not in background
    )


def _apart(a: Pose, b: Pose) -> float:
    return math.dist(a.position[:2], b.position[:2])


def further_stations(
    backend: SimBackend,
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    covered: Collection[str],
    targets: Collection[str],
    tasks_at: TasksAt,
    room_for: int,
    search: StationSearch | None = None,
) -> list[tuple[Pose, list[PickPlaceTask]]]:
    """Stations beyond the mounted base, each with the tasks of targets no earlier one has.

    Leaves the backend standing at a tried spot: the caller moves it back.

    Args:
        backend: the loaded scene, robot at its mounted base (`move_robot_base` must work).
        manifest: the scene contract (roles, room bounds, floor height).
        boxes: every object's box at rest.
        covered: targets the mounted base already has tasks for.
        targets: every task candidate's target (what a spot's reach is counted by).
        tasks_at: the tasks a base gives the targets it is not passed (the session's own
            feasibility, plan and layout checks, with the robot standing there).
        room_for: at most this many tasks in all.
        search: filled with what was tried.

    Returns:
        (base, tasks) per kept station, in the order found.
    """
    search = search if search is not None else StationSearch()
    robot = backend.robot
    mounted = backend.robot_base
    spots = [
        *candidate_bases(manifest, boxes, mounted, robot.description, targets)[1:],
        *facing_bases(manifest, boxes, mounted, robot.description, targets),
    ]
    background = {o.id for o in manifest.objects if o.sim_role is SimRole.BACKGROUND}
    floor = manifest.robot.base_pose.position[2]
    home = np.asarray(robot.home_qpos, dtype=float)[None, :]
    done = set(covered)
    found: list[tuple[Pose, list[PickPlaceTask]]] = []
    tried: set[int] = set()
    near = [False] * len(spots)
    seen: set[str] = set()  # targets in reach of a spot already tried
    while room_for > 0 and len(found) < MAX_STATIONS and search.tried < MAX_TRIED:
        # Most uncovered targets no tried spot had in reach (a too-wide box stays uncovered
        # wherever the robot stands), then most uncovered; ties: nearest.
        best, best_key = -1, (0, 0)
        for index, (_, in_band) in enumerate(spots):
            ids = {b.object_id for b in in_band} - done
            key = (len(ids - seen), len(ids))
            if index not in tried and not near[index] and key[1] and key > best_key:
                best, best_key = index, key
        if best < 0:
            break
        tried.add(best)
        base, in_band = spots[best]
        if not _clear_of_floor_objects(base, boxes, background, floor):
            search.refuse("floor_object")
            continue
        near = [n or _apart(p, base) < SPREAD_M for n, (p, _) in zip(near, spots, strict=True)]
        search.tried += 1
        seen.update(b.object_id for b in in_band)
        backend.move_robot_base(base)
        if backend.arm_path_collisions(home):
            search.refuse("arm_not_clear")
            continue
        tasks = tasks_at(base, frozenset(done))[:room_for]
        if not tasks:
            search.refuse("no_task")
            continue
        found.append((base, tasks))
        done.update(t.target_id for t in tasks)
        room_for -= len(tasks)
    return found
