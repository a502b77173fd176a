"""The production backend: the same scene.usda and Panda in NVIDIA Isaac Sim 5.1 (NGC image).

Every Isaac Sim / Kit call goes through `isaacsim_api` (the one release the image pins);
USD authoring is `isaacsim_stage`, the randomization's USD writes `isaacsim_randomization`,
and the controller (gains, limits, settle, reset, finger friction) is `panda_drive`, shared
with the MuJoCo backend. Kit is started by `isaacsim_app` before this module is imported on
the job's path, and closed by it after the job: `close()` here only stops the timeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from episode_generation_job.backends import isaacsim_api as api
from episode_generation_job.backends import isaacsim_app
from episode_generation_job.backends import isaacsim_randomization as usd_rand
from episode_generation_job.backends import isaacsim_stage as stage_io
from episode_generation_job.backends.base import (
    CONTROL_HZ,
    PHYSICS_DT,
    BackendInfo,
    CameraConfig,
    EpisodeInit,
    FloatArray,
    Image,
    SimBackend,
)
from episode_generation_job.backends.panda_drive import (
    isaac_drive_arrays,
    panda_controller,
    settle_updates,
)
from episode_generation_job.errors import BackendUnavailableError
from tools.randomization import (
    BundleConfig,
    EpisodeRandomization,
    FrameRandomization,
    sample_episode_randomization,
)
from tools.scene_manifest import SceneManifest, SimRole
from tools.sim.robots.franka import constants as franka
from tools.tasks.geometry import ObjectBox, Pose, yaw_quat
from tools.tasks.robot_mount import mount_pose, pedestal

if TYPE_CHECKING:  # Isaac's classes, named so the conformance test follows their methods
    from isaacsim import SimulationApp
    from isaacsim.core.experimental.prims import Articulation, RigidPrim

NAME = "isaacsim"
FRANKA_ASSET_CANDIDATES = stage_io.FRANKA_ASSET_CANDIDATES
FINGER_MATERIAL_PATH = "/World/Looks/PandaFingerPads"


def _box(local: tuple[FloatArray, FloatArray], object_id: str, pose: Pose) -> ObjectBox:
    """The upright box of an object at a pose, from its extent in its own frame."""
    low, high = local
    mid, half = (low + high) / 2, (high - low) / 2
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    offset = np.array([c * mid[0] - s * mid[1], s * mid[0] + c * mid[1], mid[2]])
    centre = np.asarray(pose.position) + offset
    return ObjectBox(
        object_id,
        (float(centre[0]), float(centre[1]), float(centre[2])),
        (float(half[0]), float(half[1]), float(half[2])),
        pose.yaw,
    )


def isaac_randomization(
    config: BundleConfig, manifest: SceneManifest, rng: np.random.Generator, seed: int
) -> EpisodeRandomization:
    """The record the Isaac backend applies: the shared sampler's draw (the same rng stream as
    MuJoCo's), without distractors, which this backend does not create."""
    sample = sample_episode_randomization(config, manifest, rng, seed=seed)
    return sample.model_copy(update={"distractors": ()})


