"""Run one open or close attempt on the MuJoCo backend and judge it from the joint position.

The robot stands at a station in front of the furniture (`choose_station`: the first candidate
base pose whose whole motion solves by IK); the joint starts where the task says (closed to
open, open to close); the arm follows `articulated_motion`'s plan with lowered gains while it
moves the part; the verdict reads only the joint's final open fraction and whether any robot
geom still touches the part.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import mujoco
import numpy as np
from numpy.typing import NDArray
from pxr import Usd

from episode_generation_job.articulated_motion import (
    COMPLIANT_PHASES,
    articulated_plans,
    contact_task,
    exit_waypoints,
    retreat_direction,
    solve_waypoints,
    target_fraction,
)
from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import robot_name
from episode_generation_job.camera_recording import CameraRecorder
from episode_generation_job.controller import JointPlan, UnreachableError
from episode_generation_job.final_state import SETTLE_FRAMES
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from tools.rotations import matrix_to_quat
from tools.scene_manifest import RoomBounds, SceneManifest, Transform
from tools.sim import JointHandle
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.sim.usd_joints import joint_handles
from tools.tasks.articulated import (
    ArticulatedTask,
    beside_candidates,
    judge_fraction,
    ring_candidates,
    station_candidates,
    sweep_gap,
)
from tools.tasks.geometry import ObjectBox, Pose

COMPLIANT_GAIN = 0.4  # share of the arm's stiffness and damping kept while moving a part
# While the hand holds a handle it grips by force, as the Franka Hand's grasp action does: a
# gain that saturates the finger drive at its force limit (40 N a finger) a few mm short of
# closed. The position gain alone squeezes a 2 cm bar with ~8 N, and an oven door's friction
# and counterbalance spring (~20 N at the handle) pull it out of the pads.
FIRM_GRIP_KP = 10.0 * franka.GRIPPER_KP
GRIP_PHASES = frozenset({"close", "pull", "push"})
HELD_MOVES = frozenset({"pull", "push"})  # moving the part by its handle: the grip can be lost


@dataclass(frozen=True)
class Station:
    """Where the robot stands for a task and the plan it follows from there."""

    base: Pose
    plan: JointPlan
    flip: bool = False


STATION_CLEARANCE = 0.25  # no other object's footprint within this of the robot's base
OWN_CLEARANCE = 0.2  # nor the furniture's own, nor a door's sweep
WALL_CLEARANCE = 0.35  # the base stays this far inside the room's bounds
GRIP_CHECK_AFTER = 10  # frames into the move before a lost grip ends it
LOST_WIDTH = 0.004  # the pads closed on nothing
PRIED_WIDTH = 0.05  # the pads forced apart by a handle turning between them


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
    if frame.kind != "revolute":
        return True
    # The door's sweep over the task's own motion: a door is pressed shut from where it
    # would be at a wider angle.
    span = (frame.position_at(task.start_fraction), frame.position_at(target_fraction(task)))
    return sweep_gap(frame, (x, y), span) >= OWN_CLEARANCE


class Clearance(Protocol):
    """Says whether a plan from a base keeps the arm off the scene (None: clear)."""

    def collision(self, task: ArticulatedTask, base: Pose, plan: JointPlan) -> str | None: ...


def choose_station(
    task: ArticulatedTask,
    boxes: Mapping[str, ObjectBox],
    room: RoomBounds | None = None,
    *,
    skip: int = 0,
    clearance: Clearance | None = None,
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

    Returns:
        The station, or "no_clear_station" / "unreachable" / "collides".
    """
    task = contact_task(task)  # a pressed door: stations round the press point's path
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
    # A flap is worked from beside its sweep, a door closed from around it; else the front first.
    if frame.is_flap:
        candidates = beside + front + ring
    elif frame.kind == "revolute" and not task.opens:
        candidates = ring + beside + front
    else:
        candidates = front + ring + beside
    clear = [b for b in candidates if _clear(b, boxes, task, room)]
    if not clear:
        return "no_clear_station"
    first: Station | None = None
    reached = False
    for base in clear:
        kinematics = FrankaKinematics(base.position, base.quat_wxyz)
        for found in articulated_plans(kinematics, task, franka.HOME_QPOS):
            reached = True
            if clearance is None or clearance.collision(task, base, found[0]) is None:
                break
        else:
            continue
        plan, flip = found
        if skip == 0:
            return Station(base, plan, flip)
        skip -= 1
        first = first or Station(base, plan, flip)
    return first or ("collides" if reached else "unreachable")


def manifest_at_station(manifest: SceneManifest, base: Pose) -> SceneManifest:
    """The manifest with the robot standing on the floor at `base` (no work surface)."""
    pose = Transform(
        position=tuple(float(v) for v in base.position),
        rotation_wxyz=tuple(float(v) for v in base.quat_wxyz),
    )
    robot = manifest.robot.model_copy(update={"base_pose": pose, "work_surface": None})
    return manifest.model_copy(update={"robot": robot})


