"""The production backend: the same scene.usda and Panda in NVIDIA Isaac Sim (NGC container only).

Nothing here imports Isaac Sim at module level: the module loads anywhere (for
`is_isaac_sim_available`), and `IsaacSimBackend` starts the `SimulationApp` before any
`omni.*` / `isaacsim.*` import, as Isaac Sim requires. Task, controller, success and
recording code are shared with the MuJoCo backend through `SimBackend`.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pxr import UsdPhysics

from episode_generation_job.backend_selection import (
    is_isaac_sim_available,
)
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
from episode_generation_job.errors import BackendUnavailableError
from tools.scene_manifest import SceneManifest, SimRole
from tools.sim.robots.franka import constants as franka
from tools.tasks.geometry import ObjectBox, Pose, yaw_quat
from tools.tasks.robot_mount import mount_pose, pedestal

NAME = "isaacsim"
FRANKA_ASSET_CANDIDATES = stage_io.FRANKA_ASSET_CANDIDATES
_SETTLE_UPDATES = 6


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


class IsaacSimBackend(SimBackend):  # pragma: no cover - runs only inside Isaac Sim (NGC)
    """Owns a running SimulationApp with the scene stage, a referenced Franka and cameras.

    Args:
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        cameras: images to render (None: none).

    Raises:
        BackendUnavailableError: Isaac Sim or the Franka asset is not available.
    """

    def __init__(
        self, usd_path: Path, manifest: SceneManifest, cameras: CameraConfig | None
    ) -> None:
        if not is_isaac_sim_available():
            raise BackendUnavailableError(NAME, "the isaacsim package is not importable here")
        self._app = importlib.import_module("isaacsim").SimulationApp({"headless": True})
        # Only now may omni/isaacsim modules be imported.
        stage_utils = importlib.import_module("isaacsim.core.experimental.utils.stage")
        self._app_utils = importlib.import_module("isaacsim.core.experimental.utils.app")
        prims = importlib.import_module("isaacsim.core.experimental.prims")
        manager = importlib.import_module("isaacsim.core.simulation_manager").SimulationManager
        stage_utils.open_stage(str(usd_path))
        while stage_utils.is_stage_loading():
            self._app.update()
        stage = stage_utils.get_current_stage(backend="usd")
        self._stage = stage
        background = {o.id for o in manifest.objects if o.sim_role is SimRole.BACKGROUND}
        self._paths = {k: v for k, v in stage_io.object_paths(stage).items() if k not in background}
        self._local = {oid: stage_io.local_bounds(stage, p) for oid, p in self._paths.items()}
        self._free = tuple(
            sorted(
                oid
                for oid, p in self._paths.items()
                if stage.GetPrimAtPath(p).HasAPI(UsdPhysics.RigidBodyAPI)
            )
        )
        physx_schema = importlib.import_module("pxr.PhysxSchema")  # Isaac Sim's USD only
        for oid in self._free:  # finger contacts are read from PhysX contact reports
            prim = stage.GetPrimAtPath(self._paths[oid])
            physx_schema.PhysxContactReportAPI.Apply(prim).CreateThresholdAttr(0.0)
        self._rigid = {oid: prims.RigidPrim(self._paths[oid]) for oid in self._free}
        self._base = mount_pose(manifest, self._static_boxes())
        root = (
            os.environ.get(stage_io.ASSET_ROOT_ENV)
            or importlib.import_module("isaacsim.storage.native").get_assets_root_path()
        )
        asset = stage_io.franka_asset(root)
        stage_utils.add_reference_to_stage(usd_path=asset, path=stage_io.ROBOT_PATH)
        stand = pedestal(manifest, self._base)
        if stand is not None:
            stage_io.author_pedestal(stage, stand)
        self._robot = prims.Articulation(stage_io.ROBOT_PATH)
        # The base pose is set before play, as Isaac Sim requires.
        self._robot.set_world_poses(
            positions=[list(self._base.position)], orientations=[list(self._base.quat_wxyz)]
        )
        self._annotators: dict[str, Any] = {}
        if cameras is not None:
            rep = importlib.import_module("omni.replicator.core")
            paths = stage_io.author_cameras(stage, self._base)
            for name in cameras.names:
                product = rep.create.render_product(paths[name], (cameras.width, cameras.height))
                annotator = rep.AnnotatorRegistry.get_annotator("rgb")
                annotator.attach([product])
                self._annotators[name] = annotator
        # Physics at 1/600 s; one app update per control period (PhysX substeps to catch up).
        settings = importlib.import_module("carb.settings").get_settings()
        settings.set("/app/player/useFixedTimeStepping", True)
        settings.set("/app/player/fixedTimeStep", 1.0 / CONTROL_HZ)
        manager.setup_simulation(dt=PHYSICS_DT, device="cpu")
        self._app_utils.play()
        self._app_utils.update_app(steps=_SETTLE_UPDATES)
        self._arm_dofs = self._robot.get_dof_indices(list(franka.ARM_JOINTS))
        self._finger_dofs = self._robot.get_dof_indices(list(franka.FINGER_JOINTS))
        self._contacts = importlib.import_module("omni.physx").get_physx_simulation_interface()
        self._finger_paths = tuple(f"{stage_io.ROBOT_PATH}/{n}" for n in franka.FINGER_BODIES)
        self._steps = 0
        self._closed = False

    def _static_boxes(self) -> dict[str, ObjectBox]:
        return {
            oid: _box(self._local[oid], oid, stage_io.world_pose(self._stage, path))
            for oid, path in self._paths.items()
        }

    @property
    def info(self) -> BackendInfo:
        """Engine name, version and timing."""
        version = getattr(importlib.import_module("isaacsim"), "__version__", "unknown")
        return BackendInfo(NAME, str(version), PHYSICS_DT, CONTROL_HZ)

    @property
    def robot_base(self) -> Pose:
        """The mounted Panda's base pose."""
        return self._base

    @property
    def physics_steps(self) -> int:
        """Physics steps taken (20 per control period)."""
        return self._steps

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
        """Teleport objects and joints, zero velocities, hold the command while settling."""
        for oid, pose in init.object_poses.items():
            rigid = self._rigid[oid]
            rigid.set_world_poses(
                positions=[list(pose.position)], orientations=[list(pose.quat_wxyz)]
            )
            rigid.set_velocities(linear_velocities=[[0.0] * 3], angular_velocities=[[0.0] * 3])
        fingers = [init.gripper_width / 2] * 2
        self._robot.set_dof_positions([list(init.arm_qpos)], dof_indices=self._arm_dofs)
        self._robot.set_dof_positions([fingers], dof_indices=self._finger_dofs)
        self.step(init.arm_qpos, init.gripper_width)

    def step(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        """Set joint drive targets, then advance one control period."""
        finger = float(np.clip(gripper_width / 2, 0.0, franka.FINGER_MAX))
        self._robot.set_dof_position_targets([list(arm_targets)], dof_indices=self._arm_dofs)
        self._robot.set_dof_position_targets([[finger, finger]], dof_indices=self._finger_dofs)
        self._app_utils.update_app(steps=1)
        self._steps += round(1.0 / (CONTROL_HZ * PHYSICS_DT))

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
        positions, orientations = self._rigid[object_id].get_world_poses()
        return Pose.of(positions.numpy()[0], orientations.numpy()[0])

    def fingers_touch(self, object_id: str) -> bool:
        """Whether PhysX reported a contact between a finger link and the object this step."""
        headers, _ = self._contacts.get_contact_report()
        object_path = self._paths[object_id]
        decode = importlib.import_module("pxr.PhysicsSchemaTools").intToSdfPath
        for header in headers:
            actors = (str(decode(header.actor0)), str(decode(header.actor1)))
            if any(a.startswith(object_path) for a in actors) and any(
                a.startswith(self._finger_paths) for a in actors
            ):
                return True
        return False

    def object_speeds(self, object_id: str) -> tuple[float, float]:
        """Linear and angular speed from PhysX (a static object: zero)."""
        if object_id not in self._rigid:
            return 0.0, 0.0
        linear, angular = self._rigid[object_id].get_velocities()
        return (
            float(np.linalg.norm(linear.numpy()[0])),
            float(np.linalg.norm(angular.numpy()[0])),
        )

    def contacts_with(self, object_id: str) -> dict[str, float]:
        """Contacts PhysX reported this step: other owner -> summed normal impulse / dt (N)."""
        headers, data = self._contacts.get_contact_report()
        decode = importlib.import_module("pxr.PhysicsSchemaTools").intToSdfPath
        mine = self._paths[object_id]
        touching: dict[str, float] = {}
        for header in headers:
            actors = (str(decode(header.actor0)), str(decode(header.actor1)))
            if actors[0].startswith(mine) == actors[1].startswith(mine):
                continue
            other_path = actors[1] if actors[0].startswith(mine) else actors[0]
            other = next((k for k, p in self._paths.items() if other_path.startswith(p)), None)
            if other is None:
                other = "robot" if other_path.startswith(stage_io.ROBOT_PATH) else "world"
            points = data[header.contact_data_offset : header.contact_data_offset
                          + header.num_contact_data]  # fmt: skip
            impulse = sum(
                abs(float(np.dot([*p.impulse], [*p.normal]))) for p in points  # carb.Float3
            )
            touching[other] = touching.get(other, 0.0) + impulse / PHYSICS_DT
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
        """Stop the timeline and close the app (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._app_utils.stop()
        self._app.close()
