"""The simulator interface every episode backend implements (MuJoCo embedded, Isaac Sim)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from episode_generation_job.cameras import CameraFrame, CameraSpec
from tools.randomization import (
    BundleConfig,
    EpisodeRandomization,
    FrameRandomization,
    sample_episode_randomization,
)
from tools.scene_manifest import SceneManifest
from tools.tasks.geometry import ObjectBox, Pose

if TYPE_CHECKING:
    from tools.sim.robots.base import SimRobot
    from tools.sim.robots.kinematics import ArmKinematics

FloatArray = NDArray[np.float64]
Image = NDArray[np.uint8]

CONTROL_HZ = 30  # one action, one recorded frame per control period
PHYSICS_DT = 1.0 / 600.0  # 20 physics steps per control period
SCENE_CAMERA = "scene"
WRIST_CAMERA = "wrist"
CAMERA_NAMES = (SCENE_CAMERA, WRIST_CAMERA)


@dataclass(frozen=True)
class CameraConfig:
    """Offscreen cameras to render each frame (none: no images at all).

    `specs` (the CAMERAS list: mount, size, modalities per camera) wins over the RGB-only
    `width` x `height` cameras `names`.
    """

    width: int = 128
    height: int = 128
    names: tuple[str, ...] = CAMERA_NAMES
    specs: tuple[CameraSpec, ...] = ()

    @property
    def cameras(self) -> tuple[CameraSpec, ...]:
        """Every camera with its mount, size and modalities."""
        if self.specs:
            return self.specs
        return tuple(
            CameraSpec(name=n, mount=n, width=self.width, height=self.height) for n in self.names
        )


@dataclass(frozen=True)
class EpisodeInit:
    """Initial conditions of one episode: free-object poses and the arm's joint positions."""

    object_poses: Mapping[str, Pose]
    arm_qpos: tuple[float, ...]
    gripper_width: float


@dataclass(frozen=True)
class BackendInfo:
    """What a dataset records about the engine that produced it."""

    name: str
    version: str
    physics_dt: float
    control_hz: int
    details: dict[str, str] = field(default_factory=dict)


