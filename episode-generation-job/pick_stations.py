"""Pick-and-place tasks from further base poses ("stations") for targets the mounted base
cannot reach.

A robot on one base reaches one stretch of counter: fresh kitchens gave 1-5 tasks, most
candidates dropped as "target_out_of_reach" / "goal_out_of_reach" (kitchen 170: a bottle and
a bowl 0.8 and 1.2 m along the counter from the Franka's base). The session keeps the mounted
base's tasks as they were, then stands the robot at further free floor spots
(`tools.tasks.base_placement.candidate_bases`: pedestal clear of the furniture, same height
and heading; and `facing_bases`: spots facing each target wherever in the room it stands),
targets without a task first, then further goals of targets that have one (each counted
where its goal is in reach too: `tools.tasks.station_goals`), and keeps a spot when the arm
at home is clear of the room and furniture and some candidate no earlier base covers gets a
task whose whole plan solves from there. Everything is a pure function of the scene at rest,
so every shard and a resumed run derive the same stations in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from episode_generation_job.backends.base import SimBackend
from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.base_placement import FOOTPRINT_HALF_M, candidate_bases, facing_bases
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap
from tools.tasks.station_goals import CandidateGoal, candidate_of, reachable_candidates
from tools.tasks.task_specifier import PickPlaceTask

MAX_TRIED = 10  # spots planned at per session (each: a plan per task, layout probes)
# Spots looked at per session: the checks before planning (floor, goals in reach, arm at
# home) cost milliseconds where a try costs seconds, so refusals by them spend no try.
MAX_LOOKED = 30
MAX_STATIONS = 4  # stations kept beyond the mounted base
LOW_OBJECT_M = 0.3  # an object whose bottom is below this (above the floor) bars the spot
# Spots this close to one already tried reach about the same: skipped, so the tries spread
# along the surface (kitchen 170: five spots 5-20 cm apart gave nothing the first did not).
SPREAD_M = 0.15

# (base, candidates already covered) -> the feasible tasks of the others there (no engine)
FeasibleAt = Callable[[Pose, frozenset[str]], list[PickPlaceTask]]
# (base, tasks) -> those whose whole plan solves there, layouts probed (robot moved there)
PlannedAt = Callable[[Pose, list[PickPlaceTask]], list[PickPlaceTask]]


@dataclass
class StationSearch:
    """What the search looked at and tried: spots refused per reason, and why each target
    this robot holds got no task from the mount or any station (`untasked`: the last
    refusal of a spot that had it in reach, "plan_refused" where its tasks' plans or
    layouts failed at a tried spot, "no_spot_in_reach" where no free spot has it and a
    goal in reach, "not_looked" where the budget ran out first)."""

    tried: int = 0
    looked: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    untasked: dict[str, str] = field(default_factory=dict)

    def refuse(self, reason: str, targets: Collection[str] = ()) -> None:
        """Count one spot refused for `reason`, the last word on each of its `targets`."""
        self.refused[reason] = self.refused.get(reason, 0) + 1
        self.untasked.update((t, reason) for t in targets)


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
    goals: Mapping[str, Sequence[CandidateGoal]],
    feasible_at: FeasibleAt,
    planned_at: PlannedAt,
    room_for: int,
    search: StationSearch | None = None,
) -> list[tuple[Pose, list[PickPlaceTask]]]:
    """Stations beyond the mounted base, each with the tasks of candidates no earlier one has.

    Spots go by what they may add, judged without the engine: first targets without a task,
    then further goals of targets that have one (a counter across the room, place_at_height),
    each counted only where its goal is in reach too (`tools.tasks.station_goals`). A spot is
    tried (planned at) once its pedestal is clear, some uncovered candidate is feasible there
    and the arm at home is clear. Leaves the backend standing at a looked-at spot: the
    caller moves it back.

    Args:
        backend: the loaded scene, robot at its mounted base (`move_robot_base` must work).
        manifest: the scene contract (roles, room bounds, floor height).
        boxes: every object's box at rest.
        covered: candidate ids (`station_goals.candidate_of`) the mounted base has tasks for.
        goals: target -> its candidates (`station_goals.candidate_goals`): the targets this
            robot's gripper holds.
        feasible_at: the feasible tasks a base gives the candidates it is not passed.
        planned_at: those of them whose plan solves with the robot standing there.
        room_for: at most this many tasks in all.
        search: filled with what was looked at and tried.

    Returns:
        (base, tasks) per kept station, in the order found.
    """
    search = search if search is not None else StationSearch()
    robot = backend.robot
    mounted = backend.robot_base
    targets = set(goals)
    spots = [
        *candidate_bases(manifest, boxes, mounted, robot.description, targets)[1:],
        *facing_bases(manifest, boxes, mounted, robot.description, targets),
    ]
    reach = [
        reachable_candidates(pose, in_band, goals, robot.description) for pose, in_band in spots
    ]
    target_of = {g.candidate_id: g.target_id for group in goals.values() for g in group}
    background = {o.id for o in manifest.objects if o.sim_role is SimRole.BACKGROUND}
    floor = manifest.robot.base_pose.position[2]
    home = np.asarray(robot.home_qpos, dtype=float)[None, :]
    done = set(covered)
    found: list[tuple[Pose, list[PickPlaceTask]]] = []
    looked: set[int] = set()
    near = [False] * len(spots)
    seen: set[str] = set()  # candidates in reach of a spot already tried
    while (
        room_for > 0
        and len(found) < MAX_STATIONS
        and search.tried < MAX_TRIED
        and search.looked < MAX_LOOKED
    ):
        best = _next_spot(reach, looked, near, done, seen, target_of)
        if best < 0:
            break
        looked.add(best)
        search.looked += 1
        base, _ = spots[best]
        hoped = {target_of[c] for c in reach[best] - done}
        if not _clear_of_floor_objects(base, boxes, background, floor):
            search.refuse("floor_object", hoped)
            continue
        feasible = feasible_at(base, frozenset(done))
        if not feasible:
            search.refuse("no_goal_in_reach", hoped)
            continue
        near = [n or _apart(p, base) < SPREAD_M for n, (p, _) in zip(near, spots, strict=True)]
        backend.move_robot_base(base)
        if backend.arm_path_collisions(home):
            search.refuse("arm_not_clear", hoped)
            continue
        search.tried += 1
        seen.update(reach[best])
        tasks = planned_at(base, feasible)[:room_for]
        search.untasked.update((t.target_id, "plan_refused") for t in feasible)
        if not tasks:
            search.refuse("no_task")
            continue
        found.append((base, tasks))
        done.update(candidate_of(t) for t in tasks)
        room_for -= len(tasks)
    held = {target_of[c] for c in done if c in target_of}
    anywhere = {target_of[c] for ids in reach for c in ids}
    search.untasked = {
        t: search.untasked.get(t, "not_looked" if t in anywhere else "no_spot_in_reach")
        for t in sorted(set(goals) - held)
    }
    return found


def _next_spot(
    reach: Sequence[frozenset[str]],
    looked: Collection[int],
    near: Sequence[bool],
    done: Collection[str],
    seen: Collection[str],
    target_of: Mapping[str, str],
) -> int:
    """The spot to look at next (-1: none adds anything): most targets without a task that
    no tried spot had in reach, then most targets without a task, then most uncovered
    candidates no tried spot had, then most uncovered candidates; ties: the spot order.
    A spot only with candidates tried spots had in reach, all of targets with a task, is
    not looked at (a spot would only repeat what was planned)."""
    held = {target_of[c] for c in done if c in target_of}
    seen_targets = {target_of[c] for c in seen}
    best, best_key = -1, (0, 0, 0, 0)
    for index, ids in enumerate(reach):
        if index in looked or near[index]:
            continue
        new = ids - set(done)
        fresh = {target_of[c] for c in new} - held
        key = (len(fresh - seen_targets), len(fresh), len(new - set(seen)), len(new))
        if (key[1] or key[2]) and key > best_key:
            best, best_key = index, key
    return best
