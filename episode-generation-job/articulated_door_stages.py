"""Opening a wide side door in two motions: pull the handle part-way, then push the inside face.

A fridge door's handle travels ~0.9 m to 80 % open, more than the Panda covers from one
station while holding it (the hand would have to turn back towards the robot). The staged open
pulls the handle only as far as `PULL_SHARES` of the range (its arc stays within reach), lets
go, moves the closed fingers round the door's free edge into the gap the pull opened, and
pushes the door's inside face at a point nearer the hinge (`PUSH_RADIUS_SHARES` of the door's
width: a shorter arc) out to the open target. Any hinge side and door width: the push point,
the free edge and the faces all come from the joint frame and the part's box.

The stages share one plan; `stage_tasks` splits it for the pre-run collision check, which
poses the part where each stage expects it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence

import numpy as np

from episode_generation_job.articulated_motion import (
    GRIPPER_CLOSED,
    GRIPPER_OPEN,
    MOVE_PHASES,
    PRE_GRASP_OUT,
    Waypoint,
    exit_waypoints,
    grasp_rotation,
    held_pose,
    move_frames,
    solve_waypoints,
    target_fraction,
    waypoints,
)
from episode_generation_job.articulated_motion import _min_jerk as min_jerk
from episode_generation_job.articulated_motion import _move as move
from episode_generation_job.controller import JointPlan, UnreachableError
from tools.sim.robots.franka import FrankaKinematics
from tools.tasks.articulated import ArticulatedTask, JointFrame
from tools.tasks.geometry import FloatArray

PULL_SHARES = (0.4, 0.3)  # open fractions the handle is pulled to before the push, tried in turn
PUSH_RADIUS_SHARES = (0.55, 0.8)  # the push point's share of the door's width from the hinge
EDGE_CLEARANCE = 0.1  # the fingers pass this far beyond the free edge
PANEL_M = 0.03  # a door's thickness when its part box is unknown
STAGED_TRAVEL_M = 0.3  # a handle travelling further than this may be opened in stages


def staged(task: ArticulatedTask) -> bool:
    """Whether an open task may be tried in two motions (when one is out of reach from every
    station): a side door whose handle would travel more than `STAGED_TRAVEL_M` (a fridge, a
    tall cupboard, a microwave door)."""
    frame = task.frame
    if not task.opens or frame.kind != "revolute" or frame.is_flap:
        return False
    q0, q1 = frame.position_at(task.start_fraction), frame.position_at(target_fraction(task))
    return float(np.linalg.norm(frame.handle_at(q1) - frame.handle_at(q0))) > STAGED_TRAVEL_M


def _door_geometry(frame: JointFrame) -> tuple[FloatArray, FloatArray, float, float]:
    """The door in its closed pose: the foot of the hinge axis at the handle's height, the
    unit radial direction towards the free edge (in the door's plane), the door's width and
    the inside face's offset along the front from the handle."""
    offset = frame.handle - frame.origin
    foot = frame.origin + float(offset @ frame.axis) * frame.axis
    radial = offset - float(offset @ frame.axis) * frame.axis
    radial -= float(radial @ frame.front) * frame.front
    radius = float(np.linalg.norm(radial))
    radial /= max(radius, 1e-9)
    if len(frame.corners):
        width = float(((frame.corners - frame.origin) @ radial).max())
        inside = float((frame.corners @ frame.front).min() - frame.handle @ frame.front)
    else:
        width, inside = radius + 0.05, -PANEL_M - 0.03
    return foot, radial, max(width, radius), inside


def push_task(task: ArticulatedTask, pull_share: float, radius_share: float) -> ArticulatedTask:
    """The second stage as a task of its own: its "handle" the push point on the inside face
    (at the handle's height), its front the inside face's normal (so `held_pose` puts the
    closed fingers against it, pointing out of the carcass), starting where the pull ended."""
    frame = task.frame
    foot, radial, width, inside = _door_geometry(frame)
    point = foot + radius_share * width * radial
    point = point + float((frame.handle - point) @ frame.front + inside) * frame.front
    inner = dataclasses.replace(frame, handle=point, front=-frame.front)
    return dataclasses.replace(task, frame=inner, start_fraction=pull_share)


def pull_task(task: ArticulatedTask, pull_share: float) -> ArticulatedTask:
    """The first stage as a task of its own: the same door, its range scaled so that the
    motion's open target lands at `pull_share` of the true range."""
    frame = task.frame
    q_mid = frame.position_at(pull_share)
    upper = frame.lower + (q_mid - frame.lower) / target_fraction(task)
    return dataclasses.replace(task, frame=dataclasses.replace(frame, upper=upper))


def staged_waypoints(
    task: ArticulatedTask,
    start_position: FloatArray,
    start_rotation: FloatArray,
    flip: bool,
    pull_share: float,
    radius_share: float,
) -> list[Waypoint]:
    """Per-frame TCP targets: pull by the handle to `pull_share`, release and back off, round
    the free edge with closed fingers, push the inside face at `radius_share` of the width to
    the open target, back off the face.

    Args:
        task: an open task on a side door.
        start_position: the TCP position at reset.
        start_rotation: the TCP rotation at reset.
        flip: finger sense of the pull (the push uses the same sense of the front's horizontal).
        pull_share: open fraction the pull ends at.
        radius_share: the push point's share of the door's width.
    """
    frame = task.frame
    out = waypoints(pull_task(task, pull_share), start_position, start_rotation, flip)
    pusher = push_task(task, pull_share, radius_share)
    q_mid, q1 = frame.position_at(pull_share), frame.position_at(target_fraction(task))
    foot, radial, width, _ = _door_geometry(frame)
    turn = frame.motion(q_mid)
    edge = foot + turn @ ((width + EDGE_CLEARANCE) * radial)
    outer = turn @ frame.front  # the outside face's normal with the door at q_mid
    height = pusher.frame.handle[2] - edge[2]
    beside = grasp_rotation(turn @ radial)  # fingers along the door, towards the hinge
    here = dataclasses.replace(out[-1], gripper=GRIPPER_OPEN)
    for offset in (PRE_GRASP_OUT * outer, -PRE_GRASP_OUT * outer):
        via = edge + offset + np.array([0.0, 0.0, height])
        here = move(here, Waypoint(via, beside, GRIPPER_CLOSED, "approach"), 1.2, out)
    contact, rotation = held_pose(pusher, flip, q_mid)
    pre = contact - PRE_GRASP_OUT * rotation[:, 2]
    here = move(here, Waypoint(pre, rotation, GRIPPER_CLOSED, "approach"), 1.2, out)
    here = move(here, Waypoint(contact, rotation, GRIPPER_CLOSED, "reach"), 0.8, out)
    count = move_frames(pusher)
    for k in range(1, count + 1):
        point, turned = held_pose(pusher, flip, q_mid + min_jerk(k / count) * (q1 - q_mid))
        out.append(Waypoint(point, turned, GRIPPER_CLOSED, "press"))
    return out + exit_waypoints(out[-1].position, out[-1].rotation)


Pieces = list[tuple[ArticulatedTask, JointPlan]]


def staged_plans(
    kinematics: FrankaKinematics,
    task: ArticulatedTask,
    start_qpos: Sequence[float],
    failures: list[UnreachableError] | None = None,
) -> Iterator[tuple[JointPlan, bool, Pieces]]:
    """Every reachable staged plan from one station: per pull share, push radius and finger
    sense, screened at key poses before the per-frame IK.

    Yields:
        (plan, flip, pieces): the pieces are the plan cut after the pull's retreat, each with
        the task whose part positions it expects (for `PlanClearance.collision`).
    """
    start = np.asarray(start_qpos, dtype=float)
    position, rotation = kinematics.forward(start)
    failed = [] if failures is None else failures
    for pull, radius, flip in (
        (p, r, f) for p in PULL_SHARES for r in PUSH_RADIUS_SHARES for f in (False, True)
    ):
        points = staged_waypoints(task, position, rotation, flip, pull, radius)
        if not _keys_reachable(kinematics, points, start):
            continue
        try:
            plan = solve_waypoints(kinematics, points, start)
        except UnreachableError as exc:
            failed.append(exc)
            continue
        cut = len(waypoints(pull_task(task, pull), position, rotation, flip))
        first = dataclasses.replace(pull_task(task, pull), start_fraction=task.start_fraction)
        pieces = [
            (first, JointPlan(plan.arm[:cut], plan.gripper[:cut], plan.phases[:cut])),
            (dataclasses.replace(task, start_fraction=pull),
             JointPlan(plan.arm[cut:], plan.gripper[cut:], plan.phases[cut:])),
        ]  # fmt: skip
        yield plan, flip, pieces


def _keys_reachable(
    kinematics: FrankaKinematics, points: Sequence[Waypoint], start: FloatArray
) -> bool:
    """The two moves' ends and middles and the first pose round the edge, solved in turn."""
    moving = [i for i, p in enumerate(points) if p.phase in MOVE_PHASES]
    if not moving:
        return False
    breaks = [i for i, j in itertools.pairwise(moving) if j != i + 1]
    keys = [moving[0] - 1, moving[0] + (breaks[0] - moving[0]) // 2 if breaks else moving[0]]
    if breaks:
        second = moving[moving.index(breaks[0]) + 1]
        keys += [breaks[0], second - 1, (second + moving[-1]) // 2]
    keys.append(moving[-1])
    q = start
    for index in keys:
        point = points[index]
        result = kinematics.solve(point.position, point.rotation, q, iterations=100)
        if result.position_error > 0.01 or result.rotation_error > 0.08:
            return False
        q = result.qpos
    return True
