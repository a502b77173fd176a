"""Run one pick-and-place attempt on a backend and record it frame by frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from episode_generation_job.antipodal_attempt import plan_antipodal_attempt
from episode_generation_job.backends.base import CONTROL_HZ, EpisodeInit, SimBackend
from episode_generation_job.camera_recording import CameraRecorder, CameraRecording
from episode_generation_job.container_descent import measure_inside
from episode_generation_job.controller import JointPlan, UnreachableError, plan_joints
from episode_generation_job.final_state import (
    FINAL_STATE_COLUMN,
    SETTLE_FRAMES,
    WINDOW_FRAMES,
    WindowSampler,
    encode,
    observation_record,
    observe_final_state,
)
from episode_generation_job.grasp import FINGERTIP_BELOW_TCP, Grasp, plan_grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.rim_grasp import plan_rim_grasp
from episode_generation_job.shelf_motion import plan_into_slot
from episode_generation_job.side_attempt import plan_side_attempt
from episode_generation_job.skill_judges import judge_skill
from episode_generation_job.success import Verdict
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox, Pose, yaw_quat
from tools.tasks.receptacles import MIN_OPEN_DEPTH
from tools.tasks.skills import ANTIPODAL, RIM, SIDE
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

if TYPE_CHECKING:
    from episode_generation_job.replay_record import ReplayRecorder

STATE_NAMES = (*(f"joint_{i}" for i in range(1, 8)), "gripper_width")  # the Panda's


def state_names(dof: int) -> tuple[str, ...]:
    """Names of `observation.state` for an arm of `dof` joints: joints, then the gripper."""
    return (*(f"joint_{i}" for i in range(1, dof + 1)), "gripper_width")


POSE_NAMES = ("x", "y", "z", "qw", "qx", "qy", "qz")
ENV_STATE_NAMES = tuple(f"target.{n}" for n in POSE_NAMES) + tuple(f"goal.{n}" for n in POSE_NAMES)
_SURFACE_TOLERANCE = 0.005
MIN_PAD_OVERLAP = 0.01  # the pads must cover at least this much of the target's side


@dataclass
class EpisodeRecord:
    """One attempt: per-frame arrays, images per camera, the verdict and what to keep with it.

    Attributes:
        state: (T, dof + 1) arm joint positions and gripper width.
        action: (T, dof + 1) arm joint targets and gripper command.
        environment_state: (T, 14) target pose then goal pose (x, y, z, qw, qx, qy, qz).
        images: camera -> (T, H, W, 3) uint8.
        cameras: depth / segmentation / camera-pose columns and the cameras' documents.
        verdict: success and checks.
        metadata: task, goal region and measurements to store with the episode.
        physics_steps: physics steps the attempt took (0 when refused before simulating).
    """

    state: NDArray[np.float32]
    action: NDArray[np.float32]
    environment_state: NDArray[np.float32]
    images: dict[str, NDArray[np.uint8]]
    verdict: Verdict
    metadata: dict[str, Any] = field(default_factory=dict)
    physics_steps: int = 0
    cameras: CameraRecording = field(default_factory=CameraRecording)

    @property
    def length(self) -> int:
        """Number of frames."""
        return int(self.state.shape[0])


def region_dict(region: GoalRegion) -> dict[str, Any]:
    """A goal region as plain JSON values."""
    return {
        "centre": list(region.centre),
        "half_extents": list(region.half_extents),
        "yaw": region.yaw,
        "surface_z": region.surface_z,
        "relation": region.relation,
        "bottom_z": region.floor_z,
    }


def refused_record(task: PickPlaceTask, reason: str, dof: int = 7) -> EpisodeRecord:
    """The record of an attempt refused before simulating (no frames, failed verdict)."""
    empty = np.zeros((0, dof + 1), dtype=np.float32)
    return EpisodeRecord(
        empty, empty, np.zeros((0, 14), dtype=np.float32), {}, Verdict(False, reason),
        {"task_id": task.task_id},
    )  # fmt: skip


def _obstacles(
    boxes: dict[str, ObjectBox], task: PickPlaceTask, floor: float
) -> dict[str, ObjectBox]:
    """Everything standing above the surface the target starts on, except the target."""
    return {
        k: b for k, b in boxes.items()
        if k not in (task.target_id, task.support_id) and b.top > floor + _SURFACE_TOLERANCE
    }  # fmt: skip


def _goal_pose(
    backend: SimBackend, task: PickPlaceTask, region: GoalRegion, free: set[str]
) -> Pose:
    """The goal object's pose if it can move, else the fixed goal region's centre."""
    if task.goal_id in free:
        return backend.object_pose(task.goal_id)
    x, y = region.centre
    return Pose.of((x, y, region.surface_z), yaw_quat(region.yaw))


def _pads_reach(target: ObjectBox, grasp: Grasp) -> bool:
    """Whether the pads at the grasp cover enough of the target's side to hold it.

    Grasps keep the fingertips above the support's top; an object standing lower, in a recess
    of its support (a sink, a basin, deep in a bowl), is then pinched over air: the Franka
    closed on nothing over apples a layout had dropped into a kitchen sink (8 of 16 attempts
    of a bench kitchen failed `not_lifted`).
    """
    pad_bottom = max(grasp.position[2] - FINGERTIP_BELOW_TCP, target.bottom)
    return target.top - pad_bottom >= MIN_PAD_OVERLAP


def landing_region(backend: SimBackend, task: PickPlaceTask, region: GoalRegion) -> GoalRegion:
    """The region the motion sets the target down on: a dished receptacle's floor, not its rim.

    A plate's top is its rim; its centre lies up to `MIN_OPEN_DEPTH` lower. Released at the
    rim's height an apple fell about 2 cm into the dish and rolled over (kitchen 116, xArm6:
    3 of 9 attempts not_upright). The judge still measures from the rim.
    """
    if region.relation != "on" or task.goal_id not in backend.free_objects():
        return region  # a container (lowered inside already) or the fixed work surface
    depth = backend.open_top_depth(task.goal_id)
    if depth is None or not 0.0 < depth < MIN_OPEN_DEPTH:
        return region
    return replace(region, surface_z=region.surface_z - depth)


def plan_attempt(
    backend: SimBackend, kinematics: ArmKinematics, task: PickPlaceTask, gripper: float
) -> tuple[JointPlan, GoalRegion, ObjectBox, float] | str:
    """Plan a pick and place from the backend's current state.

    Args:
        backend: the scene, already reset.
        kinematics: the arm's kinematics at the base pose.
        task: what to do.
        gripper: the gripper command at the start.

    Returns:
        (joint plan, goal region, target box, grasp width), or the reason it cannot be done
        ("not_graspable": no grasp, or its pads would close above the target;
        "unreachable"; "arm_collision": a link would run into the room or the furniture).
    """
    if task.grasp == SIDE:
        return plan_side_attempt(backend, kinematics, task, gripper)
    if task.grasp == ANTIPODAL:
        return plan_antipodal_attempt(backend, kinematics, task, gripper)
    boxes = backend.object_boxes()
    target = boxes[task.target_id]
    support_top = boxes[task.support_id].top if task.support_id in boxes else target.bottom
    obstacles = _obstacles(boxes, task, support_top)
    base = backend.robot_base
    arm = kinematics.robot.description
    if task.grasp == RIM and task.rim is not None:
        grasp = plan_rim_grasp(
            target, task.rim, support_top, base.position, base.yaw, obstacles, robot=arm
        )
    else:
        grasp = plan_grasp(target, support_top, base.yaw, obstacles, robot=arm)
    if grasp is None or not _pads_reach(target, grasp):
        return "not_graspable"
    region = task.goal_region(boxes[task.goal_id], target.footprint_radius)
    landing = landing_region(backend, task, region)
    widest = arm.gripper_max_width_m
    inside = None
    if region.relation == "in":
        inside = measure_inside(backend, region, target, grasp, task.target_id, widest)
    segments = plan_pick_place(
        grasp, target, landing, obstacles, support_top=support_top, inside=inside, widest=widest
    )
    refusal = None
    try:
        plan = plan_joints(kinematics, segments, backend.arm_qpos(), gripper, CONTROL_HZ)
        refusal = "arm_collision" if backend.arm_path_collisions(plan.arm) else None
    except UnreachableError:
        refusal = "unreachable"
    if refusal is not None and task.surface is not None and task.surface.headroom is not None:
        # A board over the goal: in through the slot's open side instead of over the top.
        around = plan_into_slot(
            backend, kinematics, grasp, target, landing, task.surface, task.support_id,
            support_top, gripper,
        )  # fmt: skip
        if around is not None and not backend.arm_path_collisions(around.arm):
            plan, refusal = around, None
    if refusal is not None:
        return refusal
    return plan, region, target, grasp.width


def run_episode(
    backend: SimBackend,
    kinematics: ArmKinematics,
    task: PickPlaceTask,
    init: EpisodeInit,
    *,
    render: bool = True,
    on_frame: Callable[[int], None] | None = None,
    recorder: ReplayRecorder | None = None,
) -> EpisodeRecord:
    """Reset, plan from the simulated state, execute at the control rate, judge from sim state.

    Args:
        backend: the loaded scene.
        kinematics: the arm's kinematics at the backend's base pose.
        task: what to do.
        init: initial conditions.
        render: record camera images.
        on_frame: called with the frame index before each rendered frame (per-frame
            randomizers); never touches physics.
        recorder: records the initial state and model for the replay certificate.

    Returns:
        The record; refused attempts (not graspable, unreachable) have no frames.
    """
    steps_before = backend.physics_steps
    backend.reset(init)
    planned = plan_attempt(backend, kinematics, task, init.gripper_width)
    dof = kinematics.robot.dof
    if isinstance(planned, str):
        return refused_record(task, planned, dof)
    plan, region, target, grasp_width = planned
    free = set(backend.free_objects())
    start = {oid: backend.object_pose(oid) for oid in free}
    start_z = start[task.target_id].position[2]
    # The arm holds its last command for a settle period, recorded like any frame, so the
    # judged state is the dataset's last frame and not a moment right after the release.
    frames = len(plan) + SETTLE_FRAMES
    sampler = WindowSampler(backend, task.target_id, task.goal_id)
    state = np.zeros((frames, dof + 1), dtype=np.float32)
    action = np.zeros((frames, dof + 1), dtype=np.float32)
    env = np.zeros((frames, 14), dtype=np.float32)
    cameras = CameraRecorder(backend)
    max_lift = 0.0
    previous = start[task.target_id]
    if recorder is not None:
        recorder.begin(task.target_id, task.goal_id, task.goal_id in free)
    for i in range(frames):
        target_pose = backend.object_pose(task.target_id)
        state[i, :dof] = backend.arm_qpos()
        state[i, dof] = backend.gripper_width()
        env[i, :7] = target_pose.as_array()
        env[i, 7:] = _goal_pose(backend, task, region, free).as_array()
        command = min(i, len(plan) - 1)
        action[i, :dof] = plan.arm[command]
        action[i, dof] = plan.gripper[command]
        if render:
            if on_frame is not None:
                on_frame(i)
            cameras.capture()
        max_lift = max(max_lift, target_pose.position[2] - start_z)
        previous = target_pose
        # Step with the recorded float32 action itself, so the dataset replays bit for bit.
        backend.step(action[i, :dof].tolist(), float(action[i, dof]))
        if i >= frames - WINDOW_FRAMES:
            sampler.sample()
    if recorder is not None:
        recorder.finish()
    observation = observe_final_state(
        backend, task, start=start, target_box=target, max_lift=max_lift, previous=previous,
        sampler=sampler,
    )  # fmt: skip
    final_region = observation.goal
    verdict = judge_skill(task.skill, task.target_id, task.goal_id, observation)
    metadata = {
        "task_id": task.task_id,
        "skill": task.skill,
        "grasp": task.grasp,
        "height_change_m": task.height_change,
        "target_id": task.target_id,
        "goal_id": task.goal_id,
        "goal_region": region_dict(final_region),
        "target_bottom_offset": observation.target_bottom_offset,
        "grasp_width": grasp_width,
        "limit_stretched_segments": plan.stretched_segments,
        # shelf_motion.AroundPlan: "mink". Its planning CPU (a timing) is never written here:
        # the dataset is byte-identical across runs and shard counts.
        "planner": getattr(plan, "planner", "lift_over"),
        "checks": verdict.checks,
        FINAL_STATE_COLUMN: encode(
            observation_record(task.target_id, task.goal_id, observation, task.skill)
        ),
    }
    return EpisodeRecord(
        state, action, env, cameras.images(), verdict, metadata,
        backend.physics_steps - steps_before, cameras.recording(),
    )  # fmt: skip
