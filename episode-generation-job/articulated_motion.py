"""Open/close motion for a door or drawer: grasp the handle, follow the slide or the hinge arc.

The hand approaches along the part's outward normal with its fingers closing across the handle
bar (fingers pointing into the front, closing sideways), pinches it, then moves along the path
the joint allows: a straight line along the slide axis, or the arc about the hinge axis through
the joint origin with the hand turning with the door. The moving phases ("pull", "push" and the
release) are flagged compliant: the rollout lowers the arm's gains there so a small error
between the computed path and the part's true motion does not make the hand fight the joint.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from episode_generation_job.backends.base import CONTROL_HZ
from episode_generation_job.controller import JointPlan, UnreachableError
from tools.rotations import matrix_to_quat, quat_to_matrix
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import ArticulatedTask, JointFrame
from tools.tasks.geometry import FloatArray

PRE_GRASP_OUT = 0.12  # pre-grasp and retreat distance in front of the handle
GRASP_OUT = 0.004  # the TCP stays this much further out than the handle point
OPEN_TARGET = {"prismatic": 0.85, "revolute": 0.8, "flap": 0.72}  # commanded (judged at 0.6)
CLOSE_TARGET = -0.04  # past closed: the compliant hand pushes the part onto its stop
FLAP_VIA_OUT = 0.3  # an open flap's grasp is approached from this far beyond its free edge
MOVE_SPEED = 0.08  # m/s of handle travel while moving the part
GRIPPER_OPEN = franka.GRIPPER_MAX_WIDTH
GRIPPER_CLOSED = 0.0
# "press": a door moved by pressing a face with the closed fingers, no grasp.
MOVE_PHASES = frozenset({"pull", "push", "press"})
COMPLIANT_PHASES = MOVE_PHASES | {"release"}
PRESS_RADIUS_SHARE = 0.55  # the press point's share of the handle's distance from the hinge
PRESS_MIN_RADIUS = 0.2
_IK_POSITION_TOL = 0.01
_IK_ROTATION_TOL = 0.08


@dataclass(frozen=True)
class Waypoint:
    """A TCP target for one frame: position, rotation, gripper command, phase."""

    position: FloatArray
    rotation: FloatArray
    gripper: float
    phase: str


def _min_jerk(tau: float) -> float:
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau * tau)


def _slerp(a: FloatArray, b: FloatArray, t: float) -> FloatArray:
    qa, qb = np.array(matrix_to_quat(a)), np.array(matrix_to_quat(b))
    dot = float(qa @ qb)
    if dot < 0.0:
        qb, dot = -qb, -dot
    if dot > 0.9995:
        q = qa + t * (qb - qa)
    else:
        theta = math.acos(dot)
        q = (math.sin((1 - t) * theta) * qa + math.sin(t * theta) * qb) / math.sin(theta)
    return np.asarray(quat_to_matrix(q / np.linalg.norm(q)), dtype=float)


def grasp_rotation(normal: FloatArray, flip: bool = False) -> FloatArray:
    """TCP rotation pointing the fingers into a front whose outward normal is `normal`, closing
    along the front's horizontal (across a vertical handle bar)."""
    z = -normal / np.linalg.norm(normal)
    y = np.cross(normal, [0.0, 0.0, 1.0])
    y /= np.linalg.norm(y)
    if flip:
        y = -y
    return np.column_stack([np.cross(y, z), y, z])


def _move(start: Waypoint, goal: Waypoint, duration: float, frames: list[Waypoint]) -> Waypoint:
    count = max(1, round(duration * CONTROL_HZ))
    for k in range(1, count + 1):
        s = _min_jerk(k / count)
        frames.append(
            Waypoint(
                start.position + s * (goal.position - start.position),
                _slerp(start.rotation, goal.rotation, s),
                start.gripper + min(1.0, 2.0 * k / count) * (goal.gripper - start.gripper),
                goal.phase,
            )
        )
    return goal


def presses(task: ArticulatedTask) -> bool:
    """Whether the task closes a door by pressing its outer face (not by its handle).

    Held by the handle, an open door's hand must follow the handle's whole arc (1.2 m for a
    fridge door from 77 deg), more than the Panda reaches from one station; a point nearer
    the hinge travels a shorter arc, and pressing needs no grasp. An open flap (oven,
    dishwasher) is pushed up from under its outer face: a grasp of its handle from below
    brought the hand into the flap's sweep and the carcass.
    """
    frame = task.frame
    return frame.kind == "revolute" and not task.opens


