"""Simulation backends behind one interface: `mujoco` (embedded, CPU) and `isaacsim` (NGC)."""

from __future__ import annotations

from pathlib import Path

from episode_generation_job.backends.base import (
    CAMERA_NAMES,
    CONTROL_HZ,
    PHYSICS_DT,
    BackendInfo,
    CameraConfig,
    EpisodeInit,
    SimBackend,
)
from episode_generation_job.backends.isaacsim_backend import (
    is_isaac_sim_available,
    is_replicator_available,
)
from episode_generation_job.errors import BackendUnavailableError
from tools.randomization import BundleConfig
from tools.scene_manifest import SceneManifest

BACKENDS = ("mujoco", "isaacsim")

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


def resolve_backend(requested: str | None, production_mode: bool) -> str:
    """The backend to use; never falls back silently.

    Production requires Isaac Sim and fails fast when it is not importable; locally the default
    is the embedded MuJoCo backend, and an explicit `isaacsim` that is missing also fails.

    Args:
        requested: BACKEND (None: the mode's default).
        production_mode: PRODUCTION_MODE.

    Returns:
        "mujoco" or "isaacsim".

    Raises:
        BackendUnavailableError: the backend is not allowed or not importable here.
    """
    name = requested or ("isaacsim" if production_mode else "mujoco")
    if name not in BACKENDS:
        raise BackendUnavailableError(name, f"unknown; use one of {BACKENDS}")
    if production_mode and name != "isaacsim":
        raise BackendUnavailableError(
            name, "PRODUCTION_MODE=true requires BACKEND=isaacsim", hint="run in the NGC image"
        )
    if name == "isaacsim" and not is_isaac_sim_available():
        raise BackendUnavailableError(
            name,
            "Isaac Sim is not importable (no `isaacsim` package with a real origin)",
            hint="run inside nvcr.io/nvidia/isaac-sim (docs/ISAAC_SIM_SETUP.md)",
        )
    return name


def open_backend(
    name: str,
    usd_path: Path,
    manifest: SceneManifest,
    cameras: CameraConfig | None,
    *,
    bundle: BundleConfig | None = None,
) -> SimBackend:
    """Load the scene stage with a Panda into the named backend.

    Args:
        name: "mujoco" or "isaacsim" (see `resolve_backend`).
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        cameras: images to render (None: none).
        bundle: the policy config whose randomizers episodes will draw (None: no
            randomization bundle; MuJoCo then has no distractor slots and a fixed key light).

    Returns:
        The backend, ready for `reset`.
    """
    if name == "isaacsim":
        from episode_generation_job.backends.isaacsim_backend import IsaacSimBackend

        return IsaacSimBackend(usd_path, manifest, cameras)
    from episode_generation_job.backends.mujoco_backend import MujocoBackend
    from episode_generation_job.backends.mujoco_scene import scene_from_usd

    if bundle is None:
        return MujocoBackend(scene_from_usd(usd_path, manifest), cameras)
    lighting = bundle.randomizers.lighting
    # The randomized stage light replaces the fixed key light, or it would wash the changes out.
    key_light = lighting is None or not lighting.enabled
    distractors = bundle.randomizers.distractors
    scene = scene_from_usd(usd_path, manifest, distractors, key_light=key_light)
    return MujocoBackend(scene, cameras)
