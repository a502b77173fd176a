"""Where the robot stands for an open/close task: the first clear candidate base from which
the motion is reachable and (with a clearance check) keeps the arm off the scene.

Candidates come from `tools.tasks.articulated` (in front of the handle, round its path,
beside a door's sweep). Each is first held against cheap bounds (the room, other objects'
footprints, the door's sweep, the arm's reach of every point the hand works at), then its
plans are solved by IK and posed in the scene. A side door whose one-motion open is out of
reach from every station is tried in two motions (`articulated_door_stages`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from episode_generation_job.articulated_door_stages import (
    PULL_SHARES,
    PUSH_RADIUS_SHARES,
    Pieces,
    pull_task,
    push_task,
    staged,
    staged_plans,
)
from episode_generation_job.articulated_motion import (
    articulated_plans,
    contact_task,
    held_pose,
    target_fraction,
)
from episode_generation_job.controller import JointPlan
from tools.scene_manifest import RoomBounds
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import (
    ArticulatedTask,
    beside_candidates,
    ring_candidates,
    station_candidates,
    sweep_gap,
)
from tools.tasks.geometry import FloatArray, ObjectBox, Pose

STATION_CLEARANCE = 0.25  # no other object's footprint within this of the robot's base
OWN_CLEARANCE = 0.2  # nor the furniture's own, nor a door's sweep
WALL_CLEARANCE = 0.35  # the base stays this far inside the room's bounds
# A part whose lowest point is above this height (a microwave's door over a counter) sweeps
# over the robot's base and lower links: its sweep does not bar stations, the clearance check
# keeps the arm off it.
LOW_SWEEP_M = 0.75
# The hand's wrist (the TCP moved back along the fingers by the flange and hand, 0.21 m) lies
# no further from the shoulder than the stretched upper arm and forearm with their offsets
# (0.33 + 0.39 + 0.09 m, rounded up): a station with a worked pose beyond it is dropped before
# any IK.
HAND_M = 0.21
REACH_BOUND_M = 0.85
# A side door whose open target (`target_fraction`) is out of reach is also tried to this
# fraction, still clear of the judge's threshold.
NEAR_OPEN_FRACTION = 0.7
# Pedestal heights a station may stand on, lowest first (m). A floor-standing Panda's
# shoulder is at 0.33 m: a microwave's handle over a counter (~1.05 m high, 0.2 m behind the
# counter's edge, which keeps the base off) is beyond its horizontal-fingered reach; raised,
# the handle comes to shoulder height, as a mobile manipulator lifts its torso. Every floor
# station is tried before any raised one.
STATION_HEIGHTS = (0.0, 0.25, 0.45)


@dataclass(frozen=True)
class Station:
    """Where the robot stands for a task and the plan it follows from there."""

    base: Pose
    plan: JointPlan
    flip: bool = False


class Clearance(Protocol):
    """Says whether a plan from a base keeps the arm off the scene (None: clear)."""

    def collision(self, task: ArticulatedTask, base: Pose, plan: JointPlan) -> str | None: ...


def _gap(x: float, y: float, box: ObjectBox) -> float:
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    dx, dy = x - box.centre[0], y - box.centre[1]
    u, v = abs(c * dx + s * dy), abs(-s * dx + c * dy)
    return math.hypot(max(0.0, u - box.half_extents[0]), max(0.0, v - box.half_extents[1]))


def _clear(
    base: Pose, boxes: Mapping[str, ObjectBox], task: ArticulatedTask, room: RoomBounds | None
) -> bool:
    """Whether the base keeps clear of the walls, other objects, its own furniture and the
    part's sweep over the task's motion (a door's sector about its hinge)."""
    x, y = base.position[0], base.position[1]
    if room is not None:
        inside = (room.min[0] + WALL_CLEARANCE <= x <= room.max[0] - WALL_CLEARANCE) and (
            room.min[1] + WALL_CLEARANCE <= y <= room.max[1] - WALL_CLEARANCE
        )
        if not inside:
            return False
    for object_id, box in boxes.items():
        own = object_id == task.object_id
        if _gap(x, y, box) < (OWN_CLEARANCE if own else STATION_CLEARANCE):
            return False
    frame = task.frame
    if frame.kind != "revolute" or (len(frame.corners) and frame.corners[:, 2].min() > LOW_SWEEP_M):
        return True
    # The door's sweep over the task's own motion: a door is pressed shut from where it
    # would be at a wider angle.
    span = (frame.position_at(task.start_fraction), frame.position_at(target_fraction(task)))
    return sweep_gap(frame, (x, y), span) >= OWN_CLEARANCE


def worked_points(task: ArticulatedTask, fractions: tuple[float, float]) -> FloatArray:
    """Wrist points of the hand holding or pressing the part between two open fractions (5
    along the path; the wrist is `HAND_M` behind the TCP along the fingers)."""
    frame = task.frame
    q0, q1 = frame.position_at(fractions[0]), frame.position_at(fractions[1])
    out = []
    for t in np.linspace(0.0, 1.0, 5):
        position, rotation = held_pose(task, False, q0 + t * (q1 - q0))
        out.append(position - HAND_M * rotation[:, 2])
    return np.array(out)


def within_reach(base: Pose, points: FloatArray) -> bool:
    """Whether every wrist point lies within `REACH_BOUND_M` of the base's shoulder (a
    necessary condition for IK: most candidates of a hopeless task fail here, at no IK
    cost)."""
    shoulder = np.asarray(base.position, dtype=float) + np.array([0.0, 0.0, franka.SHOULDER_HEIGHT])
    return bool((np.linalg.norm(points - shoulder, axis=1) <= REACH_BOUND_M).all())


def _candidates(task: ArticulatedTask) -> list[Pose]:
    """Candidate bases, likeliest first: a flap's beside its sweep, a door closed from round
    its path, else in front of the handle first."""
    frame = task.frame
    # A drawer's robot stands before the closed front; an open door's before its outer face.
    q0 = frame.position_at(task.start_fraction) if frame.kind == "revolute" else frame.lower
    shift = 0.0
    if frame.kind == "revolute" and task.opens:  # stand beside the door's sweep
        right = np.array([frame.front[1], -frame.front[0], 0.0])
        shift = 0.15 * float(np.sign(np.dot(frame.handle - frame.origin, right)))
    start, end = frame.position_at(task.start_fraction), frame.position_at(target_fraction(task))
    ring = ring_candidates(frame, start, end)
    front = station_candidates(frame, q0, shift)
    beside = beside_candidates(frame, start, end) if frame.kind == "revolute" else []
    if frame.is_flap:
        return beside + front + ring
    if frame.kind == "revolute" and not task.opens:
        return ring + beside + front
    return front + ring + beside


def raised(bases: list[Pose], heights: tuple[float, ...] | None = None) -> list[Pose]:
    """Each base at each pedestal height (default `STATION_HEIGHTS`), every base at the
    lowest height first."""
    heights = STATION_HEIGHTS if heights is None else heights
    return [
        Pose.of((b.position[0], b.position[1], b.position[2] + h), b.quat_wxyz)
        for h in heights
        for b in bases
    ]


def _one_motion(
    kinematics: FrankaKinematics, task: ArticulatedTask
) -> Iterator[tuple[JointPlan, bool, Pieces]]:
    for plan, flip in articulated_plans(kinematics, task, franka.HOME_QPOS):
        yield plan, flip, [(task, plan)]
    if staged(task):  # a side door: the shorter open, as a task of its own range
        nearer = pull_task(task, NEAR_OPEN_FRACTION)
        for plan, flip in articulated_plans(kinematics, nearer, franka.HOME_QPOS):
            yield plan, flip, [(nearer, plan)]


def _staged(
    kinematics: FrankaKinematics, task: ArticulatedTask
) -> Iterator[tuple[JointPlan, bool, Pieces]]:
    yield from staged_plans(kinematics, task, franka.HOME_QPOS)


def _staged_points(task: ArticulatedTask) -> FloatArray:
    """The points every staged variant works at: the pull's shortest path and the nearest
    push point's end."""
    pull = worked_points(task, (task.start_fraction, min(PULL_SHARES)))
    pusher = push_task(task, min(PULL_SHARES), min(PUSH_RADIUS_SHARES))
    end = worked_points(pusher, (target_fraction(task), target_fraction(task)))
    return np.vstack([pull, end[:1]])


@dataclass
class SearchLog:
    """What the last `choose_station` calls cost: seconds and candidates by stage."""

    seconds: float = 0.0
    candidates: int = 0
    within_reach: int = 0
    solved: int = 0


def choose_station(
    task: ArticulatedTask,
    boxes: Mapping[str, ObjectBox],
    room: RoomBounds | None = None,
    *,
    skip: int = 0,
    clearance: Clearance | None = None,
    log: SearchLog | None = None,
) -> Station | str:
    """The first candidate base pose clear of other objects from which every frame of the
    motion is reachable (and, with `clearance`, collision-free).

    Args:
        task: what to open or close.
        boxes: every object's box at rest (robot-free scene).
        room: the room's bounds (the robot's links hit a wall closer than `WALL_CLEARANCE`).
        skip: pass over this many reachable stations first (a retry stands elsewhere); with
            fewer, the first reachable one.
        clearance: poses each reachable plan in the scene (`PlanClearance`); a plan whose arm
            hits anything is passed over.
        log: accumulates the search's cost.

    Returns:
        The station, or "no_clear_station" / "unreachable" / "collides".
    """
    started = time.monotonic()
    log = log if log is not None else SearchLog()
    worked = contact_task(task)  # a pressed door: stations round the press point's path
    clear = [b for b in _candidates(worked) if _clear(b, boxes, worked, room)]
    log.candidates += len(clear)
    if not clear:
        log.seconds += time.monotonic() - started
        return "no_clear_station"
    fractions = (worked.start_fraction, target_fraction(worked))
    searches = [(_one_motion, worked_points(worked, fractions))]
    if staged(task):
        searches.append((_staged, _staged_points(task)))
    first: Station | None = None
    reached = False
    for plans, points in searches:
        for base in (b for b in raised(clear) if within_reach(b, points)):
            log.within_reach += 1
            kinematics = FrankaKinematics(base.position, base.quat_wxyz)
            found = None
            for plan, flip, pieces in plans(kinematics, worked):
                reached = True
                log.solved += 1
                if clearance is None or all(
                    clearance.collision(piece, base, part) is None for piece, part in pieces
                ):
                    found = Station(base, plan, flip)
                    break
            if found is None:
                continue
            if skip == 0:
                log.seconds += time.monotonic() - started
                return found
            skip -= 1
            first = first or found
        if first is not None:
            break
    log.seconds += time.monotonic() - started
    return first or ("collides" if reached else "unreachable")
