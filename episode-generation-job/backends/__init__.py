"""Simulation backends behind one interface: `mujoco` (embedded, CPU) and `isaacsim` (NGC)."""

from __future__ import annotations

from pathlib import Path

from episode_generation_job.backend_selection import (
    BACKENDS,
    is_isaac_sim_available,
    is_replicator_available,
    resolve_backend,
)
from episode_generation_job.backends.base import (
    CAMERA_NAMES,
    CONTROL_HZ,
    PHYSICS_DT,
    BackendInfo,
    CameraConfig,
    EpisodeInit,
    SimBackend,
)
from tools.errors import ConfigError
from tools.randomization import BundleConfig
from tools.robots import FRANKA_PANDA
from tools.scene_manifest import SceneManifest

__all__ = [
    "BACKENDS",
    "CAMERA_NAMES",
    "CONTROL_HZ",
    "PHYSICS_DT",
    "BackendInfo",
    "CameraConfig",
    "EpisodeInit",
    "SimBackend",
    "is_isaac_sim_available",
    "is_replicator_available",
    "open_backend",
    "resolve_backend",
]


def open_backend(
    name: str,
    usd_path: Path,
    manifest: SceneManifest,
    cameras: CameraConfig | None,
    *,
    bundle: BundleConfig | None = None,
    robot: str = FRANKA_PANDA.robot_type,
) -> SimBackend:
    """Load the scene stage with a robot into the named backend.

    Args:
        name: "mujoco" or "isaacsim" (see `resolve_backend`).
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        cameras: images to render (None: none).
        bundle: the policy config whose randomizers episodes will draw (None: no
            randomization bundle; MuJoCo then has no distractor slots and a fixed key light).
        robot: the arm's type (`ROBOT`); Isaac Sim mounts only the Panda.

    Returns:
        The backend, ready for `reset`.
    """
    if name == "isaacsim":
        if robot != FRANKA_PANDA.robot_type:
            raise ConfigError("ROBOT", "isaacsim mounts franka_panda only")
        from episode_generation_job.backends.isaacsim_backend import IsaacSimBackend

        return IsaacSimBackend(usd_path, manifest, cameras)
    from episode_generation_job.backends.mujoco_backend import MujocoBackend
    from episode_generation_job.backends.mujoco_scene import scene_from_usd
    from tools.sim.robots.registry import sim_robot

    arm = sim_robot(robot)
    if bundle is None:
        return MujocoBackend(scene_from_usd(usd_path, manifest), cameras, arm)
    lighting = bundle.randomizers.lighting
    # The randomized stage light replaces the fixed key light, or it would wash the changes out.
    key_light = lighting is None or not lighting.enabled
    distractors = bundle.randomizers.distractors
    scene = scene_from_usd(usd_path, manifest, distractors, key_light=key_light)
    return MujocoBackend(scene, cameras, arm)
