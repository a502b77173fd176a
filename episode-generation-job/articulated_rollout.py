"""Run one open or close attempt on the MuJoCo backend and judge it from the joint position.

The robot stands at a station in front of the furniture (`articulated_stations`); the joint
starts where the task says (closed to open, open to close); the arm follows the plan
(`articulated_motion`, `articulated_door_stages`) with lowered gains while it moves the part;
the verdict reads only the joint's final open fraction and whether any robot
geom still touches the part.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import mujoco
import numpy as np
from numpy.typing import NDArray
from pxr import Usd

from episode_generation_job.articulated_motion import (
    COMPLIANT_PHASES,
    MOVE_PHASES,
    exit_waypoints,
    retreat_direction,
    solve_waypoints,
    target_fraction,
)
from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import (
    PEDESTAL_NAME,
    MujocoScene,
    robot_name,
    scene_from_usd,
)
from episode_generation_job.camera_recording import CameraRecorder
from episode_generation_job.controller import JointPlan, UnreachableError
from episode_generation_job.final_state import SETTLE_FRAMES
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from tools.rotations import matrix_to_quat
from tools.scene_manifest import SceneManifest, Transform
from tools.sim import JointHandle
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.sim.usd_joints import joint_handles
from tools.tasks.articulated import ArticulatedTask, judge_fraction
from tools.tasks.geometry import Pose
from tools.tasks.robot_mount import pedestal

COMPLIANT_GAIN = 0.4  # share of the arm's stiffness and damping kept while moving a part
# While the hand holds a handle it grips by force, as the Franka Hand's grasp action does: a
# gain that saturates the finger drive at its force limit (40 N a finger) a few mm short of
# closed. A gain of 800 squeezed a 2 cm bar with ~8 N, and an oven door's friction and
# counterbalance spring (~20 N at the handle) pulled it out of the pads. The Franka's own
# gripper gain now does this for every grasp.
FIRM_GRIP_KP = max(8000.0, franka.GRIPPER_KP)
GRIP_PHASES = frozenset({"close", "pull", "push"})
HELD_MOVES = frozenset({"pull", "push"})  # moving the part by its handle: the grip can be lost
GRIP_CHECK_AFTER = 10  # frames into the move before a lost grip ends it
LOST_WIDTH = 0.004  # the pads closed on nothing
PRIED_WIDTH = 0.05  # the pads forced apart by a handle turning between them


def manifest_at_station(manifest: SceneManifest, base: Pose) -> SceneManifest:
    """The manifest with the robot standing at `base` (no work surface; a raised station's
    pedestal is added by `station_scene`)."""
    pose = Transform(
        position=tuple(float(v) for v in base.position),
        rotation_wxyz=tuple(float(v) for v in base.quat_wxyz),
    )
    robot = manifest.robot.model_copy(update={"base_pose": pose, "work_surface": None})
    return manifest.model_copy(update={"robot": robot})


def station_scene(usd_path: Path, manifest: SceneManifest, base: Pose) -> MujocoScene:
    """The scene without a robot for a station at `base`, with the pedestal under a raised
    base (its floor is the manifest's base height)."""
    scene = scene_from_usd(usd_path, manifest_at_station(manifest, base))
    stand = pedestal(manifest, base)
    if stand is not None:
        scene.spec.worldbody.add_geom(
            name=PEDESTAL_NAME,
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=list(stand.half_extents),
            pos=list(stand.centre),
            rgba=[0.25, 0.25, 0.28, 1.0],
        )
    return scene


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
    backend: MujocoBackend, task: ArticulatedTask, joint: JointHandle, pressed: bool
) -> JointPlan | None:
    """Release and retreat planned from the measured hand pose, backing out along the part's
    measured outward normal, or back along the fingers from a face they `pressed` (None if
    that has no IK path)."""
    base = backend.robot_base
    kinematics = FrankaKinematics(base.position, base.quat_wxyz)
    q = backend.arm_qpos()
    position, rotation = kinematics.forward(q)
    part = float(backend.data.qpos[joint.qpos_adr])
    normal = -rotation[:, 2] if pressed else task.frame.motion(part) @ task.frame.front
    outward = retreat_direction(normal, task.frame.front)
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
    # A staged open lets go between its pull and its push: only the last release is replanned.
    moves = [k for k, phase in enumerate(phases) if phase in MOVE_PHASES]
    last_move = phases[moves[-1]] if moves else ""
    final_release = moves[-1] if moves else 0
    exited = False
    i = 0
    with _arm_gains(backend) as ids, fingers_reach_front(backend, joint):
        while i < len(arm) + SETTLE_FRAMES:
            command = min(i, len(arm) - 1)
            moving = i < len(arm) and phases[i] in HELD_MOVES
            # The exit is planned from where the hand is: at the planned release, or as soon
            # as the grip is lost while moving (the rest of the move would only drag the part).
            released_here = phases[i] == "release" and i > final_release if i < len(arm) else False
            if not exited and i < len(arm) and (released_here or (
                moving and phases[i - GRIP_CHECK_AFTER] in HELD_MOVES and _grip_lost(backend)
            )):  # fmt: skip
                exited = True
                pressed = last_move == "press"
                replanned = _exit_from_here(backend, task, joint, pressed)
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
