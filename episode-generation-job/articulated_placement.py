"""Pick-and-place into an opened drawer in the episodes step (ARTICULATED_TASKS): which object
goes into which drawer, where the robot stands, and one attempt recorded like the others.

A drawer gets a task when a graspable object stands on a surface that one station reaches
together with the drawer's tray opened to `OPEN_FRACTION`. Stations are searched as for
open/close (`articulated_stations`): cheap bounds first (room, footprints, the opened
drawer's own footprint, the arm's reach of the grasp and the drop point), then IK of the whole
pick-and-place plan, then the shared `PlanClearance` check of every posed frame. The drawer is
opened by setting its joint at reset, standing in for the replicator's joint randomization.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from episode_generation_job.articulated_clearance import PlanClearance
from episode_generation_job.articulated_stations import (
    HAND_M,
    OWN_CLEARANCE,
    STATION_CLEARANCE,
    WALL_CLEARANCE,
    SearchLog,
    Station,
    raised,
    within_reach,
)
from episode_generation_job.drawer_placement_episode import DrawerPlacementOutcome, placement_plan
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from tools.scene_manifest import RoomBounds, SceneManifest, SimRole
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import station_candidates
from tools.tasks.drawer_placement import (
    DrawerPlacementTask,
    drawer_placement_tasks,
    exposed_region,
    part_extents,
    tray_record,
)
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.rims import RimGeometry

MAX_TARGETS = 3  # per drawer: the nearest graspable objects (each costs a station search)
TARGET_RANGE_M = 1.6  # and no further than this from the drawer's handle (one station's reach)
RING_RADII = (0.3, 0.4, 0.45, 0.5, 0.6)  # candidate bases round the midpoint of object and tray
RING_STEPS = 24
MIN_GRASP_REACH_M = 0.42  # the base stands at least this far from the object (horizontally)
# Facing the midpoint, then turned either way: the elbow swings to the other side of the
# shoulder and may clear the furniture it hit.
RING_TURNS = (0.0, 0.35, -0.35)


def placement_targets(manifest: SceneManifest, boxes: Mapping[str, ObjectBox]) -> dict[str, str]:
    """Graspable object -> the object it stands on (objects on the floor are left out)."""
    from tools.tasks.supports import resting_supports

    roles = {o.id: o.sim_role for o in manifest.objects}
    return {
        oid: support
        for oid, support in sorted(resting_supports(manifest, boxes).items())
        if support is not None and roles.get(oid) == SimRole.MANIPULABLE
    }


def _facing(xy: np.ndarray, target: np.ndarray, turn: float = 0.0) -> Pose:
    """A base at `xy` facing `target`, turned by `turn` (rad)."""
    yaw = math.atan2(float(target[1] - xy[1]), float(target[0] - xy[0])) + turn
    quat = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
    return Pose.of((float(xy[0]), float(xy[1]), 0.0), quat)


def _candidates(task: DrawerPlacementTask, target: ObjectBox, q: float) -> list[Pose]:
    """Bases round the midpoint of the object and the exposed tray (facing it), then in
    front of the opened drawer's handle."""
    region = exposed_region(task.frame, q)
    middle = (np.array(target.centre[:2]) + np.array(region.centre)) / 2
    ring = [
        _facing(middle + r * np.array([math.cos(a), math.sin(a)]), middle, turn)
        for turn in RING_TURNS
        for r in RING_RADII
        for a in np.linspace(0.0, 2 * math.pi, RING_STEPS, endpoint=False)
    ]
    return ring + station_candidates(task.frame, q, 0.0)


def _box_gap(x: float, y: float, box: ObjectBox) -> float:
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    dx, dy = x - box.centre[0], y - box.centre[1]
    u, v = abs(c * dx + s * dy), abs(-s * dx + c * dy)
    return math.hypot(max(0.0, u - box.half_extents[0]), max(0.0, v - box.half_extents[1]))


def _drawer_gap(x: float, y: float, task: DrawerPlacementTask, q: float) -> float:
    """Floor distance from (x, y) to the opened drawer's part box."""
    out = np.array([task.frame.front[0], task.frame.front[1]])
    out /= np.linalg.norm(out)
    lateral = np.array([out[1], -out[0]])
    (back, front), (left, right), _ = part_extents(task.frame, q)
    a, b = float(np.dot((x, y), out)), float(np.dot((x, y), lateral))
    return math.hypot(max(0.0, back - a, a - front), max(0.0, left - b, b - right))


def _clear(
    base: Pose,
    boxes: Mapping[str, ObjectBox],
    task: DrawerPlacementTask,
    q: float,
    room: RoomBounds | None,
) -> bool:
    x, y = base.position[0], base.position[1]
    if room is not None and not (
        room.min[0] + WALL_CLEARANCE <= x <= room.max[0] - WALL_CLEARANCE
        and room.min[1] + WALL_CLEARANCE <= y <= room.max[1] - WALL_CLEARANCE
    ):
        return False
    for object_id, box in boxes.items():
        own = object_id == task.object_id
        if _box_gap(x, y, box) < (OWN_CLEARANCE if own else STATION_CLEARANCE):
            return False
    return _drawer_gap(x, y, task, q) >= OWN_CLEARANCE


def _horizontal(base: Pose, point: np.ndarray) -> float:
    """The horizontal distance from the base to a point."""
    return float(np.linalg.norm(point[:2] - np.asarray(base.position[:2])))


