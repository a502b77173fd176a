"""Planning a pick and place with a grasp sampled on the target's hulls (`ANTIPODAL`).

The target's sampled grasps (`tools.tasks.sampled_grasps`, asset frame = the simulated
body's frame) are placed where it stands now. Best first (the sampler's rank, less for an
approach coming back towards the robot), a grasp is tried when the gripper's boxes stay clear
of the support and of the neighbours' boxes all along its way in and, at the goal, on the way
down and out; the first whose whole plan has joint solutions and keeps the arm off the room
and the furniture is used.

The motion is kept simple: a joint-space move to a hover pose above the stand-off, down to
the stand-off, in along the grasp's approach axis, close, lift straight up, carry level over
whatever lies under the path, lower onto the goal, open, back out along the approach axis.
The hand's orientation is held from the stand-off on, so the object is set down as it stood.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from episode_generation_job.backends.base import CONTROL_HZ, SimBackend
from episode_generation_job.controller import JointPlan, UnreachableError
from episode_generation_job.path_clearance import segment_box_distance_xy
from episode_generation_job.side_attempt import attempt_scene
from episode_generation_job.side_grasp import _cartesian_plan, reach_poses
from tools.grasps.antipodal import AntipodalGrasps, scene_clear
from tools.grasps.gripper_model import GripperModel, gripper_for
from tools.grasps.reach import tcp_rotation
from tools.rotations import quat_to_matrix
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

FloatArray = NDArray[np.float64]
STANDOFF = 0.08  # the hand starts and ends this far back along the approach, fingers open
LIFT = 0.08  # carry at least this far above the higher of grasp and release
OBSTACLE_MARGIN = 0.03  # the held object and the hand clear what lies under the path
CORRIDOR = 0.06  # beyond the target's footprint: obstacles this near the carry path count
PLACE_ABOVE = 0.006  # let go with the object's bottom this far above what is under it
FINGER_CLEARANCE = 0.008  # fingertips this far above what the rays find under them
RAY_START_ABOVE = 0.05  # rays at the goal start this far above its top
CLEAR_MARGIN = 0.004  # gripper boxes keep this far from neighbours' box surfaces
POINT_SPACING = 0.01  # neighbours' boxes are checked at points this far apart
NEAR = 0.3  # neighbours' boxes this near the grasp or the goal are checked
MAX_PLANNED = 4  # grasps (after the clearance checks) whose joint plan is tried
TOWARDS_BASE_PENALTY = 0.3  # rank cost of an approach coming straight back at the robot
CARRY_SPEED = 0.3  # m/s, peak TCP speed carrying the object (it hangs in a friction pinch)
FREE_SPEED = 0.45  # m/s, peak TCP speed of the empty hand
PATH_SAMPLES = 4  # poses checked along each straight move of the open hand
_MIN_JERK_PEAK = 1.875
_SWAP = np.diag([-1.0, -1.0, 1.0])  # TCP half a turn about its approach: fingers swapped

Waypoint = tuple[str, FloatArray, float, float]  # phase, TCP position, gripper, seconds


@dataclass(frozen=True)
class PlacedGrasp:
    """A sampled grasp where the target stands now.

    Attributes:
        pose: the grasp frame in the world (x the approach, y the closing direction).
        width: the object's width between the contacts.
        opening: the finger opening to approach and release with.
        score: the sampler's score less the approach's cost for this robot.
    """

    pose: FloatArray
    width: float
    opening: float
    score: float


def body_pose(backend: SimBackend, object_id: str) -> FloatArray:
    """The 4x4 world pose of an object's body (its asset frame)."""
    pose = backend.object_pose(object_id)
    out = np.eye(4)
    out[:3, :3] = np.asarray(quat_to_matrix(pose.quat_wxyz), dtype=float)
    out[:3, 3] = pose.position
    return out


