"""Side grasps: a tall, narrow object (a bottle, a carton) held from the side.

A top-down pinch holds an object only a few centimetres below its top; a 25-30 cm bottle
tapers there and slips out (`tools.tasks.skills.MAX_GRASP_HEIGHT`). From the side the hand
closes across its body, low enough to carry it upright: the TCP approaches horizontally from
the robot's side, its fingers closing across the object's narrow horizontal side, slides in
around the object, closes, lifts, carries it level, lowers it onto the goal, opens and backs
out along the way it came. The orientation is held for the whole motion: the object is
set down as upright as it was picked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from episode_generation_job.controller import (
    _IK_POSITION_TOL,
    _IK_ROTATION_TOL,
    JointPlan,
    UnreachableError,
    _min_jerk,
)
from episode_generation_job.time_scaling import retime
from tools.robots import RobotDescription
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox
from tools.tasks.object_grasps import OPENING_MARGIN, SIDE_HEIGHT_FRACTION, side_headings

FloatArray = NDArray[np.float64]
HAND_BELOW_TCP = 0.045  # the horizontal hand reaches this far below the TCP (pads, knuckles)
STANDOFF = 0.12  # start and end this far out along the approach, fingers open
LIFT = 0.08  # carry the object at least this far above the higher of grasp and release
RELEASE_ABOVE = 0.004  # let go with the object's bottom this far above the goal surface
CLOSED = 0.0
MAX_TURN = math.radians(70)  # approaches at most this far off the line from the base
RESTARTS = 40  # IK seeds tried for the first pose beyond the current joints
MAX_BRANCHES = 4  # joint solutions of the first pose whose whole path is tried
DOWN_SPEED = 0.4  # m/s, peak TCP speed coming down to the stand-off
_MIN_JERK_PEAK = 1.875  # peak speed of a minimum-jerk move = 1.875 * distance / duration
_SOLVED_POSITION = 0.002
_SOLVED_ROTATION = 0.01


def side_rotation(heading: float) -> FloatArray:
    """TCP rotation approaching horizontally along `heading` (world yaw of the TCP z axis),
    fingers closing horizontally (TCP y), the TCP x axis pointing down."""
    c, s = math.cos(heading), math.sin(heading)
    approach, closing = np.array([c, s, 0.0]), np.array([-s, c, 0.0])
    return np.column_stack([np.cross(closing, approach), closing, approach])


@dataclass(frozen=True)
class SideGrasp:
    """A side grasp: TCP at the object's axis, `height` above its bottom.

    Attributes:
        position: TCP (x, y, z) at the grasp.
        heading: world yaw of the approach direction.
        width: the object's width between the fingers.
        opening: finger opening while approaching and releasing.
        height: TCP height above the object's bottom.
    """

    position: tuple[float, float, float]
    heading: float
    width: float
    opening: float
    height: float


def plan_side_grasps(
    box: ObjectBox, support_top: float, base_xy: Sequence[float], robot: RobotDescription
) -> list[SideGrasp]:
    """The side grasps of an object from a robot at `base_xy`, nearest the line from the base
    first (none when it is too wide, or too short for the hand above its support).

    The fingers close across the box's narrow horizontal side: the approaches are those of
    `tools.tasks.object_grasps.side_headings` (the Genie Sim export's too) that lead away from
    the base within `MAX_TURN` of the line from it.

    Args:
        box: the object's box now.
        support_top: the surface it stands on (the hand keeps above it).
        base_xy: the robot base's (x, y).
        robot: whose gripper (opening, clearance).
    """
    hx, hy, hz = box.half_extents
    width = 2 * min(hx, hy)
    if width > robot.max_grasp_width_m:
        return []
    height = max(SIDE_HEIGHT_FRACTION * 2 * hz, support_top + HAND_BELOW_TCP - box.bottom)
    if height > 2 * hz - 0.02:  # the fingers would close over the top
        return []
    from_base = math.atan2(box.centre[1] - base_xy[1], box.centre[0] - base_xy[0])
    headings = [box.yaw + h for h in side_headings(box.half_extents)]
    turns = {h: abs(math.remainder(h - from_base, 2 * math.pi)) for h in headings}
    opening = min(robot.gripper_max_width_m, width + OPENING_MARGIN)
    position = (box.centre[0], box.centre[1], box.bottom + height)
    return [
        SideGrasp(position, h, width, opening, height)
        for h in sorted(headings, key=turns.__getitem__)
        if turns[h] <= MAX_TURN
    ]


def plan_side_grasp(
    box: ObjectBox, support_top: float, base_xy: Sequence[float], robot: RobotDescription
) -> SideGrasp | None:
    """The first of `plan_side_grasps` (the approach nearest the line from the base)."""
    grasps = plan_side_grasps(box, support_top, base_xy, robot)
    return grasps[0] if grasps else None


def _waypoints(
    grasp: SideGrasp, goal_xy: Sequence[float], goal_top: float, lift: float
) -> list[tuple[str, FloatArray, float, float]]:
    """(phase, TCP position, gripper, seconds) key poses of the pick and place, carried
    `lift` above the higher of the grasp and the release."""
    back = STANDOFF * np.array([math.cos(grasp.heading), math.sin(grasp.heading), 0.0])
    at = np.asarray(grasp.position, dtype=float)
    place = np.array([goal_xy[0], goal_xy[1], goal_top + RELEASE_ABOVE + grasp.height])
    carry_z = max(at[2], place[2]) + lift
    lifted, above = np.array([at[0], at[1], carry_z]), np.array([place[0], place[1], carry_z])
    return [
        ("approach", at - back, grasp.opening, 1.6),
        ("descend", at, grasp.opening, 1.0),
        ("close", at, CLOSED, 0.6),
        ("lift", lifted, CLOSED, 1.0),
        ("transport", above, CLOSED, 1.6),
        ("lower", place, CLOSED, 1.0),
        ("release", place, grasp.opening, 0.5),
        ("retreat", place - back, grasp.opening, 0.8),
    ]


def reach_poses(
    kinematics: ArmKinematics,
    position: ArrayLike,
    rotation: FloatArray,
    start_qpos: ArrayLike,
    restarts: int = RESTARTS,
) -> list[FloatArray]:
    """Distinct joint solutions that put the TCP at a pose: from the current joints first,
    then from seeds spread over the joint ranges (a hand held sideways near the base's own
    height is often in another wrist and elbow branch than the top-down home pose), most
    margin to the joint limits first after the current branch's."""
    robot = kinematics.robot.description
    low, high = np.asarray(robot.arm_lower), np.asarray(robot.arm_upper)
    rng = np.random.default_rng(0)  # the same seeds every time: plans are deterministic
    seeds = [np.asarray(start_qpos, dtype=float)]
    seeds += [low + rng.random(len(low)) * (high - low) for _ in range(restarts)]
    found: list[FloatArray] = []
    for seed in seeds:
        result = kinematics.solve(position, rotation, seed, iterations=100, nullspace_gain=0.0)
        solved = result.position_error <= _SOLVED_POSITION
        solved = solved and result.rotation_error <= _SOLVED_ROTATION
        if solved and all(np.abs(result.qpos - q).max() > 0.1 for q in found):
            found.append(result.qpos)
    margin = [float(np.minimum(q - low, high - q).min()) for q in found]
    order = sorted(range(1, len(found)), key=lambda i: -margin[i])
    return [found[i] for i in ([0] if found else []) + order]


def plan_side_pick_place(
    kinematics: ArmKinematics,
    grasp: SideGrasp,
    goal_xy: Sequence[float],
    goal_top: float,
    start_qpos: ArrayLike,
    start_gripper: float,
    control_hz: int,
    *,
    lift: float = LIFT,
    come_down_from: float | None = None,
) -> JointPlan:
    """Per-frame joint commands of a side pick and place: a joint-space move to the pose
    `STANDOFF` out from the grasp, then minimum-jerk TCP paths with IK at every frame and the
    TCP orientation held; the first joint solution whose whole path solves is used.

    Args:
        kinematics: the arm at its base.
        grasp: the side grasp.
        goal_xy: where the object's axis ends.
        goal_top: the goal surface's height.
        start_qpos: the arm's joints now.
        start_gripper: the gripper command now.
        control_hz: frames per second.
        lift: carry height above the higher of the grasp and the release.
        come_down_from: TCP height over the stand-off where the joint-space move ends; the
            hand then comes straight down to it. Straight to the stand-off, the joint-space
            path from home swept the hand through the bottle it went for (kitchen 241).

    Raises:
        UnreachableError: no joints reach the start pose, or a frame's IK misses by more than
            the controller's tolerance.
    """
    rotation = side_rotation(grasp.heading)
    waypoints = _waypoints(grasp, goal_xy, goal_top, lift)
    start = np.asarray(start_qpos, dtype=float)
    first = reach_poses(kinematics, waypoints[0][1], rotation, start)
    if not first:
        raise UnreachableError(waypoints[0][0], float("inf"))
    failure = UnreachableError(waypoints[0][0], float("inf"))
    for q in first[:MAX_BRANCHES]:
        try:
            down = None
            if come_down_from is not None and come_down_from > waypoints[0][1][2]:
                down = _come_down(kinematics, waypoints[0][1], come_down_from, rotation, q,
                                  control_hz)  # fmt: skip
            return _cartesian_plan(kinematics, waypoints, rotation, start, q, start_gripper,
                                   control_hz, down)  # fmt: skip
        except UnreachableError as exc:
            failure = exc
    raise failure


def _come_down(
    kinematics: ArmKinematics,
    standoff: FloatArray,
    over_z: float,
    rotation: FloatArray,
    q: FloatArray,
    control_hz: int,
) -> FloatArray:
    """Joints coming straight down from `over_z` to the stand-off, (frames + 1, dof), `q`
    last: solved upwards from the stand-off's joints, so the path keeps their branch."""
    over = np.array([standoff[0], standoff[1], over_z])
    seconds = max(0.6, _MIN_JERK_PEAK * (over_z - standoff[2]) / DOWN_SPEED)
    frames = max(1, round(seconds * control_hz))
    path = [q]
    for k in range(1, frames + 1):
        target = standoff + _min_jerk(k / frames) * (over - standoff)
        result = kinematics.solve(target, rotation, path[-1], iterations=20, nullspace_gain=0.0)
        if result.position_error > _IK_POSITION_TOL or result.rotation_error > _IK_ROTATION_TOL:
            raise UnreachableError("approach", result.position_error)
        path.append(result.qpos)
    return np.array(path[::-1])  # a reversed minimum-jerk path is one


def _cartesian_plan(
    kinematics: ArmKinematics,
    waypoints: list[tuple[str, FloatArray, float, float]],
    rotation: FloatArray,
    start: FloatArray,
    q: FloatArray,
    start_gripper: float,
    control_hz: int,
    down: FloatArray | None = None,
) -> JointPlan:
    """A joint-space move from `start` to `q` (the first waypoint's joints; with `down`, to
    its first joints, then down it to `q`), then the rest;
    each segment slowed down where the arm's joint limits ask (`time_scaling.retime`, as the
    top-down plans are). Untimed, the 1.6 s joint-space approach left the Panda 19 cm behind
    its plan and the hand swept a neighbour into the bottle (kitchen 223)."""
    limits = kinematics.robot.description.motion_limits
    phase, position, width, seconds = waypoints[0]
    frames = max(1, round(seconds * control_hz))
    first = q if down is None else down[0]
    path = np.array([start + _min_jerk(k / frames) * (first - start) for k in range(1, frames + 1)])
    segments = [(phase, path, width)]
    if down is not None:
        segments.append((phase, down[1:], width))
    for phase, goal, width, seconds in waypoints[1:]:
        frames = max(1, round(seconds * control_hz))
        solved: list[FloatArray] = []
        for k in range(1, frames + 1):
            target = position + _min_jerk(k / frames) * (goal - position)
            # No pull towards home: the branch `reach_poses` chose is kept (the pull bent the
            # Panda's redundant joints at the first frame, and the joint limits then stretched
            # a 12 cm slide-in to 10 s).
            result = kinematics.solve(target, rotation, q, iterations=20, nullspace_gain=0.0)
            if result.position_error > _IK_POSITION_TOL or result.rotation_error > _IK_ROTATION_TOL:
                raise UnreachableError(phase, result.position_error)
            q = result.qpos
            solved.append(q.copy())
        segments.append((phase, np.array(solved), width))
        position = goal
    arm: list[FloatArray] = []
    gripper: list[float] = []
    phases: list[str] = []
    previous, q, stretched = start_gripper, start, 0
    for phase, joints, width in segments:
        timed = retime(np.vstack([q, joints]), control_hz, limits)
        stretched += len(timed) > len(joints)
        frames = len(timed)
        arm.extend(timed)
        gripper.extend(previous + min(1.0, 2.0 * k / frames) * (width - previous)
                       for k in range(1, frames + 1))  # fmt: skip
        phases.extend([phase] * frames)
        previous, q = width, timed[-1]
    return JointPlan(np.array(arm), np.array(gripper), tuple(phases), stretched)