class IsaacSimBackend(SimBackend):  # pragma: no cover - runs only inside Isaac Sim (NGC)
    """Owns the open stage with a referenced Franka, its cameras and the running timeline.

    Args:
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        cameras: images to render (None: none).

    Raises:
        BackendUnavailableError: Isaac Sim, its 5.1 release or the Franka asset is missing,
            or physics does not step as configured.
    """

    def __init__(
        self, usd_path: Path, manifest: SceneManifest, cameras: CameraConfig | None
    ) -> None:
        self._app: SimulationApp = isaacsim_app.kit()
        self._version = api.running_version()
        if not self._version.startswith(api.ISAACSIM_VERSION.rsplit(".", 1)[0]):
            raise BackendUnavailableError(
                NAME,
                f"Isaac Sim {self._version} runs here; the backend targets {api.ISAACSIM_VERSION}",
            )
        self._controller = panda_controller()
        self._audit = api.StepAudit(api.substeps_per_control(CONTROL_HZ, PHYSICS_DT))
        stage = api.open_stage(self._app, usd_path)
        self._stage = stage
        stage_io.author_timing(stage, CONTROL_HZ, PHYSICS_DT)
        background = {o.id for o in manifest.objects if o.sim_role is SimRole.BACKGROUND}
        self._paths = {k: v for k, v in stage_io.object_paths(stage).items() if k not in background}
        self._local = {oid: stage_io.local_bounds(stage, p) for oid, p in self._paths.items()}
        self._free = stage_io.rigid_bodies(stage, self._paths)
        api.enable_contact_reports(stage, [self._paths[o] for o in self._free])
        self._nominal = usd_rand.nominal_masses(stage, self._paths.values())
        self._base = mount_pose(manifest, self._static_boxes())
        asset = stage_io.franka_asset(stage_io.asset_root() or api.assets_root(), api.asset_exists)
        api.add_reference(asset, stage_io.ROBOT_PATH)
        stand = pedestal(manifest, self._base)
        if stand is not None:
            stage_io.author_pedestal(stage, stand)
        # Bound on the finger links, stronger than their (instanced) collision meshes' own.
        fingers = [f"{stage_io.ROBOT_PATH}/{b}" for b in franka.FINGER_BODIES]
        if not all(stage.GetPrimAtPath(p).IsValid() for p in fingers):
            raise BackendUnavailableError(NAME, f"{asset} has no links {franka.FINGER_BODIES}")
        api.bind_friction(FINGER_MATERIAL_PATH, fingers, *self._controller.finger_friction)
        self._robot: Articulation = api.articulation(stage_io.ROBOT_PATH)
        # The base pose is set before play, as Isaac Sim requires.
        self._robot.set_world_poses(
            positions=[list(self._base.position)], orientations=[list(self._base.quat_wxyz)]
        )
        self._annotators: dict[str, Any] = {}
        if cameras is not None:
            paths = stage_io.author_cameras(stage, self._base)
            for name in cameras.names:
                self._annotators[name] = api.rgb_annotator(
                    paths[name], cameras.width, cameras.height
                )
        self._rigid: dict[str, RigidPrim] = {o: api.rigid_prim(self._paths[o]) for o in self._free}
        api.set_timing(CONTROL_HZ)
        api.play(self._app)
        self._apply_controller()
        self._finger_paths = tuple(f"{stage_io.ROBOT_PATH}/{n}" for n in franka.FINGER_BODIES)
        self._contacts: list[api.ContactPair] = []
        self._steps = 0
        self._closed = False

    def _apply_controller(self) -> None:
        """The shared drive description replaces the asset's own gains, limits and gravity."""
        arrays = isaac_drive_arrays(self._controller)
        dofs = self._robot.get_dof_indices(list(arrays.joints))
        self._dofs = dofs
        self._arm_dofs = self._robot.get_dof_indices(list(franka.ARM_JOINTS))
        self._finger_dofs = self._robot.get_dof_indices(list(franka.FINGER_JOINTS))
        self._robot.set_dof_gains(
            [list(arrays.stiffnesses)], [list(arrays.dampings)], dof_indices=dofs
        )
        self._robot.set_dof_max_efforts([list(arrays.max_efforts)], dof_indices=dofs)
        self._robot.set_dof_limits([list(arrays.lower)], [list(arrays.upper)], dof_indices=dofs)
        self._robot.set_dof_armatures([list(arrays.armatures)], dof_indices=dofs)
        if self._controller.gravity_compensation:
            self._robot.set_link_enabled_gravities([[False] * self._robot.num_links])

    def _advance(self, updates: int) -> None:
        """App updates of one control period each, checked against PhysX's own step count."""
        for _ in range(updates):
            before = api.physics_steps()
            self._app.update()
            taken = api.physics_steps() - before
            try:
                self._audit.record(taken)
            except ValueError as exc:
                raise BackendUnavailableError(
                    NAME,
                    str(exc),
                    hint="check timeCodesPerSecond, physxScene:timeStepsPerSecond, minFrameRate",
                ) from None
            self._steps += taken
        self._contacts = api.contact_report()

    def _static_boxes(self) -> dict[str, ObjectBox]:
        return {
            oid: _box(self._local[oid], oid, stage_io.world_pose(self._stage, path))
            for oid, path in self._paths.items()
        }

    @property
    def info(self) -> BackendInfo:
        """Engine name, version and timing."""
        return BackendInfo(NAME, self._version, PHYSICS_DT, CONTROL_HZ)

    def object_boxes(self) -> dict[str, ObjectBox]:
        """Boxes at the current poses (free objects from PhysX, static ones from the USD)."""
        boxes = self._static_boxes()
        for oid in self._free:
            boxes[oid] = _box(self._local[oid], oid, self.object_pose(oid))
        return boxes

    def free_objects(self) -> tuple[str, ...]:
        """Objects with a rigid body."""
        return self._free

    def reset(self, init: EpisodeInit) -> None:
        """Teleport objects and joints at rest, hold the command for the shared settle steps."""
        for oid, pose in init.object_poses.items():
            rigid: RigidPrim = self._rigid[oid]
            rigid.set_world_poses(
                positions=[list(pose.position)], orientations=[list(pose.quat_wxyz)]
            )
            rigid.set_velocities(linear_velocities=[[0.0] * 3], angular_velocities=[[0.0] * 3])
        fingers = [init.gripper_width / 2] * 2
        self._robot.set_dof_positions([list(init.arm_qpos)], dof_indices=self._arm_dofs)
        self._robot.set_dof_positions([fingers], dof_indices=self._finger_dofs)
        self._robot.set_dof_velocities([[0.0] * len(franka.ARM_JOINTS)], dof_indices=self._arm_dofs)
        self._robot.set_dof_velocities([[0.0, 0.0]], dof_indices=self._finger_dofs)
        self._command(init.arm_qpos, init.gripper_width)
        self._advance(settle_updates(self._controller))

    def randomize(
        self,
        config: BundleConfig,
        manifest: SceneManifest,
        rng: np.random.Generator,
        seed: int,
    ) -> EpisodeRandomization:
        """Draw the shared record and author light, colours, masses and frictions on the stage
        (placements reach PhysX through `reset`; distractors are not created here)."""
        sample = isaac_randomization(config, manifest, rng, seed)
        usd_rand.apply_writes(self._stage, usd_rand.episode_writes(sample, self._nominal))
        return sample

    def apply_frame(self, frame: FrameRandomization) -> bool:
        """Author one frame's light and colours before it renders."""
        writes = usd_rand.light_writes(frame.light) if frame.light is not None else []
        usd_rand.apply_writes(self._stage, writes + usd_rand.color_writes(frame.colors))
        return True

    def set_scene_camera(self, pose: Pose) -> bool:
        """Move the episode's scene camera (looks down its -z, +y up, as USD cameras do)."""
        write = usd_rand.camera_write(stage_io.SCENE_CAMERA_PATH, pose)
        usd_rand.apply_writes(self._stage, [write])
        return True

    def _command(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        finger = float(np.clip(gripper_width / 2, 0.0, franka.FINGER_MAX))
        self._robot.set_dof_position_targets([list(arm_targets)], dof_indices=self._arm_dofs)
        self._robot.set_dof_position_targets([[finger, finger]], dof_indices=self._finger_dofs)

    def step(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        """Set joint drive targets, then advance one control period (20 physics steps)."""
        self._command(arm_targets, gripper_width)
        self._advance(1)

    def arm_qpos(self) -> FloatArray:
        """Measured arm joint positions."""
        values = self._robot.get_dof_positions(dof_indices=self._arm_dofs)
        return np.asarray(values.numpy()[0], dtype=float)

    def gripper_width(self) -> float:
        """Sum of the two finger positions."""
        values = self._robot.get_dof_positions(dof_indices=self._finger_dofs)
        return float(np.sum(values.numpy()[0]))

    def object_pose(self, object_id: str) -> Pose:
        """A free object's pose from PhysX; a static one's box centre and heading."""
        if object_id not in self._rigid:
            box = self._static_boxes()[object_id]
            return Pose.of(box.centre, yaw_quat(box.yaw))
        body: RigidPrim = self._rigid[object_id]
        positions, orientations = body.get_world_poses()
        return Pose.of(positions.numpy()[0], orientations.numpy()[0])

    def fingers_touch(self, object_id: str) -> bool:
        """Whether PhysX reports a finger link still touching the object after the last step."""
        mine = self._paths[object_id]
        return any(
            (a.startswith(mine) and b.startswith(self._finger_paths))
            or (b.startswith(mine) and a.startswith(self._finger_paths))
            for a, b in ((p.actor0, p.actor1) for p in self._contacts)
        )

    def object_speeds(self, object_id: str) -> tuple[float, float]:
        """Linear and angular speed from PhysX (a static object: zero)."""
        if object_id not in self._rigid:
            return 0.0, 0.0
        body: RigidPrim = self._rigid[object_id]
        linear, angular = body.get_velocities()
        return (
            float(np.linalg.norm(linear.numpy()[0])),
            float(np.linalg.norm(angular.numpy()[0])),
        )

    def contacts_with(self, object_id: str) -> dict[str, float]:
        """Touching pairs of the last step: other owner -> normal impulse / dt (N)."""
        mine = self._paths[object_id]
        touching: dict[str, float] = {}
        for pair in self._contacts:
            if pair.actor0.startswith(mine) == pair.actor1.startswith(mine):
                continue
            other_path = pair.actor1 if pair.actor0.startswith(mine) else pair.actor0
            other = next((k for k, p in self._paths.items() if other_path.startswith(p)), None)
            if other is None:
                other = "robot" if other_path.startswith(stage_io.ROBOT_PATH) else "world"
            touching[other] = touching.get(other, 0.0) + pair.impulse / PHYSICS_DT
        return touching

    def healthy(self) -> bool:
        """Finite poses of every free object (PhysX does not report divergence otherwise)."""
        return all(np.isfinite(self.object_pose(o).as_array()).all() for o in self._free)

    def render(self) -> dict[str, Image]:
        """RGB frames from the Replicator annotators (alpha dropped)."""
        return {
            name: np.asarray(annotator.get_data(), dtype=np.uint8)[..., :3].copy()
            for name, annotator in self._annotators.items()
        }

    def close(self) -> None:
        """Stop the timeline (idempotent). Kit itself is closed by `isaacsim_app` after the job."""
        if self._closed:
            return
        self._closed = True
        api.stop()