def ranked_grasps(
    grasps: AntipodalGrasps, object_pose: FloatArray, base_xy: Sequence[float]
) -> list[PlacedGrasp]:
    """The grasps moved to the object's pose, best first: the sampler's score, less
    `TOWARDS_BASE_PENALTY` for an approach whose horizontal part comes back towards the
    robot (the hand would have to reach round the object)."""
    world = object_pose @ grasps.poses
    away = world[:, :2, 3] - np.asarray(base_xy[:2], dtype=float)
    away /= np.maximum(np.linalg.norm(away, axis=1), 1e-9)[:, None]
    towards = np.maximum(0.0, -np.einsum("ij,ij->i", world[:, :2, 0], away))
    scores = grasps.scores - TOWARDS_BASE_PENALTY * towards
    order = np.argsort(-scores, kind="stable")
    return [
        PlacedGrasp(world[i], float(grasps.widths[i]), float(grasps.openings[i]), float(scores[i]))
        for i in order
    ]


def box_points(box: ObjectBox, spacing: float = POINT_SPACING) -> FloatArray:
    """Points on the six faces of an upright box, about `spacing` apart (world)."""
    half = np.asarray(box.half_extents, dtype=float)
    counts = [max(2, math.ceil(2 * h / spacing) + 1) for h in half]
    axes = [np.linspace(-h, h, n) for h, n in zip(half, counts, strict=True)]
    faces = []
    for k in range(3):
        i, j = [a for a in range(3) if a != k]
        u, v = np.meshgrid(axes[i], axes[j], indexing="ij")
        for sign in (-1.0, 1.0):
            face = np.zeros((u.size, 3))
            face[:, i], face[:, j], face[:, k] = u.ravel(), v.ravel(), sign * half[k]
            faces.append(face)
    local = np.vstack(faces)
    c, s = math.cos(box.yaw), math.sin(box.yaw)
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return np.asarray(local @ turn.T + np.asarray(box.centre, dtype=float))


def obstacle_points(boxes: Mapping[str, ObjectBox], near: Sequence[float]) -> FloatArray:
    """Surface points of the boxes whose footprint lies within `NEAR` of the point `near`."""
    parts = [
        box_points(b)
        for b in boxes.values()
        if math.dist(b.centre[:2], near[:2]) <= NEAR + b.footprint_radius
    ]
    return np.vstack(parts) if parts else np.zeros((0, 3))


def hand_clear(
    gripper: GripperModel,
    rotation: FloatArray,
    path: Sequence[FloatArray],
    opening: float,
    points: FloatArray,
    floor: float | None,
) -> bool:
    """Whether the gripper (grasp frame `rotation`, at `opening`) stays clear of `points`
    and `CLEAR_MARGIN` above `floor` at each TCP position of `path`."""
    poses = np.tile(np.eye(4), (len(path), 1, 1))
    poses[:, :3, :3] = rotation
    poses[:, :3, 3] = np.asarray(path, dtype=float)
    n = len(path)
    batch = AntipodalGrasps(poses, np.zeros(n), np.full(n, opening), np.zeros(n),
                            np.zeros(n, dtype=np.int64))  # fmt: skip
    return len(scene_clear(batch, gripper, np.eye(4), points, floor, margin=CLEAR_MARGIN)) == n


def _line(start: FloatArray, end: FloatArray, samples: int = PATH_SAMPLES) -> list[FloatArray]:
    return [start + (end - start) * k / samples for k in range(samples + 1)]


def _lowest_below(gripper: GripperModel, rotation: FloatArray, opening: float) -> FloatArray:
    """The gripper boxes' corners relative to the TCP (world axes), (24, 3)."""
    boxes = gripper.boxes(opening)
    picks = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    corners = np.concatenate([box[picks, [0, 1, 2]] for box in boxes])
    return np.asarray(corners @ rotation.T)