def scene_joints(backend: MujocoBackend, usd_path: Path) -> dict[str, JointHandle]:
    """The scene's door and drawer joints in the backend's model, by `<object>/<joint>`."""
    return joint_handles(backend.model, Usd.Stage.Open(str(usd_path)))


@contextlib.contextmanager
def _arm_gains(backend: MujocoBackend) -> Iterator[NDArray[np.int64]]:
    """Yield the arm actuator ids, then the gripper's; restore their nominal gains on exit."""
    model = backend.model
    names = (*franka.ARM_ACTUATORS, franka.GRIPPER_ACTUATOR)
    ids = np.array([model.actuator(robot_name(n)).id for n in names])
    gain, bias = model.actuator_gainprm[ids, 0].copy(), model.actuator_biasprm[ids, 1:3].copy()
    try:
        yield ids
    finally:
        model.actuator_gainprm[ids, 0] = gain
        model.actuator_biasprm[ids, 1:3] = bias


def _set_compliance(
    backend: MujocoBackend, ids: NDArray[np.int64], scale: float, firm: bool
) -> None:
    """Scale the arm's gains; grip by force (`firm`) or by the gripper's position gain."""
    kp, kv = np.array(franka.ARM_KP) * scale, np.array(franka.ARM_KV) * scale
    model = backend.model
    model.actuator_gainprm[ids[:-1], 0] = kp
    model.actuator_biasprm[ids[:-1], 1] = -kp
    model.actuator_biasprm[ids[:-1], 2] = -kv
    grip = FIRM_GRIP_KP if firm else franka.GRIPPER_KP
    model.actuator_gainprm[ids[-1], 0] = grip
    model.actuator_biasprm[ids[-1], 1] = -grip


_PAD_BIT = 4  # a contype/conaffinity bit only the finger pads and the moving part share


@contextlib.contextmanager
def fingers_reach_front(backend: MujocoBackend, joint: JointHandle) -> Iterator[None]:
    """Let the finger pads pass the carcass's hulls while they still touch the moving part.

    simready keeps the whole object's convex hulls as the carcass's colliders (parts move
    inside them: parent and child never collide), so those hulls also fill the space of the
    fronts and handles; a pad reaching round a handle would stop on them. Only the pads are
    let through; the hand and the arm links still collide with the carcass.
    """
    model = backend.model
    carcass = int(model.body_parentid[joint.body_id])
    pads = [model.geom(robot_name(name)).id for name in franka.FINGER_PAD_GEOMS]
    part = [g for g in range(model.ngeom) if model.geom_bodyid[g] == joint.body_id]
    hulls = [g for g in range(model.ngeom) if model.geom_bodyid[g] == carcass]
    saved = {g: (int(model.geom_contype[g]), int(model.geom_conaffinity[g]))
             for g in (*pads, *part, *hulls)}  # fmt: skip
    try:
        for g in pads:
            model.geom_contype[g] = model.geom_conaffinity[g] = _PAD_BIT
        for g in part:
            model.geom_contype[g] |= _PAD_BIT
            model.geom_conaffinity[g] |= _PAD_BIT
        yield
    finally:
        for g, (contype, conaffinity) in saved.items():
            model.geom_contype[g], model.geom_conaffinity[g] = contype, conaffinity


def robot_touches(backend: MujocoBackend, body_id: int) -> bool:
    """Whether any robot geom is in contact with the body."""
    model, data = backend.model, backend.data
    for i in range(data.ncon):
        bodies = (int(model.geom_bodyid[data.contact.geom1[i]]),
                  int(model.geom_bodyid[data.contact.geom2[i]]))  # fmt: skip
        if body_id in bodies:
            other = bodies[1] if bodies[0] == body_id else bodies[0]
            if model.body(other).name.startswith(franka.PREFIX):
                return True
    return False


def set_joint(backend: MujocoBackend, joint: JointHandle, fraction: float) -> None:
    """Put a door or drawer at an open fraction, at rest."""
    lo, hi = joint.limits
    backend.data.qpos[joint.qpos_adr] = lo + fraction * (hi - lo)
    backend.data.qvel[joint.dof_adr] = 0.0
    mujoco.mj_forward(backend.model, backend.data)


def _exit_from_here(
    backend: MujocoBackend, task: ArticulatedTask, joint: JointHandle
) -> JointPlan | None:
    """Release and retreat planned from the measured hand pose, backing out along the part's
    measured outward normal (None if that has no IK path)."""
    base = backend.robot_base
    kinematics = FrankaKinematics(base.position, base.quat_wxyz)
    q = backend.arm_qpos()
    position, rotation = kinematics.forward(q)
    part = float(backend.data.qpos[joint.qpos_adr])
    outward = retreat_direction(task.frame.motion(part) @ task.frame.front, task.frame.front)
    try:
        return solve_waypoints(kinematics, exit_waypoints(position, rotation, outward), q)
    except UnreachableError:
        return None


