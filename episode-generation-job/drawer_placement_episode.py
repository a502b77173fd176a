"""One scripted pick-and-place into an opened drawer on the MuJoCo backend, judged from the
simulated state (`tools.tasks.drawer_placement`).

The drawer starts where the task says (open), the object where the episode's initial
conditions put it; the grasp and the top-down motion are pick-and-place's (`plan_grasp`,
`plan_pick_place`: the drawer's exposed tray is an "in" goal, so the fingertips stay above its
rim and the object drops a short way onto the tray floor); the verdict reads the drawer's joint
position and the object's box, speed and contacts after the settle frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from episode_generation_job.articulated_rollout import set_joint
from episode_generation_job.backends.base import CONTROL_HZ, EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.camera_recording import CameraRecorder
from episode_generation_job.controller import JointPlan, UnreachableError, plan_joints
from episode_generation_job.final_state import SETTLE_FRAMES
from episode_generation_job.grasp import plan_grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.rim_grasp import plan_rim_grasp
from tools.sim import JointHandle
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.drawer_placement import DrawerPlacementTask, exposed_region, judge_in_drawer
from tools.tasks.geometry import ObjectBox, Pose, yaw_quat


@dataclass(frozen=True)
class Frames:
    """What an attempt recorded per frame: robot state, action, the target's pose then the
    goal's (14 columns, as pick-and-place), and the cameras."""

    states: NDArray[np.float32]
    actions: NDArray[np.float32]
    env: NDArray[np.float32]
    cameras: CameraRecorder
    physics_steps: int


@dataclass(frozen=True)
class DrawerPlacementOutcome:
    """The verdict of one attempt and what it read."""

    success: bool
    reason: str
    checks: dict[str, float | bool]
    frames: int
    recorded: Frames | None = None


def plan_drawer_placement(
    backend: MujocoBackend,
    kinematics: ArmKinematics,
    task: DrawerPlacementTask,
    q: float,
    gripper: float,
) -> JointPlan | str:
    """The joint plan from the backend's current state with the drawer at `q`, or why there is
    none ("not_graspable", "unreachable", "drawer_closed")."""
    boxes = backend.object_boxes()
    return placement_plan(
        kinematics, backend.robot_base, boxes, task, q, backend.arm_qpos(), gripper
    )


def placement_plan(
    kinematics: ArmKinematics,
    base: Pose,
    boxes: Mapping[str, ObjectBox],
    task: DrawerPlacementTask,
    q: float,
    arm_qpos: ArrayLike,
    gripper: float,
) -> JointPlan | str:
    """The joint plan of the arm standing at `base` (`kinematics`' base) from `arm_qpos`, the
    objects at `boxes` and the drawer at `q`, or why there is none ("not_graspable",
    "unreachable", "drawer_closed")."""
    target = boxes[task.target_id]
    support_top = boxes[task.support_id].top if task.support_id in boxes else target.bottom
    try:
        region = exposed_region(task.frame, q)
    except ValueError:
        return "drawer_closed"
    # The furniture is the goal and (often) the support: the "in" goal's rim keeps the hand
    # over it; other objects standing higher than the support are cleared.
    obstacles = {
        k: b for k, b in boxes.items()
        if k not in (task.target_id, task.support_id, task.object_id) and b.top > support_top
    }  # fmt: skip
    arm = kinematics.robot.description
    if task.rim is not None:  # wider than the pinch, open on top: held by its rim
        grasp = plan_rim_grasp(
            target, task.rim, support_top, base.position, base.yaw, obstacles, robot=arm
        )
    else:
        grasp = plan_grasp(target, support_top, base.yaw, obstacles, robot=arm)
    if grasp is None:
        return "not_graspable"
    segments = plan_pick_place(grasp, target, region, obstacles, support_top=support_top)
    try:
        return plan_joints(kinematics, segments, arm_qpos, gripper, CONTROL_HZ)
    except UnreachableError:
        return "unreachable"


def run_drawer_placement(
    backend: MujocoBackend,
    kinematics: ArmKinematics,
    task: DrawerPlacementTask,
    joint: JointHandle,
    init: EpisodeInit,
    *,
    render: bool = False,
) -> DrawerPlacementOutcome:
    """Reset, open the drawer to the task's fraction, plan, execute, settle, judge.

    The drawer is opened by setting its joint at reset (as the replicator's joint
    randomization leaves it), not by the robot.

    Args:
        backend: the scene with the robot where `kinematics` says.
        kinematics: the arm at the backend's base pose.
        task: what to put where.
        joint: the drawer's joint in the backend's model.
        init: initial conditions (object poses, arm).
        render: record camera images.

    Returns:
        The outcome with its frames; a refused plan has no frames and its reason.
    """
    steps_before = backend.physics_steps
    backend.reset(init)
    set_joint(backend, joint, task.open_fraction)
    q = float(backend.data.qpos[joint.qpos_adr])
    plan = plan_drawer_placement(backend, kinematics, task, q, init.gripper_width)
    if isinstance(plan, str):
        return DrawerPlacementOutcome(False, plan, {}, 0)
    region = exposed_region(task.frame, q)
    goal = np.array(
        [*region.centre, region.floor_z, *yaw_quat(region.yaw)], dtype=np.float32
    )  # the goal's pose: the exposed tray floor's centre, turned like the drawer
    states: list[NDArray[np.float32]] = []
    actions: list[NDArray[np.float32]] = []
    envs: list[NDArray[np.float32]] = []
    cameras = CameraRecorder(backend)
    frames = len(plan) + SETTLE_FRAMES
    for i in range(frames):
        command = min(i, len(plan) - 1)
        states.append(np.array([*backend.arm_qpos(), backend.gripper_width()], dtype=np.float32))
        target = backend.object_pose(task.target_id).as_array()
        envs.append(np.concatenate([target.astype(np.float32), goal]))
        action = np.array([*plan.arm[command], plan.gripper[command]], dtype=np.float32)
        actions.append(action)
        if render:
            cameras.capture()
        backend.step(plan.arm[command].tolist(), float(plan.gripper[command]))
    final = float(backend.data.qpos[joint.qpos_adr])
    box = backend.object_boxes()[task.target_id]
    speeds = backend.object_speeds(task.target_id)
    held = backend.fingers_touch(task.target_id)
    success, reason, checks = judge_in_drawer(task.frame, final, box, speeds, held)
    steps = backend.physics_steps - steps_before
    recorded = Frames(np.stack(states), np.stack(actions), np.stack(envs), cameras, steps)
    return DrawerPlacementOutcome(success, reason, checks, frames, recorded)