def contact_task(task: ArticulatedTask) -> ArticulatedTask:
    """The task with its "handle" moved to where the hand works the part: the press point on
    the outer face (at the handle's height, `PRESS_RADIUS_SHARE` of its distance from the
    hinge) when it `presses`, else the handle itself."""
    if not presses(task):
        return task
    frame = task.frame
    offset = frame.handle - frame.origin
    along = float(offset @ frame.axis) * frame.axis
    radial = offset - along
    share = max(PRESS_RADIUS_SHARE, PRESS_MIN_RADIUS / max(float(np.linalg.norm(radial)), 1e-9))
    point = frame.origin + along + min(1.0, share) * radial
    return dataclasses.replace(task, frame=dataclasses.replace(frame, handle=point))


def target_fraction(task: ArticulatedTask) -> float:
    """The commanded end fraction: past the judge's threshold, a flap less far (its open
    handle is near the floor, where the wrist under it would hit the floor)."""
    if not task.opens:
        return CLOSE_TARGET
    return OPEN_TARGET["flap" if task.frame.is_flap else task.frame.kind]


def wrist_follows(task: ArticulatedTask) -> tuple[float, ...]:
    """Shares of the door's turn the hand turns with, likeliest first.

    A side door's hand turns with it (the pinch would twist about the bar). A flap's hinge is
    parallel to the pinch axis, so the pads can turn on the bar's sides: a hand that keeps its
    heading keeps the wrist off the floor, and turning it made the pads slip off the bar
    half-way down (mock ovens); half and full turns are the fallbacks. A side door pressed
    shut is not held: the hand may turn half as far, its closed fingertips meeting the face
    at a slant (a fridge door from 77 deg was out of reach with the hand square to it).
    """
    if task.frame.is_flap:
        return (0.0, 0.5, 1.0)
    return (1.0, 0.5) if presses(task) else (1.0,)