def _grip_lost(backend: MujocoBackend) -> bool:
    """The pads slid off the handle (closed on nothing) or are being pried apart by it."""
    width = backend.gripper_width()
    return width < LOST_WIDTH or width > PRIED_WIDTH


def handle_pose(task: ArticulatedTask, fraction: float) -> NDArray[np.float32]:
    """The handle's pose (x, y, z, qw, qx, qy, qz) with the part at an open fraction: the
    "target" of the dataset's environment state (pick-and-place records its object's pose)."""
    q = task.frame.position_at(fraction)
    quat = matrix_to_quat(task.frame.motion(q))
    return np.array([*task.frame.handle_at(q), *quat], dtype=np.float32)


def run_articulated_episode(
    backend: MujocoBackend,
    task: ArticulatedTask,
    joint: JointHandle,
    plan: JointPlan,
    *,
    render: bool = False,
) -> EpisodeRecord:
    """Reset, set the joint's start position, execute the plan, judge from the joint.

    Args:
        backend: the scene with the robot at the plan's station.
        task: what to open or close.
        joint: the task's joint in the backend's model.
        plan: the station's plan (from the home pose).
        render: record camera images.

    Returns:
        The record: state/action and cameras as in pick-and-place; environment state = the
        handle's pose per frame then its pose at the goal fraction (the same 14 columns as
        pick-and-place's target and goal); verdict with `open_fraction` and `released` checks;
        metadata with the skill, joint, start and end open fractions and the verdict.
    """
    steps_before = backend.physics_steps
    backend.reset(EpisodeInit({}, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH))
    set_joint(backend, joint, task.start_fraction)
    arm, gripper, phases = list(plan.arm), list(plan.gripper), list(plan.phases)
    states: list[NDArray[np.float32]] = []
    actions: list[NDArray[np.float32]] = []
    envs: list[NDArray[np.float32]] = []
    goal = handle_pose(task, target_fraction(task))
    cameras = CameraRecorder(backend)
    exited = False
    i = 0
    with _arm_gains(backend) as ids, fingers_reach_front(backend, joint):
        while i < len(arm) + SETTLE_FRAMES:
            command = min(i, len(arm) - 1)
            moving = i < len(arm) and phases[i] in HELD_MOVES
            # The exit is planned from where the hand is: at the planned release, or as soon
            # as the grip is lost while moving (the rest of the move would only drag the part).
            if not exited and i < len(arm) and (phases[i] == "release" or (
                moving and phases[i - GRIP_CHECK_AFTER] in HELD_MOVES and _grip_lost(backend)
            )):  # fmt: skip
                exited = True
                replanned = _exit_from_here(backend, task, joint)
                if replanned is not None:
                    arm = arm[:i] + list(replanned.arm)
                    gripper = gripper[:i] + list(replanned.gripper)
                    phases = phases[:i] + list(replanned.phases)
                command = min(i, len(arm) - 1)
            compliant = i < len(arm) and phases[command] in COMPLIANT_PHASES
            firm = i < len(arm) and phases[command] in GRIP_PHASES
            _set_compliance(backend, ids, COMPLIANT_GAIN if compliant else 1.0, firm)
            state = np.zeros(8, dtype=np.float32)
            state[:7], state[7] = backend.arm_qpos(), backend.gripper_width()
            states.append(state)
            envs.append(
                np.concatenate([handle_pose(task, joint.open_fraction(backend.data.qpos)), goal])
            )
            action = np.zeros(8, dtype=np.float32)
            action[:7], action[7] = arm[command], gripper[command]
            actions.append(action)
            if render:
                cameras.capture()
            backend.step(action[:7].tolist(), float(action[7]))
            i += 1
    fraction = joint.open_fraction(backend.data.qpos)
    released = not robot_touches(backend, joint.body_id)
    healthy = backend.healthy()
    success, reason = judge_fraction(task.opens, fraction, released)
    if not healthy:
        success, reason = False, "unhealthy"
    checks: dict[str, float | bool] = {
        "open_fraction": fraction, "released": released, "healthy": healthy,
    }  # fmt: skip
    metadata = {
        "task_id": task.task_id,
        "skill": task.skill,
        "object_id": task.object_id,
        "joint": task.joint_name,
        "start_fraction": task.start_fraction,
        "end_fraction": fraction,
        "verdict": reason,
        "checks": checks,
    }
    return EpisodeRecord(
        np.stack(states), np.stack(actions), np.stack(envs), cameras.images(),
        Verdict(success, None if success else reason, checks), metadata,
        backend.physics_steps - steps_before, cameras.recording(),
    )  # fmt: skip
