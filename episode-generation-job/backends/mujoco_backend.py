"""The embedded MuJoCo backend: CPU physics, a position-controlled arm, offscreen cameras."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.backends.arm_clearance import ArmClearance, StaticGeometry
from episode_generation_job.backends.base import (
    CONTROL_HZ,
    PHYSICS_DT,
    SCENE_CAMERA,
    WRIST_CAMERA,
    BackendInfo,
    CameraConfig,
    EpisodeInit,
    FloatArray,
    Image,
    SimBackend,
)
from episode_generation_job.backends.collision_ik import CollisionAwareIK
from episode_generation_job.backends.mujoco_cameras import (
    MujocoCameras,
    object_geoms,
    object_segment_ids,
    segment_lookup,
)
from episode_generation_job.backends.mujoco_randomization import ModelDefaults, distractor_ids
from episode_generation_job.backends.mujoco_scene import (
    PEDESTAL_NAME,
    MujocoScene,
    assemble,
    measure_boxes,
    object_ids,
)
from episode_generation_job.backends.mujoco_station import model_arrays, move_robot
from episode_generation_job.backends.panda_drive import SETTLE_STEPS
from episode_generation_job.cameras import (
    CAMERAS_DOCUMENT,
    SEGMENTATION_DOCUMENT,
    CameraFrame,
    CameraSpec,
    cameras_document,
    segmentation_document,
)
from tools.randomization import (
    BundleConfig,
    EpisodeRandomization,
    FrameRandomization,
    apply_frame_to_mujoco,
    sample_valid_randomization,
)
from tools.scene_manifest import SceneManifest
from tools.sim import captured_warnings
from tools.sim.robots.base import SimRobot
from tools.sim.robots.franka.robot import FRANKA_ROBOT
from tools.tasks.geometry import ObjectBox, Pose, yaw_quat

NAME = "mujoco"


class MujocoBackend(SimBackend):
    """Owns one compiled MjModel/MjData of a scene with a mounted arm, and its renderers.

    Distractor slots of the scene (bundle randomization) are free objects named
    `distractor_<i>`; parked ones sit far below the floor without contacts or gravity.

    Args:
        scene: the scene without a robot.
        cameras: images to render per frame (None: none).
        robot: the arm to mount (default the Panda).
    """

    def __init__(
        self,
        scene: MujocoScene,
        cameras: CameraConfig | None = None,
        robot: SimRobot = FRANKA_ROBOT,
    ) -> None:
        self._robot = robot
        self.model, self._base, self._boxes_at_rest = assemble(scene, cameras, robot)
        self.data = mujoco.MjData(self.model)
        mujoco.mj_forward(self.model, self.data)
        self._substeps = round(1.0 / (CONTROL_HZ * PHYSICS_DT))
        self._steps = 0
        self._warnings = 0
        self._objects = object_ids(self.model, scene.objects, scene.manifest)
        self._objects.update(distractor_ids(self.model))
        self._handles = scene.handles
        self._defaults = ModelDefaults(self.model)
        self._scene_camera = self.model.camera(SCENE_CAMERA).id
        self._body_ids = {k: v.body for k, v in self._objects.items() if v.body >= 0}
        self._free_joint: dict[str, int] = {}
        for object_id, body in self._body_ids.items():
            for j in range(self.model.body_jntnum[body]):
                joint = self.model.body_jntadr[body] + j
                if self.model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_FREE:
                    self._free_joint[object_id] = joint
        name = robot.scoped
        self._arm_joints = [self.model.joint(name(n)) for n in robot.arm_joints]
        self._finger_joints = [self.model.joint(name(n)) for n in robot.gripper_joints]
        self._arm_actuators = [self.model.actuator(name(n)).id for n in robot.arm_actuators]
        self._gripper_actuator = self.model.actuator(name(robot.gripper_actuator)).id
        self._finger_bodies = {self.model.body(name(n)).id for n in robot.finger_bodies}
        self._cameras = cameras
        self._camera_ids: dict[str, int] = {}
        self._rig: MujocoCameras | None = None
        for spec in cameras.cameras if cameras is not None else ():
            mount = robot.scoped(robot.wrist_camera) if spec.mount == WRIST_CAMERA else SCENE_CAMERA
            self._camera_ids[spec.name] = self.model.camera(mount).id
        self._closed = False
        self._clearance: tuple[ArmClearance, StaticGeometry] | None = None
        # The model as mounted, before any randomization: every station starts from it.
        nominal = {k: v.copy() for k, v in model_arrays(self.model).items()}
        self._mounted: tuple[Pose, dict[str, NDArray[Any]]] = self._base, nominal

    @property
    def info(self) -> BackendInfo:
        """Engine name, version and timing."""
        return BackendInfo(NAME, mujoco.__version__, PHYSICS_DT, CONTROL_HZ)

    @property
    def robot(self) -> SimRobot:
        """The mounted arm."""
        return self._robot

    def object_boxes(self) -> dict[str, ObjectBox]:
        """Boxes of every object at its current pose."""
        mujoco.mj_kinematics(self.model, self.data)
        return measure_boxes(self.data, self._objects)

    def free_objects(self) -> tuple[str, ...]:
        """Objects with a free joint."""
        return tuple(sorted(self._free_joint))

    def _place(self, poses: Mapping[str, Pose], arm_qpos: Sequence[float], gripper: float) -> None:
        """Reset the state, then set object poses, arm and fingers (no stepping)."""
        mujoco.mj_resetData(self.model, self.data)
        for object_id, pose in poses.items():
            joint = self._free_joint[object_id]
            adr = self.model.jnt_qposadr[joint]
            self.data.qpos[adr : adr + 7] = pose.as_array()
        for joint, q in zip(self._arm_joints, arm_qpos, strict=True):
            self.data.qpos[joint.qposadr[0]] = q
        for joint, q in zip(self._finger_joints, self._robot.gripper_qpos(gripper), strict=True):
            self.data.qpos[joint.qposadr[0]] = q
        self._command(arm_qpos, gripper)
        mujoco.mj_forward(self.model, self.data)

    def reset(self, init: EpisodeInit) -> None:
        """Reset physics, place objects and arm, hold the home command while contacts settle."""
        self._warnings = 0
        self._place(init.object_poses, init.arm_qpos, init.gripper_width)
        with captured_warnings() as warnings:
            for _ in range(SETTLE_STEPS):
                mujoco.mj_step(self.model, self.data)
        self._warnings += len(warnings)
        self._steps += SETTLE_STEPS

    def randomize(
        self,
        config: BundleConfig,
        manifest: SceneManifest,
        rng: np.random.Generator,
        seed: int,
    ) -> EpisodeRandomization:
        """Draw a randomization whose placed bodies penetrate nothing and set all of it.

        The model first returns to its nominal values and the arm to its home pose, so the
        draw depends only on `rng`. Masses, frictions, distractor shapes, light, colours and
        the stage camera stay set until the next call; placements and distractor poses
        reach the simulation through `reset`.

        Args:
            config: the policy's bundle config.
            manifest: the scene contract.
            rng: the episode's bundle generator.
            seed: recorded in the result.

        Returns:
            The applied values.

        Raises:
            PlacementError: no penetration-free layout.
        """
        self._defaults.restore(self.model, self.data)
        self._place({}, self._robot.home_qpos, self._robot.open_width)
        try:
            return sample_valid_randomization(
                config, manifest, rng, self.model, self.data, self._handles, seed=seed
            )
        finally:
            self._objects.update(distractor_ids(self.model))  # slots were resized

    def apply_frame(self, frame: FrameRandomization) -> bool:
        """Set one frame's light and colours (rendering reads them directly).

        Args:
            frame: the frame's values.

        Returns:
            True.
        """
        apply_frame_to_mujoco(frame, self.model)
        return True

    def set_scene_camera(self, pose: Pose) -> bool:
        """Move the scene camera until the next `randomize`.

        Args:
            pose: the camera pose (looks down its -z, +y up, as MuJoCo cameras do).

        Returns:
            True.
        """
        self.model.cam_pos[self._scene_camera] = pose.position
        self.model.cam_quat[self._scene_camera] = pose.quat_wxyz
        return True

    def move_robot_base(self, base: Pose) -> bool:
        """Stand the robot at `base`: the nominal model (as mounted) with the root body,
        pedestal, scene camera and key light moved (`mujoco_station`), whatever station came
        before, so every shard simulates the same model at a station. State is reset."""
        mounted, nominal = self._mounted
        for name, array in model_arrays(self.model).items():
            array[...] = nominal[name]
        if base != mounted:
            move_robot(self.model, self._robot, base, PEDESTAL_NAME)
            mujoco.mj_setConst(self.model, self.data)
        self._defaults = ModelDefaults(self.model)
        self._base, self._clearance = base, None
        self._place({}, self._robot.home_qpos, self._robot.open_width)
        return True

    def _command(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        self.data.ctrl[self._arm_actuators] = arm_targets
        self.data.ctrl[self._gripper_actuator] = self._robot.gripper_ctrl(gripper_width)

    def step(self, arm_targets: Sequence[float], gripper_width: float) -> None:
        """Hold the targets for one control period (20 physics steps)."""
        self._command(arm_targets, gripper_width)
        # MuJoCo's warnings (e.g. a diverging solver) are collected, not written to the cwd.
        with captured_warnings() as warnings:
            for _ in range(self._substeps):
                mujoco.mj_step(self.model, self.data)
        self._warnings += len(warnings)
        self._steps += self._substeps

    def healthy(self) -> bool:
        """No MuJoCo warning since the last reset and finite positions."""
        return self._warnings == 0 and bool(np.isfinite(self.data.qpos).all())

    def arm_qpos(self) -> FloatArray:
        """Measured arm joint positions."""
        return np.array([self.data.qpos[j.qposadr[0]] for j in self._arm_joints])

    def gripper_width(self) -> float:
        """Measured finger separation."""
        return self._robot.gripper_width(
            [self.data.qpos[j.qposadr[0]] for j in self._finger_joints]
        )

    def object_pose(self, object_id: str) -> Pose:
        """A free object's body pose, or a static object's box centre and heading."""
        body = self._body_ids.get(object_id)
        if body is None:
            box = measure_boxes(self.data, {object_id: self._objects[object_id]})[object_id]
            return Pose.of(box.centre, yaw_quat(box.yaw))
        return Pose.of(self.data.xpos[body], self.data.xquat[body])

    def fingers_touch(self, object_id: str) -> bool:
        """Whether a contact joins a finger and one of the object's geoms."""
        geoms = set(self._objects[object_id].geoms)
        geom_body = self.model.geom_bodyid
        contact = self.data.contact
        for i in range(self.data.ncon):
            g1, g2 = int(contact.geom1[i]), int(contact.geom2[i])
            if (g1 in geoms and geom_body[g2] in self._finger_bodies) or (
                g2 in geoms and geom_body[g1] in self._finger_bodies
            ):
                return True
        return False

    def object_speeds(self, object_id: str) -> tuple[float, float]:
        """Norms of the free joint's velocity: linear (world frame) and angular (body frame)."""
        joint = self._free_joint.get(object_id)
        if joint is None:
            return 0.0, 0.0
        adr = self.model.jnt_dofadr[joint]
        qvel = self.data.qvel[adr : adr + 6]
        return float(np.linalg.norm(qvel[:3])), float(np.linalg.norm(qvel[3:]))

    def arm_path_collisions(
        self, arm_frames: FloatArray, held: str | None = None
    ) -> list[tuple[int, str, str, float]]:
        """Arm links in the room or the furniture (and, with `held`, in the free objects but
        it) along planned joint targets (`ArmClearance`)."""
        if self._clearance is None:
            has_pedestal = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, PEDESTAL_NAME)
            ignore = (PEDESTAL_NAME,) if has_pedestal >= 0 else ()
            rule = StaticGeometry.of(self.model, self._robot, ignore)
            self._clearance = ArmClearance(self.model, self._robot), rule
        clearance, rule = self._clearance
        if held is not None:
            free = (ids.geoms for k, ids in self._objects.items() if k in self._body_ids)
            rule = replace(
                rule,
                free_geoms=frozenset(int(g) for geoms in free for g in geoms),
                held_geoms=frozenset(int(g) for g in self._objects[held].geoms),
            )
        return [
            (i, hit.link, hit.geom, hit.depth)
            for i, hit in clearance.path_collisions(self.data.qpos, arm_frames, rule)
        ]

    def collision_aware_ik(self, obstacles: Sequence[str]) -> CollisionAwareIK:
        """mink IK on this model (`CollisionAwareIK`), clear of the obstacles' geoms."""
        geoms = {
            int(g) for oid in obstacles if oid in self._objects for g in self._objects[oid].geoms
        }
        base = self._base
        return CollisionAwareIK(
            self.model, self.data.qpos, self._robot, base.position, base.quat_wxyz, geoms,
            self._finger_bodies,
        )  # fmt: skip

    def open_top_depth(self, object_id: str) -> float | None:
        """Depth below the top where a ray down the centre first hits any geom (mj_ray)."""
        box = self.object_boxes()[object_id]
        start = np.array([box.centre[0], box.centre[1], box.top + 0.01])
        hit = np.zeros(1, dtype=np.int32)
        distance = mujoco.mj_ray(self.model, self.data, start, np.array([0.0, 0.0, -1.0]),
                                 None, True, -1, hit)  # fmt: skip
        return None if distance < 0 else float(distance - 0.01)

    def heights_below(
        self, points_xy: Sequence[tuple[float, float]], top: float, skip: str | None = None
    ) -> list[float]:
        """First surface under each point (mj_ray down from `top`), through the robot and
        `skip`'s body."""
        robot = self._robot.prefix
        exclude = self._body_ids.get(skip, -1) if skip is not None else -1
        down, hit = np.array([0.0, 0.0, -1.0]), np.zeros(1, dtype=np.int32)
        heights = []
        for x, y in points_xy:
            z = top
            while True:
                distance = mujoco.mj_ray(self.model, self.data, np.array([x, y, z]), down,
                                         None, True, exclude, hit)  # fmt: skip
                if distance < 0:
                    z = -math.inf
                    break
                z -= distance
                body = self.model.body(int(self.model.geom_bodyid[hit[0]])).name
                if not body.startswith(robot):
                    break
                z -= 1e-4  # a robot link: look on below it
            heights.append(z)
        return heights

    def _geom_owner(self, geom: int) -> str:
        for object_id, ids in self._objects.items():
            if geom in ids.geoms:
                return object_id
        body_name = self.model.body(int(self.model.geom_bodyid[geom])).name
        return "robot" if body_name.startswith(self._robot.prefix) else "world"

    def contacts_with(self, object_id: str) -> dict[str, float]:
        """Contacts of the object's geoms now: other owner -> summed normal force (N)."""
        geoms = set(self._objects[object_id].geoms)
        force = np.zeros(6)
        touching: dict[str, float] = {}
        contact = self.data.contact
        for i in range(self.data.ncon):
            g1, g2 = int(contact.geom1[i]), int(contact.geom2[i])
            if (g1 in geoms) == (g2 in geoms):
                continue
            other = self._geom_owner(g2 if g1 in geoms else g1)
            mujoco.mj_contactForce(self.model, self.data, i, force)
            touching[other] = touching.get(other, 0.0) + float(force[0])
        return touching

    def render(self) -> dict[str, Image]:
        """RGB images of the cameras that record RGB."""
        frames = self.render_frames()
        return {name: frame.rgb for name, frame in frames.items() if frame.rgb is not None}

    @property
    def camera_specs(self) -> tuple[CameraSpec, ...]:
        """The recorded cameras."""
        return () if self._cameras is None else self._cameras.cameras

    def render_frames(self) -> dict[str, CameraFrame]:
        """Each camera's RGB, depth (mm), segmentation ids and pose, as its modalities ask."""
        if self._cameras is None:
            return {}
        if self._rig is None:
            self._rig = MujocoCameras(
                self.model, self.camera_specs, self._camera_ids, self._segments()
            )
        return self._rig.capture(self.data)

    def _segment_names(self) -> tuple[list[str], list[str]]:
        distractors = set(distractor_ids(self.model))
        objects = [o for o in self._objects if o not in distractors]
        return objects, sorted(distractors)

    def _segments(self) -> NDArray[np.uint16]:
        objects, distractors = self._segment_names()
        paths = {o: h.prim_path for o, h in self._handles.items()}
        geoms = object_geoms(self.model, {o: i.geoms for o, i in self._objects.items()}, paths)
        ids = object_segment_ids([*sorted(objects), *distractors])
        return segment_lookup(self.model, geoms, ids, self._robot.prefix)

    def camera_documents(self) -> dict[str, Any]:
        """meta/cameras.json (intrinsics, mounts) and meta/segmentation.json (id -> object)."""
        specs = self.camera_specs
        fovy = {s.name: float(self.model.cam_fovy[self._camera_ids[s.name]]) for s in specs}
        documents: dict[str, Any] = {CAMERAS_DOCUMENT: cameras_document(specs, fovy)}
        if any(spec.has("segmentation") for spec in specs):
            documents[SEGMENTATION_DOCUMENT] = segmentation_document(*self._segment_names())
        return documents

    def close(self) -> None:
        """Free the renderers (idempotent)."""
        if self._closed:
            return
        if self._rig is not None:
            self._rig.close()
            self._rig = None
        self._closed = True
