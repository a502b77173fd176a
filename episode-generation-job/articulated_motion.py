"""Open/close motion for a door or drawer: grasp the handle, follow the slide or the hinge arc.

The hand approaches along the part's outward normal with its fingers closing across the handle
bar (fingers pointing into the front, closing sideways), pinches it, then moves along the path
the joint allows: a straight line along the slide axis, or the arc about the hinge axis through
the joint origin with the hand turning with the door. The moving phases ("pull", "push" and the
release) are flagged compliant: the rollout lowers the arm's gains there so a small error
between the computed path and the part's true motion does not make the hand fight the joint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
OPEN_TARGET = {"prismatic": 0.85, "revolute": 0.8}  # commanded open fraction (judged at 0.6)
CLOSE_TARGET = -0.04  # past closed: the compliant hand pushes the part onto its stop
MOVE_SPEED = 0.08  # m/s of handle travel while moving the part
GRIPPER_OPEN = franka.GRIPPER_MAX_WIDTH
GRIPPER_CLOSED = 0.0
COMPLIANT_PHASES = frozenset({"pull", "push", "release"})
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


def target_fraction(task: ArticulatedTask) -> float:
    return OPEN_TARGET[task.frame.kind] if task.opens else CLOSE_TARGET


def held_pose(task: ArticulatedTask, flip: bool, q: float) -> tuple[FloatArray, FloatArray]:
    """The TCP pose holding the handle with the joint at position `q`.

    The grasp is set up at the task's start position and turns with the part about its hinge
    (a drawer's hand only translates).

    Returns:
        (position, rotation).
    """
    frame = task.frame
    turn0 = frame.motion(frame.position_at(task.start_fraction))
    grasp_r = grasp_rotation(turn0 @ frame.front, flip)
    turn = frame.motion(q)
    point = frame.handle_at(q) + GRASP_OUT * (turn @ frame.front)
    return point, turn @ turn0.T @ grasp_r


def move_frames(task: ArticulatedTask) -> int:
    """Control frames given to moving the part (at most `MOVE_SPEED` at the handle, >= 2 s)."""
    frame = task.frame
    q0, q1 = frame.position_at(task.start_fraction), frame.position_at(target_fraction(task))
    travel = float(np.linalg.norm(frame.handle_at(q1) - frame.handle_at(q0)))
    return max(1, round(max(2.0, 1.875 * travel / MOVE_SPEED) * CONTROL_HZ))


def waypoints(
    task: ArticulatedTask, start_position: FloatArray, start_rotation: FloatArray, flip: bool
) -> list[Waypoint]:
    """Per-frame TCP targets of the whole attempt, from the TCP's pose at reset.

    Args:
        task: what to open or close.
        start_position: the TCP position at reset.
        start_rotation: the TCP rotation at reset.
        flip: close the fingers along the other sense of the front's horizontal.

    Returns:
        One waypoint per control frame: approach, reach, close, pull|push, release, retreat.
    """
    frame: JointFrame = task.frame
    q0 = frame.position_at(task.start_fraction)
    q1 = frame.position_at(target_fraction(task))
    handle0, grasp_r = held_pose(task, flip, q0)
    normal0 = -grasp_r[:, 2]
    out: list[Waypoint] = []
    here = Waypoint(start_position, start_rotation, GRIPPER_OPEN, "start")
    pre = Waypoint(handle0 + PRE_GRASP_OUT * normal0, grasp_r, GRIPPER_OPEN, "approach")
    here = _move(here, pre, 2.0, out)
    here = _move(here, Waypoint(handle0, grasp_r, GRIPPER_OPEN, "reach"), 1.0, out)
    here = _move(here, Waypoint(handle0, grasp_r, GRIPPER_CLOSED, "close"), 0.6, out)
    phase = "pull" if task.opens else "push"
    count = move_frames(task)
    for k in range(1, count + 1):
        point, rotation = held_pose(task, flip, q0 + _min_jerk(k / count) * (q1 - q0))
        out.append(Waypoint(point, rotation, GRIPPER_CLOSED, phase))
    return out + exit_waypoints(out[-1].position, out[-1].rotation)


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
    """Solve IK for every frame of the attempt (either finger sense, whichever is reachable).

    Args:
        kinematics: Panda kinematics at the station's base pose.
        task: what to open or close.
        start_qpos: the arm's joint positions at reset.

    Returns:
        The per-frame commands and the finger sense (`flip`) they use.

    Raises:
        UnreachableError: no finger sense gives a reachable plan.
    """
    start = np.asarray(start_qpos, dtype=float)
    position, rotation = kinematics.forward(start)
    failure = UnreachableError("approach", math.inf)
    for flip in (False, True):
        points = waypoints(task, position, rotation, flip)
        try:
            return solve_waypoints(kinematics, points, start), flip
        except UnreachableError as exc:
            failure = exc
        # The Cartesian approach from home can lead the arm into a wrist limit half-way along
        # the arc; start instead from another arm configuration at the pre-grasp, reached by a
        # joint-space move.
        for seed in _seeds(start):
            try:
                return _plan_from_seed(kinematics, points, start, seed), flip
            except UnreachableError as exc:
                failure = exc
    raise failure


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
