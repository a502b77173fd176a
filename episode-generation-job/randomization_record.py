"""What an episode records of its randomization: the full JSON record and flat summary values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from episode_generation_job.backends.base import EpisodeInit, SimBackend
from tools.randomization import BundleConfig, CameraSample, EpisodeRandomization
from tools.rotations import quat_multiply
from tools.sim.robots.franka import constants as franka
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

RECORD_COLUMN = "randomization"  # episode column: the record as a JSON string
VALUES_COLUMN = "randomization_values"  # episode columns randomization_values/<name>: numbers

Values = dict[str, float | int | None]


def _conjugate(quat: Sequence[float]) -> tuple[float, float, float, float]:
    return (float(quat[0]), -float(quat[1]), -float(quat[2]), -float(quat[3]))


def _camera_turn(
    sample: CameraSample, bundle: BundleConfig
) -> tuple[np.ndarray, tuple[float, ...]]:
    jitter = bundle.randomizers.camera_jitter
    if jitter is None:
        raise ValueError("a camera sample needs the config's camera_jitter")
    offset = np.subtract(sample.pose.position, jitter.nominal.position)
    turn = quat_multiply(_conjugate(jitter.nominal.rotation_wxyz), sample.pose.rotation_wxyz)
    return offset, turn


def jittered_camera(nominal: Pose, sample: CameraSample, bundle: BundleConfig) -> Pose:
    """The scene camera moved the way the bundle moved the stage camera.

    The bundle jitters the stage's camera (a world offset and a small turn about the camera's
    own axes); the same offset and turn are applied to the episode's scene camera.

    Args:
        nominal: the scene camera's nominal pose.
        sample: the stage camera's jittered pose.
        bundle: the config (gives the stage camera's nominal pose).

    Returns:
        The scene camera's pose for the episode (or frame).
    """
    offset, turn = _camera_turn(sample, bundle)
    return Pose.of(np.add(nominal.position, offset), quat_multiply(nominal.quat_wxyz, turn))


def per_frame_randomizers(bundle: BundleConfig, sample: EpisodeRandomization) -> tuple[str, ...]:
    """Randomizers drawn per frame that the engine applied for the episode.

    Args:
        bundle: the config (frequencies).
        sample: what the engine applied per episode (an engine that cannot set a light
            returns no light, so it gets no per-frame light either).

    Returns:
        Their names, in config order.
    """
    r = bundle.randomizers
    candidates = (
        ("lighting", r.lighting, sample.light is not None),
        ("object_colors", r.object_colors, bool(sample.colors)),
        ("background_colors", r.background_colors, bool(sample.colors)),
        ("camera_jitter", r.camera_jitter, sample.camera is not None),
    )
    return tuple(
        name
        for name, params, applied in candidates
        if params is not None and params.enabled and params.frequency == "per_frame" and applied
    )


def _pose_json(pose: Pose) -> dict[str, list[float]]:
    return {"position": list(pose.position), "rotation_wxyz": list(pose.quat_wxyz)}


def _robot(home: Sequence[float], nominal: Sequence[float]) -> dict[str, list[float]]:
    offsets = np.subtract(home, nominal)
    return {"home_qpos": [float(q) for q in home], "home_offset_rad": [float(d) for d in offsets]}


def none_record(
    seed: int, init: EpisodeInit, nominal_home: Sequence[float] = franka.HOME_QPOS
) -> dict[str, Any]:
    """The record of mode `none`: every free object's start pose and the arm's home.

    Args:
        seed: the attempt's seed.
        init: the jittered initial conditions.
        nominal_home: the robot's home before jitter.

    Returns:
        JSON-ready values.
    """
    objects = {oid: _pose_json(pose) for oid, pose in sorted(init.object_poses.items())}
    return {
        "mode": "none",
        "seed": seed,
        "objects": objects,
        "robot": _robot(init.arm_qpos, nominal_home),
    }


def bundle_record(
    sample: EpisodeRandomization,
    home: Sequence[float],
    camera: Pose | None,
    draws: int,
    rejected: Mapping[str, int],
    per_frame: Sequence[str],
    nominal_home: Sequence[float] = franka.HOME_QPOS,
) -> dict[str, Any]:
    """The record of mode `bundle`.

    Args:
        sample: the bundle values the engine applied (tools.randomization's record).
        home: the arm's jittered home joint positions.
        camera: the scene camera's jittered pose (None: not jittered).
        draws: layouts drawn until this one was accepted.
        rejected: why the earlier draws were rejected, counted.
        per_frame: randomizers redrawn per frame (values follow from the seed).
        nominal_home: the robot's home before jitter.

    Returns:
        JSON-ready values.
    """
    return {
        "mode": "bundle",
        "policy": sample.policy,
        "seed": sample.seed,
        "draws": draws,
        "rejected": dict(sorted(rejected.items())),
        "bundle": sample.to_json_dict(),
        "robot": _robot(home, nominal_home),
        "scene_camera": None if camera is None else _pose_json(camera),
        "per_frame": list(per_frame),
    }


def _bundle_values(sample: EpisodeRandomization, bundle: BundleConfig, target_id: str) -> Values:
    values: Values = {"distractors": len(sample.distractors)}
    if sample.light is not None:
        values["light_intensity"] = sample.light.intensity
        values["light_temperature_k"] = sample.light.color_temperature_k
        values["light_tilt_deg"] = sample.light.rotation_xyz_deg[0]
        values["light_azimuth_deg"] = sample.light.rotation_xyz_deg[2]
    if sample.camera is not None:
        offset, turn = _camera_turn(sample.camera, bundle)
        values["camera_offset_m"] = float(np.linalg.norm(offset))
        values["camera_turn_deg"] = math.degrees(2.0 * math.acos(min(1.0, abs(turn[0]))))
    for physics in sample.physics:
        if physics.object_id == target_id:
            values["target_mass_kg"] = physics.mass_kg
            values["target_static_friction"] = physics.static_friction
            values["target_dynamic_friction"] = physics.dynamic_friction
    return values


def _pose_values(
    target: Pose, region: GoalRegion, home: Sequence[float], nominal: Sequence[float]
) -> Values:
    offsets = np.abs(np.subtract(home, nominal))
    return {
        "target_x": target.position[0],
        "target_y": target.position[1],
        "target_yaw_deg": math.degrees(target.yaw),
        "goal_x": float(region.centre[0]),
        "goal_y": float(region.centre[1]),
        "home_offset_max_rad": float(offsets.max()),
    }


def jitter_values(
    task: PickPlaceTask,
    init: EpisodeInit,
    rest_boxes: Mapping[str, ObjectBox],
    nominal_home: Sequence[float] = franka.HOME_QPOS,
) -> Values:
    """Flat numbers of mode `none`: the drawn target pose, the goal centre, the home offset.

    Args:
        task: the episode's task.
        init: the jittered initial conditions.
        rest_boxes: every object's box at rest (the goal's, for an object goal).
        nominal_home: the robot's home before jitter.

    Returns:
        Name -> value (no simulation step: mode `none` stays as cheap as before).
    """
    radius = rest_boxes[task.target_id].footprint_radius
    region = task.goal_region(rest_boxes[task.goal_id], radius)
    return _pose_values(init.object_poses[task.target_id], region, init.arm_qpos, nominal_home)


def episode_values(
    backend: SimBackend,
    task: PickPlaceTask,
    home: Sequence[float],
    sample: EpisodeRandomization,
    bundle: BundleConfig,
    draws: int,
    nominal_home: Sequence[float] = franka.HOME_QPOS,
) -> Values:
    """Flat numbers of a bundle episode, measured in the simulation after `reset`.

    Args:
        backend: the scene in the episode's initial state.
        task: the episode's task (goal fitted to the layout).
        home: the arm's home joint positions.
        sample: the applied bundle values.
        bundle: their config.
        draws: layouts drawn until this one was accepted.
        nominal_home: the robot's home before jitter.

    Returns:
        Name -> value: target start pose and goal centre, largest home offset, distractor
        count, light, camera jitter, the target's mass and frictions, and draws.
    """
    boxes = backend.object_boxes()
    region = task.goal_region(boxes[task.goal_id], boxes[task.target_id].footprint_radius)
    values = _pose_values(backend.object_pose(task.target_id), region, home, nominal_home)
    values |= _bundle_values(sample, bundle, task.target_id)
    values["draws"] = draws
    return values