def release_height(
    backend: SimBackend,
    task: PickPlaceTask,
    region: GoalRegion,
    place_xy: FloatArray,
    corners: FloatArray,
    drop: float,
    target: ObjectBox,
) -> float:
    """TCP height at release: the object's bottom `PLACE_ABOVE` over what rays find under
    its footprint at the goal, every gripper corner `FINGER_CLEARANCE` over what lies under
    it (a container's wall and floor); where the engine has no rays, on the region's top."""
    top = region.surface_z + RAY_START_ABOVE
    narrow = min(target.half_extents[:2])
    disc = [(region.centre[0] + narrow * math.cos(a), region.centre[1] + narrow * math.sin(a))
            for a in np.linspace(0, 2 * math.pi, 12, endpoint=False)]  # fmt: skip
    centre = (float(region.centre[0]), float(region.centre[1]))
    under = backend.heights_below([centre, *disc], top, task.target_id)
    at = [(float(place_xy[0] + c[0]), float(place_xy[1] + c[1])) for c in corners]
    fingers = backend.heights_below(at, top, task.target_id)
    if under is None or fingers is None:
        return region.surface_z + drop + PLACE_ABOVE
    z = max(under) + PLACE_ABOVE + drop
    for height, corner in zip(fingers, corners, strict=True):
        z = max(z, height + FINGER_CLEARANCE - corner[2])
    return min(z, region.surface_z + drop + PLACE_ABOVE) if region.relation == "on" else z


def _carry_height(
    start: FloatArray,
    end: FloatArray,
    below: float,
    target: ObjectBox,
    obstacles: Mapping[str, ObjectBox],
) -> float:
    """TCP height carrying the object (and the hand, reaching `below` under the TCP) over
    every obstacle near the straight path, and `LIFT` above both ends."""
    reach = target.footprint_radius + CORRIDOR
    tops = [
        b.top
        for b in obstacles.values()
        if segment_box_distance_xy(tuple(start), tuple(end), b) <= reach
    ]
    highest = max(tops, default=-math.inf) + below + OBSTACLE_MARGIN
    return max(float(max(start[2], end[2])) + LIFT, highest)


def _seconds(start: FloatArray, end: FloatArray, speed: float, floor: float) -> float:
    return max(floor, _MIN_JERK_PEAK * float(np.linalg.norm(end - start)) / speed)


def waypoints(
    grasp: PlacedGrasp, place: FloatArray, carry_z: float, hover_z: float
) -> list[Waypoint]:
    """Key TCP poses (phase, position, gripper, seconds) of the pick and place."""
    approach = grasp.pose[:3, 0]
    at = grasp.pose[:3, 3]
    standoff, out = at - STANDOFF * approach, place - STANDOFF * approach
    hover = np.array([standoff[0], standoff[1], max(hover_z, standoff[2])])
    lifted, above = np.array([*at[:2], carry_z]), np.array([*place[:2], carry_z])
    return [
        ("approach", hover, grasp.opening, 1.6),
        ("descend", standoff, grasp.opening, _seconds(hover, standoff, FREE_SPEED, 0.4)),
        ("reach", at, grasp.opening, 1.0),
        ("close", at, 0.0, 0.6),
        ("lift", lifted, 0.0, _seconds(at, lifted, CARRY_SPEED, 1.0)),
        ("transport", above, 0.0, _seconds(lifted, above, CARRY_SPEED, 1.2)),
        ("lower", place, 0.0, _seconds(above, place, CARRY_SPEED, 1.0)),
        ("release", place, grasp.opening, 0.5),
        ("retreat", out, grasp.opening, 0.8),
    ]


def finger_orders(rotation: FloatArray, current: FloatArray) -> list[FloatArray]:
    """The TCP rotation and its fingers-swapped twin, the one nearer `current` first."""
    swapped = rotation @ _SWAP
    turn = [float(np.trace(current.T @ r)) for r in (rotation, swapped)]
    return [rotation, swapped] if turn[0] >= turn[1] else [swapped, rotation]