class SimBackend(ABC):
    """One loaded scene with a Panda in it, stepped at the control rate.

    Owns the engine's world. Task, controller, success and recording code talk to the
    engine only through these methods, so they are shared by every backend.
    """

    @property
    @abstractmethod
    def info(self) -> BackendInfo:
        """Engine name, version and timing."""

    # Each engine sets the mount pose when it loads the scene and counts the steps it takes.
    _base: Pose
    _steps: int = 0

    @property
    def robot_base(self) -> Pose:
        """The arm's base pose in the world (after mounting)."""
        return self._base

    @property
    def robot(self) -> SimRobot:
        """The arm in the scene (the Panda unless a backend mounts another)."""
        from tools.sim.robots.franka.robot import FRANKA_ROBOT

        return FRANKA_ROBOT

    @property
    def physics_steps(self) -> int:
        """Physics steps taken since the backend was created."""
        return self._steps

    @abstractmethod
    def object_boxes(self) -> dict[str, ObjectBox]:
        """Bounding boxes of every manifest object at its current pose."""

    @abstractmethod
    def free_objects(self) -> tuple[str, ...]:
        """Ids of the objects that are free rigid bodies (may move)."""

    @abstractmethod
    def reset(self, init: EpisodeInit) -> None:
        """Put objects and robot into the initial state and let contacts settle briefly."""

    @abstractmethod
    def step(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        """Hold joint-position targets (radians) and a gripper opening (m) for one control period.

        Args:
            arm_targets: seven arm joint targets.
            gripper_width: distance between the fingers to command, 0..0.08 m.
        """

    @abstractmethod
    def arm_qpos(self) -> FloatArray:
        """The seven measured arm joint positions."""

    @abstractmethod
    def gripper_width(self) -> float:
        """The measured distance between the fingers, metres."""

    @abstractmethod
    def object_pose(self, object_id: str) -> Pose:
        """An object's current pose."""

    @abstractmethod
    def fingers_touch(self, object_id: str) -> bool:
        """Whether any finger is in contact with the object."""

    @abstractmethod
    def object_speeds(self, object_id: str) -> tuple[float, float]:
        """An object's linear (m/s) and angular (rad/s) speed now; (0, 0) for a static one."""

    @abstractmethod
    def contacts_with(self, object_id: str) -> dict[str, float]:
        """What touches the object now, with the total normal force of each contact, N.

        Returns:
            Other object id -> force; the Panda is "robot", geometry outside the manifest
            (floor, room) is "world".
        """

    @abstractmethod
    def healthy(self) -> bool:
        """Whether the simulation stayed numerically sound since the last reset."""

    @abstractmethod
    def render(self) -> dict[str, Image]:
        """One RGB image per configured camera (empty without cameras)."""

    @property
    def camera_specs(self) -> tuple[CameraSpec, ...]:
        """The recorded cameras (engines with depth / segmentation / poses override it)."""
        return ()

    def render_frames(self) -> dict[str, CameraFrame]:
        """Every camera's frame: RGB only unless the engine records more (MuJoCo)."""
        return {name: CameraFrame(image, None, None, None) for name, image in self.render().items()}

    def camera_documents(self) -> dict[str, Any]:
        """meta/<name>.json documents of the cameras (calibration, segmentation ids)."""
        return {}

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources; safe to call twice."""

    def randomize(
        self,
        config: BundleConfig,
        manifest: SceneManifest,
        rng: np.random.Generator,
        seed: int,
    ) -> EpisodeRandomization:
        """Draw one episode's bundle randomization and apply what this engine does in-process.

        Object placements (and distractor poses) reach the engine through `reset`, so they
        are engine-independent. This default applies nothing else and returns the sample
        without the other randomizers, so an episode never records values it did not have;
        engines that can set lights, colours, cameras, masses and frictions override it.

        Args:
            config: the policy's bundle config.
            manifest: the scene contract.
            rng: the episode's bundle generator (consumed deterministically).
            seed: the episode seed, recorded in the result.

        Returns:
            The values applied (placements for `reset`, the rest already set).

        Raises:
            PlacementError: no collision-free layout was found.
        """
        sample = sample_episode_randomization(config, manifest, rng, seed=seed)
        removed = {"distractors": (), "light": None, "colors": (), "camera": None, "physics": ()}
        return sample.model_copy(update=removed)

    def arm_path_collisions(
        self, arm_frames: FloatArray, held: str | None = None
    ) -> list[tuple[int, str, str, float]]:
        """Where the arm, following planned joint targets from the current state, would run
        into static geometry (walls, furniture) and, with `held`, into the free objects but it.

        Args:
            arm_frames: (T, dof) arm joint targets.
            held: the object the hand carries (None: free objects are not checked).

        Returns:
            (frame, link, obstacle, depth) per collision; empty when clear or when this engine
            cannot tell (this default).
        """
        return []

    def collision_aware_ik(self, obstacles: Sequence[str]) -> ArmKinematics | None:
        """Kinematics of the arm at its current base whose IK keeps the arm (but the fingers)
        off the collision geometry of the objects `obstacles`, from the current state.

        Returns:
            The solver, or None when this engine cannot tell (this default).
        """
        return None

    def open_top_depth(self, object_id: str) -> float | None:
        """How far below its top a ray down the object's centre first hits something: an open
        container's inner depth, about 0 for a closed box.

        Returns:
            Metres, or None when this engine cannot tell (this default).
        """
        return None

    def heights_below(
        self, points_xy: Sequence[tuple[float, float]], top: float, skip: str | None = None
    ) -> list[float] | None:
        """Height of the first surface a ray straight down from `top` meets at each point,
        looking through the robot and the object `skip` (the held one): a container's inside
        under the fingers and the object at release.

        Args:
            points_xy: world (x, y) of each ray.
            top: height the rays start from.
            skip: an object the rays pass through.

        Returns:
            One height per point (-inf where nothing is below), or None when this engine
            cannot tell (this default).
        """
        return None

    def apply_frame(self, frame: FrameRandomization) -> bool:
        """Apply one frame's per-frame randomizers (light, colours) before rendering it.

        Args:
            frame: the frame's values.

        Returns:
            Whether the engine applied them (this default: no).
        """
        return False

    def move_robot_base(self, base: Pose) -> bool:
        """Stand the robot at `base` (a pick-and-place station, `pick_stations`) until the
        next call; the scene camera follows it. State is reset: call `reset` next.

        Args:
            base: the base pose (the mounted base's height and heading).

        Returns:
            Whether the engine moved it (this default: no; the robot stays at its mount).
        """
        return False

    def set_scene_camera(self, pose: Pose) -> bool:
        """Move the scene camera (jitter), until the next `randomize`.

        Args:
            pose: the camera pose (looks down its -z, +y up).

        Returns:
            Whether the engine moved it (this default: no).
        """
        return False