def choose_placement_station(
    task: DrawerPlacementTask,
    boxes: Mapping[str, ObjectBox],
    room: RoomBounds | None,
    clearance: PlanClearance | None,
    log: SearchLog | None = None,
) -> Station | str:
    """The first clear base from which the whole pick-and-place plan is reachable (and, with
    `clearance`, keeps the arm off the scene), or "no_clear_station" / "unreachable" /
    "collides" / "drawer_closed"."""
    import time

    started = time.monotonic()
    log = log if log is not None else SearchLog()
    q = task.frame.position_at(task.open_fraction)
    target = boxes[task.target_id]
    try:
        region = exposed_region(task.frame, q)
    except ValueError:
        return "drawer_closed"
    # Wrist points: over the grasp and over the drop (the hand points down, HAND_M above).
    points = np.array(
        [
            [target.centre[0], target.centre[1], target.top + HAND_M],
            [region.centre[0], region.centre[1], region.surface_z + 0.05 + HAND_M],
        ]
    )
    clear = [b for b in _candidates(task, target, q) if _clear(b, boxes, task, q, room)]
    # Not crowding the object: from closer than `MIN_GRASP_REACH_M` the top-down fingers
    # landed off a cube's centre and pushed it aside (2 of 2 such stations failed on the test
    # nightstand, 2 of 2 stations farther off succeeded).
    clear = [b for b in clear if _horizontal(b, points[0]) >= MIN_GRASP_REACH_M]
    log.candidates += len(clear)
    reached, found = False, None
    for base in (b for b in raised(clear) if within_reach(b, points)):
        log.within_reach += 1
        kinematics = FrankaKinematics(base.position, base.quat_wxyz)
        plan = placement_plan(
            kinematics, base, boxes, task, q, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH
        )
        if isinstance(plan, str):
            continue
        reached = True
        log.solved += 1
        if clearance is None or clearance.placement_collision(task, q, base, plan) is None:
            found = Station(base, plan)
            break
    log.seconds += time.monotonic() - started
    if found is not None:
        return found
    if not clear:
        return "no_clear_station"
    return "collides" if reached else "unreachable"


def _distance(box: ObjectBox, xy: np.ndarray) -> float:
    return float(np.linalg.norm(np.array(box.centre[:2]) - xy))


def derive_placement_tasks(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    room: RoomBounds | None,
    clearance: PlanClearance | None,
    logs: dict[str, SearchLog],
    rims: Mapping[str, RimGeometry] | None = None,
) -> tuple[list[tuple[DrawerPlacementTask, Station]], dict[str, str]]:
    """One task per drawer: its nearest graspable object that a station reaches together with
    the opened tray (an object with a pinchable rim in `rims` is held by it).

    Returns:
        (task, station) pairs in drawer order, and drawer -> why it has none (its last
        candidate's reason, or "no_target").
    """
    found: dict[str, tuple[DrawerPlacementTask, Station]] = {}
    refused: dict[str, str] = {}
    by_drawer: dict[str, list[DrawerPlacementTask]] = {}
    for task in drawer_placement_tasks(manifest, placement_targets(manifest, boxes)):
        if task.target_id in boxes:
            task = dataclasses.replace(task, rim=(rims or {}).get(task.target_id))
            by_drawer.setdefault(f"{task.object_id}/{task.joint_name}", []).append(task)
    for drawer, tasks in by_drawer.items():
        handle = tasks[0].frame.handle[:2]
        far = {t.task_id: _distance(boxes[t.target_id], handle) for t in tasks}
        near = sorted(
            (t for t in tasks if far[t.task_id] <= TARGET_RANGE_M), key=lambda t: far[t.task_id]
        )
        refused[drawer] = "no_target"
        for task in near[:MAX_TARGETS]:
            log = logs.setdefault(drawer, SearchLog())
            station = choose_placement_station(task, boxes, room, clearance, log)
            if isinstance(station, Station):
                found[drawer] = (task, station)
                refused.pop(drawer)
                break
            refused[drawer] = station
    return list(found.values()), refused


def placement_record(task: DrawerPlacementTask, outcome: DrawerPlacementOutcome) -> EpisodeRecord:
    """The attempt as an episode record (no frames when the plan was refused)."""
    metadata: dict[str, object] = {
        "task_id": task.task_id,
        "skill": task.skill,
        "object_id": task.object_id,
        "target_id": task.target_id,
        "joint": task.joint_name,
        "start_fraction": task.open_fraction,
        "drawer_opened_by": "joint set at reset (replicator joint randomization)",
        "verdict": outcome.reason,
        "checks": outcome.checks,
    }
    if outcome.recorded is not None:
        metadata["tray"] = tray_record(task.frame, float(outcome.checks["drawer_position"]))
    verdict = Verdict(outcome.success, None if outcome.success else outcome.reason, outcome.checks)
    frames = outcome.recorded
    if frames is None:
        empty = np.zeros((0, 8), dtype=np.float32)
        return EpisodeRecord(
            empty, empty, np.zeros((0, 14), dtype=np.float32), {}, verdict, metadata
        )
    return EpisodeRecord(
        frames.states, frames.actions, frames.env, frames.cameras.images(), verdict, metadata,
        frames.physics_steps, frames.cameras.recording(),
    )  # fmt: skip