def plan_antipodal_attempt(
    backend: SimBackend, kinematics: ArmKinematics, task: PickPlaceTask, gripper: float
) -> tuple[JointPlan, GoalRegion, ObjectBox, float] | str:
    """Plan a pick and place with the target's sampled grasps from the backend's state.

    Args:
        backend: the scene, already reset.
        kinematics: the arm at the base pose.
        task: what to do (its grasp is `tools.tasks.skills.ANTIPODAL`, `task.sampled` set).
        gripper: the gripper command at the start.

    Returns:
        (joint plan, goal region, target box, grasp width) of the first grasp whose plan
        passes, or why none did: "not_graspable" (no grasp clear of the support and the
        neighbours at the target or the goal), "unreachable", "arm_collision",
        "not_into_container" (a container goal: not planned with sampled grasps yet).
    """
    if task.sampled is None or not len(task.sampled.grasps):
        return "not_graspable"
    if task.relation == "in":
        # Not yet: an apple released into a bowl at the measured depth ended on the rim
        # 12-15 cm up, propped on the open fingers (kitchen 241, Franka, 2 of 2).
        return "not_into_container"
    target, support_top, region, others, at_goal = attempt_scene(backend, task)
    from episode_generation_job.rollout import landing_region  # rollout imports this module

    landing = landing_region(backend, task, region)
    here = obstacle_points(others, target.centre)
    there = obstacle_points(at_goal, (*region.centre, region.surface_z))
    hand = gripper_for(kinematics.robot.description)
    base = backend.robot_base
    start = backend.arm_qpos()
    _, current = kinematics.forward(start)
    reason, planned = "not_graspable", 0
    for grasp in ranked_grasps(task.sampled.grasps, body_pose(backend, task.target_id),
                               base.position):  # fmt: skip
        if planned == MAX_PLANNED:
            break
        rotation = grasp.pose[:3, :3]
        at, approach = grasp.pose[:3, 3], grasp.pose[:3, 0]
        corners = _lowest_below(hand, rotation, grasp.width)
        drop = float(at[2] - target.bottom)
        offset = at[:2] - np.asarray(target.centre[:2])
        place_xy = np.asarray(landing.centre) + offset
        place_z = release_height(backend, task, landing, place_xy, corners, drop, target)
        place = np.array([*place_xy, place_z])
        below = max(drop, -float(corners[:, 2].min()))
        carry_z = _carry_height(at, place, below, target, at_goal)
        hover_z = max(b.top for b in [target, *others.values()]
                      if math.dist(b.centre[:2], at[:2]) <= NEAR) + OBSTACLE_MARGIN  # fmt: skip
        hover_z += max(0.0, -float(_lowest_below(hand, rotation, grasp.opening)[:, 2].min()))
        standoff = at - STANDOFF * approach
        hover = np.array([standoff[0], standoff[1], max(hover_z, standoff[2])])
        way_in = _line(hover, standoff) + _line(standoff, at)
        if not hand_clear(hand, rotation, way_in, grasp.opening, here, support_top):
            continue
        way_out = _line(place, place - STANDOFF * approach)
        down = _line(np.array([*place_xy, carry_z]), place)
        if not hand_clear(hand, rotation, way_out, grasp.opening, there, None) or not hand_clear(
            hand, rotation, down, grasp.width, there, None
        ):
            continue
        planned += 1
        steps = waypoints(grasp, place, carry_z, hover_z)
        for tcp in finger_orders(tcp_rotation(grasp.pose), current):
            plan = _joint_plan(kinematics, steps, tcp, start, gripper)
            if plan is None:
                reason = "unreachable"
                continue
            if backend.arm_path_collisions(plan.arm):
                reason = "arm_collision"
                continue
            return plan, region, target, grasp.width
    return reason


def _joint_plan(
    kinematics: ArmKinematics,
    steps: list[Waypoint],
    rotation: FloatArray,
    start: FloatArray,
    gripper: float,
) -> JointPlan | None:
    """The joint plan of the waypoints with the TCP held at `rotation` (None: no joints
    reach the first pose, or the path leaves the IK's tolerance on every branch tried)."""
    for q in reach_poses(kinematics, steps[0][1], rotation, start)[:2]:
        try:
            return _cartesian_plan(kinematics, steps, rotation, start, q, gripper, CONTROL_HZ)
        except UnreachableError:
            continue
    return None