def held_pose(
    task: ArticulatedTask, flip: bool, q: float, follow: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """The TCP pose holding the handle with the joint at position `q`.

    The grasp is the closed part's, turned about the hinge by `follow` times the part's angle
    (a drawer's hand only translates).

    Returns:
        (position, rotation).
    """
    frame = task.frame
    point = frame.handle_at(q) + GRASP_OUT * (frame.motion(q) @ frame.front)
    hand = frame.motion(frame.lower + follow * (q - frame.lower))
    return point, hand @ grasp_rotation(frame.front, flip)


def move_frames(task: ArticulatedTask) -> int:
    """Control frames given to moving the part (at most `MOVE_SPEED` at the handle, >= 2 s)."""
    frame = task.frame
    q0, q1 = frame.position_at(task.start_fraction), frame.position_at(target_fraction(task))
    travel = float(np.linalg.norm(frame.handle_at(q1) - frame.handle_at(q0)))
    return max(1, round(max(2.0, 1.875 * travel / MOVE_SPEED) * CONTROL_HZ))


def waypoints(
    task: ArticulatedTask,
    start_position: FloatArray,
    start_rotation: FloatArray,
    flip: bool,
    follow: float = 1.0,
) -> list[Waypoint]:
    """Per-frame TCP targets of the whole attempt, from the TCP's pose at reset.

    Args:
        task: what to open or close.
        start_position: the TCP position at reset.
        start_rotation: the TCP rotation at reset.
        flip: close the fingers along the other sense of the front's horizontal.
        follow: the share of the door's turn the hand turns with (`wrist_follows`).

    Returns:
        One waypoint per control frame: approach, reach, close, pull|push, release, retreat.
    """
    frame: JointFrame = task.frame
    q0 = frame.position_at(task.start_fraction)
    q1 = frame.position_at(target_fraction(task))
    handle0, grasp_r = held_pose(task, flip, q0, follow)
    normal0 = retreat_direction(-grasp_r[:, 2], frame.front, drop=0.6)  # along the fingers
    out: list[Waypoint] = []
    here = Waypoint(start_position, start_rotation, GRIPPER_OPEN, "start")
    pre = Waypoint(handle0 + PRE_GRASP_OUT * normal0, grasp_r, GRIPPER_OPEN, "approach")
    if frame.is_flap and q0 > frame.lower:
        # Under an open flap: come in level from beyond its free edge, not down through it.
        level = np.array([frame.front[0], frame.front[1], 0.0]) / np.linalg.norm(frame.front[:2])
        via = Waypoint(pre.position + FLAP_VIA_OUT * level, grasp_r, GRIPPER_OPEN, "approach")
        here = _move(here, via, 1.5, out)
        here = _move(here, pre, 1.0, out)
    else:
        here = _move(here, pre, 2.0, out)
    press = presses(task)
    if press:  # fingers closed from the start: they press, they do not grasp
        out = [dataclasses.replace(w, gripper=GRIPPER_CLOSED) for w in out]
        here = dataclasses.replace(here, gripper=GRIPPER_CLOSED)
        here = _move(here, Waypoint(handle0, grasp_r, GRIPPER_CLOSED, "reach"), 1.0, out)
    else:
        here = _move(here, Waypoint(handle0, grasp_r, GRIPPER_OPEN, "reach"), 1.0, out)
        here = _move(here, Waypoint(handle0, grasp_r, GRIPPER_CLOSED, "close"), 0.6, out)
    phase = "press" if press else "pull" if task.opens else "push"
    count = move_frames(task)
    for k in range(1, count + 1):
        point, rotation = held_pose(task, flip, q0 + _min_jerk(k / count) * (q1 - q0), follow)
        out.append(Waypoint(point, rotation, GRIPPER_CLOSED, phase))
    outward = retreat_direction(frame.motion(q1) @ frame.front, frame.front)
    return out + exit_waypoints(out[-1].position, out[-1].rotation, outward)


def exit_waypoints(
    position: FloatArray, rotation: FloatArray, outward: FloatArray | None = None
) -> list[Waypoint]:
    """Open the hand where it is, then back straight out of the handle.

    The rollout plans these again from the measured pose once the part has moved: a part
    that lagged the compliant hand would otherwise twist the released fingers.

    Args:
        position: the TCP position now.
        rotation: the TCP rotation now.
        outward: the part's outward normal now (default: back along the hand's own axis).
    """
    out: list[Waypoint] = []
    here = Waypoint(position, rotation, GRIPPER_CLOSED, "release")
    here = _move(here, Waypoint(position, rotation, GRIPPER_OPEN, "release"), 0.5, out)
    direction = -rotation[:, 2] if outward is None else outward
    back = position + PRE_GRASP_OUT * direction
    _move(here, Waypoint(back, rotation, GRIPPER_OPEN, "retreat"), 0.8, out)
    return out


def retreat_direction(outward: FloatArray, front: FloatArray, drop: float = 0.3) -> FloatArray:
    """Back out along `outward`, but not steeply down (z below -`drop`): under an open flap
    that is the floor, and the bar slides out between the opened pads as well along the
    front's horizontal."""
    if outward[2] >= -drop:
        return outward
    level = np.array([outward[0], outward[1], 0.0])
    if np.linalg.norm(level) < 0.3:
        level = np.array([front[0], front[1], 0.0])
    return np.asarray(level / np.linalg.norm(level), dtype=float)


def solve_waypoints(
    kinematics: FrankaKinematics, points: Sequence[Waypoint], start_qpos: ArrayLike
) -> JointPlan:
    """IK for every waypoint from `start_qpos`.

    Raises:
        UnreachableError: a waypoint's residual exceeds tolerance.
    """
    q = np.asarray(start_qpos, dtype=float)
    arm, gripper, phases = [], [], []
    for point in points:
        result = kinematics.solve(point.position, point.rotation, q, iterations=10)
        if result.position_error > _IK_POSITION_TOL or result.rotation_error > _IK_ROTATION_TOL:
            raise UnreachableError(point.phase, result.position_error)
        q = result.qpos
        arm.append(q.copy())
        gripper.append(point.gripper)
        phases.append(point.phase)
    return JointPlan(np.array(arm), np.array(gripper), tuple(phases))


def plan_articulated(
    kinematics: FrankaKinematics, task: ArticulatedTask, start_qpos: Sequence[float]
) -> tuple[JointPlan, bool]:
    """Solve IK for every frame of the attempt: the first reachable of `articulated_plans`.

    Args:
        kinematics: Panda kinematics at the station's base pose.
        task: what to open or close.
        start_qpos: the arm's joint positions at reset.

    Returns:
        The per-frame commands and the finger sense (`flip`) they use.

    Raises:
        UnreachableError: no finger sense gives a reachable plan.
    """
    failure: list[UnreachableError] = []
    for plan in articulated_plans(kinematics, task, start_qpos, failure):
        return plan
    raise failure[-1] if failure else UnreachableError("approach", math.inf)


def articulated_plans(
    kinematics: FrankaKinematics,
    task: ArticulatedTask,
    start_qpos: Sequence[float],
    failures: list[UnreachableError] | None = None,
) -> Iterator[tuple[JointPlan, bool]]:
    """Every reachable plan of the attempt from one station, likeliest first: per wrist follow
    (`wrist_follows`) and finger sense, from the home pose and from turned-wrist seeds.

    The finger sense decides on which side of the hand the wrist links hang, and the seed the
    elbow's path: a caller that checks collisions (`PlanClearance`) takes the first clear one.

    Args:
        kinematics: Panda kinematics at the station's base pose.
        task: what to open or close.
        start_qpos: the arm's joint positions at reset.
        failures: collects why the unreachable ones failed.

    Yields:
        (plan, flip).
    """
    start = np.asarray(start_qpos, dtype=float)
    position, rotation = kinematics.forward(start)
    failed = [] if failures is None else failures
    for follow, flip in ((f, flip) for f in wrist_follows(task) for flip in (False, True)):
        points = waypoints(task, position, rotation, flip, follow)
        if not _keys_reachable(kinematics, points, [start, *_seeds(start)]):
            continue
        try:
            yield solve_waypoints(kinematics, points, start), flip
        except UnreachableError as exc:
            failed.append(exc)
        # The Cartesian approach from home can lead the arm into a wrist limit half-way along
        # the arc; start instead from another arm configuration at the pre-grasp, reached by a
        # joint-space move.
        for seed in _seeds(start):
            try:
                yield _plan_from_seed(kinematics, points, start, seed), flip
            except UnreachableError as exc:
                failed.append(exc)


def _keys_reachable(
    kinematics: FrankaKinematics, points: Sequence[Waypoint], starts: Sequence[FloatArray]
) -> bool:
    """A quick screen before the per-frame IK: the grasp, the path's quarters, its end and the
    retreat, solved one after the other from one of `starts`. Most candidate stations fail
    here, at a tenth of the cost of solving every frame."""
    moving = [i for i, p in enumerate(points) if p.phase in MOVE_PHASES]
    if not moving:
        return True
    keys = [moving[0] - 1, *(moving[len(moving) * k // 4 - 1] for k in (1, 2, 3, 4)),
            len(points) - 1]  # fmt: skip
    for q in starts:
        for index in keys:
            point = points[index]
            result = kinematics.solve(point.position, point.rotation, q, iterations=100)
            if result.position_error > _IK_POSITION_TOL or result.rotation_error > _IK_ROTATION_TOL:
                break
            q = result.qpos
        else:
            return True
    return False


def _seeds(start: FloatArray) -> list[FloatArray]:
    """Other starting configurations: the home pose with its wrist joints turned."""
    seeds = []
    for joint, turn in ((6, -math.pi / 2), (6, math.pi / 2), (4, -math.pi / 2), (4, math.pi / 2)):
        seed = start.copy()
        seed[joint] += turn
        seeds.append(seed)
    return seeds


def _plan_from_seed(
    kinematics: FrankaKinematics, points: Sequence[Waypoint], start: FloatArray, seed: FloatArray
) -> JointPlan:
    approach = [p for p in points if p.phase == "approach"]
    rest = list(points[len(approach) :])
    pre = approach[-1]
    solved = kinematics.solve(pre.position, pre.rotation, seed, iterations=200)
    if solved.position_error > _IK_POSITION_TOL or solved.rotation_error > _IK_ROTATION_TOL:
        raise UnreachableError("approach", solved.position_error)
    tail = solve_waypoints(kinematics, rest, solved.qpos)
    count = len(approach)
    ramp = np.array([_min_jerk(k / count) for k in range(1, count + 1)])[:, None]
    arm = start + ramp * (solved.qpos - start)
    return JointPlan(
        np.vstack([arm, tail.arm]),
        np.concatenate([[p.gripper for p in approach], tail.gripper]),
        tuple(p.phase for p in approach) + tail.phases,
    )
