"""The one source of per-episode randomization: the replicator bundle's randomizers, or jitter."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from episode_generation_job.backends.base import EpisodeInit, SimBackend
from episode_generation_job.randomization import home_pose, sample_init
from episode_generation_job.randomization_record import (
    Values,
    bundle_record,
    episode_values,
    jitter_values,
    jittered_camera,
    none_record,
    per_frame_randomizers,
)
from episode_generation_job.rollout import plan_attempt
from tools.randomization import (
    BundleConfig,
    EpisodeRandomization,
    PlacementError,
    sample_frame_randomization,
)
from tools.scene_manifest import SceneManifest
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.robot_mount import scene_camera_pose
from tools.tasks.task_specifier import PickPlaceTask, nearest_free_square

Mode = Literal["bundle", "none"]
MAX_DRAWS = 24  # layouts tried per attempt before it is refused as "no_feasible_layout"
# Horizontal distances from the robot base where scattered targets are kept (the robot
# description's target band: grasps near the edges of its reach fail more often); the Panda's,
# each robot's own is `RobotDescription.target_band_m`.
TARGET_REACH = franka.DESCRIPTION.target_band_m
FrameHook = Callable[[int], None]


@dataclass(frozen=True)
class RestState:
    """The scene at rest, measured once per session: what the jitter of mode `none` starts from.

    Attributes:
        poses: free object id -> pose at rest.
        boxes: every object's box at rest.
        supports: object id -> the id of the object it stands on (manifest relationships).
    """

    poses: Mapping[str, Pose]
    boxes: Mapping[str, ObjectBox]
    supports: Mapping[str, str | None]


@dataclass(frozen=True)
class EpisodeConditions:
    """How one attempt starts and what it records.

    Attributes:
        task: the task to run (a surface goal fitted to the layout).
        init: the initial conditions for `reset`.
        record: every randomized value, JSON-ready (the dataset's `randomization` column).
        values: flat numbers summarizing it (the `randomization_values/*` columns).
        on_frame: applies the per-frame randomizers before frame i is recorded (None: none).
    """

    task: PickPlaceTask
    init: EpisodeInit
    record: dict[str, Any]
    values: Values = field(default_factory=dict)
    on_frame: FrameHook | None = None


def fit_task(
    backend: SimBackend, kinematics: ArmKinematics, task: PickPlaceTask
) -> PickPlaceTask | str:
    """The task fitted to the backend's current (reset) layout, or why it cannot be done.

    The target must start within the robot's target band of the base. A surface goal ("the
    right side of the table", a shelf board) moves to the free square of its side nearest to
    its nominal spot, so scattered objects never occupy it; object goals follow their object.

    Args:
        backend: the scene after `reset`.
        kinematics: the arm's kinematics at the base pose.
        task: the attempt's task.

    Returns:
        The task to run, or "target_out_of_reach", "goal_occupied", "not_graspable",
        "unreachable", "arm_collision" or "arm_on_neighbour" (a link of the planned arm
        through a free object other than the target).
    """
    base = backend.robot_base
    target = backend.object_pose(task.target_id).position
    distance = math.hypot(target[0] - base.position[0], target[1] - base.position[1])
    low, high = kinematics.robot.description.target_band_m
    if not low <= distance <= high:
        return "target_out_of_reach"
    if task.region is not None and task.side is not None:
        boxes = backend.object_boxes()
        band = kinematics.robot.description.goal_band_m
        surface = task.surface or task.goal_id  # a shelf board, or the goal's box top
        region = nearest_free_square(
            surface, boxes, base, task.side, task.region.centre, band, task.target_id
        )
        if region is None:
            return "goal_occupied"
        task = replace(task, region=region)
    planned = plan_attempt(backend, kinematics, task, kinematics.robot.open_width)
    if isinstance(planned, str):
        return planned
    # A forearm through a neighbour the layout put in its way: draw another layout. (At
    # rest a task keeps its plan; the judges see a neighbour pushed aside.)
    if backend.arm_path_collisions(planned[0].arm, task.target_id):
        return "arm_on_neighbour"
    return task


def _start_poses(rest: Mapping[str, Pose], sample: EpisodeRandomization) -> dict[str, Pose]:
    poses = dict(rest)
    for placement in sample.placements:
        poses[placement.object_id] = Pose.of(placement.pose.position, placement.pose.rotation_wxyz)
    for distractor in sample.distractors:
        poses[distractor.name] = Pose.of(distractor.pose.position, distractor.pose.rotation_wxyz)
    return poses


class EpisodeRandomizer:
    """Owns the randomization mode and, in mode `bundle`, the policy's config.

    `bundle`: each attempt draws the bundle's randomizers (object scatter, distractors, light,
    colours, scene camera, masses and frictions) from its seed and keeps the first layout in
    which the task stays feasible (target within comfortable reach and graspable, the plan
    solvable; a surface goal moves to the nearest free square of its side). The robot's home
    jitter, which the bundle does not cover, comes from the same seed.
    `none`: the job's small on-support object jitter and home jitter only, drawn as before.

    Args:
        bundle: the policy config (None: mode `none`).
        manifest: the scene contract.
        max_draws: layouts tried per attempt.
    """

    def __init__(
        self, bundle: BundleConfig | None, manifest: SceneManifest, *, max_draws: int = MAX_DRAWS
    ) -> None:
        self.bundle = bundle
        self.manifest = manifest
        self.max_draws = max_draws

    @property
    def mode(self) -> Mode:
        """`bundle` or `none`."""
        return "none" if self.bundle is None else "bundle"

    def conditions(
        self,
        backend: SimBackend,
        kinematics: ArmKinematics,
        task: PickPlaceTask,
        rest: RestState,
        seed: int,
        *,
        render: bool = True,
    ) -> EpisodeConditions | str:
        """Draw an attempt's initial conditions from its seed (same seed, same values).

        Args:
            backend: the loaded scene (its state and model parameters are changed).
            kinematics: the arm's kinematics at the base pose.
            task: the attempt's task.
            rest: the scene at rest.
            seed: the attempt's seed.
            render: frames will be rendered (per-frame randomizers only matter then).

        Returns:
            The conditions (with the backend already randomized), or the reason no feasible
            layout was found within `max_draws`.
        """
        rng = np.random.default_rng(seed)
        robot = kinematics.robot
        if self.bundle is None:
            init = sample_init(rng, rest.poses, rest.boxes, rest.supports, robot=robot)
            values = jitter_values(task, init, rest.boxes, robot.home_qpos)
            return EpisodeConditions(task, init, none_record(seed, init, robot.home_qpos), values)
        bundle_rng, robot_rng, frame_rng = rng.spawn(3)
        home = home_pose(robot_rng, robot=robot)
        nominal_camera = scene_camera_pose(backend.robot_base)
        rejected: Counter[str] = Counter()
        for draw in range(1, self.max_draws + 1):
            try:
                sample = backend.randomize(self.bundle, self.manifest, bundle_rng, seed)
            except PlacementError:
                rejected["no_layout"] += 1
                continue
            camera = None
            if sample.camera is not None:
                camera = jittered_camera(nominal_camera, sample.camera, self.bundle)
                backend.set_scene_camera(camera)
            init = EpisodeInit(_start_poses(rest.poses, sample), home, robot.open_width)
            backend.reset(init)
            fitted = fit_task(backend, kinematics, task)
            if isinstance(fitted, str):
                rejected[fitted] += 1
                continue
            frames = per_frame_randomizers(self.bundle, sample) if render else ()
            record = bundle_record(
                sample, home, camera, draw, dict(rejected), frames, robot.home_qpos
            )
            hook = self._frame_hook(backend, frame_rng, nominal_camera) if frames else None
            values = episode_values(
                backend, fitted, home, sample, self.bundle, draw, robot.home_qpos
            )
            return EpisodeConditions(fitted, init, record, values, hook)
        return "no_feasible_layout"

    def _frame_hook(
        self, backend: SimBackend, rng: np.random.Generator, nominal_camera: Pose
    ) -> FrameHook:
        bundle = self.bundle
        assert bundle is not None

        def on_frame(index: int) -> None:
            del index  # frames draw from one stream, in order
            frame = sample_frame_randomization(bundle, rng.spawn(1)[0])
            backend.apply_frame(frame)
            if frame.camera is not None:
                backend.set_scene_camera(jittered_camera(nominal_camera, frame.camera, bundle))

        return on_frame
