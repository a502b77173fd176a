"""The fingerprint of an episode run: everything that decides what the dataset holds.

Shard parts, slot claims and checkpoints live under the fingerprint of the run that wrote them
(`episode_layout.run_dir`), so a rerun resumes only work done for the same scene, bundle,
robot and output settings; any change starts a fresh run folder, and the folders of other
fingerprints are removed once the new dataset is published (`stale_runs`).

Left out on purpose: settings that change how the work is done but not one written episode
(WORKERS, CHECKPOINT_EVERY, MAX_ATTEMPTS, MIN_SUCCESS_RATE, PREVIEW_EPISODES: every attempt is
seeded by SEED, slot and attempt number, so a resumed slot draws what it would have drawn),
and the code version, which is recorded but would make every edit discard finished work.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from episode_generation_job.backend_selection import resolve_backend
from episode_generation_job.episode_layout import run_dir
from episode_generation_job.settings import EpisodeSettings
from tools.provenance import provenance_record, sha256_file, sha256_tree, tool_versions
from tools.randomization.layout import config_path
from tools.robots import FRANKA_PANDA, RobotDescription, robot_description
from tools.scene_layout import MANIFEST_FILES, SCENE_USD_PATH

ROBOT_ASSET_KEY = "robot_asset"
# From the engine-free robot description: importing tools.sim loads mujoco and pxr (seconds),
# and the job's parent computes the fingerprint before its workers start.
ROBOT_TYPE = FRANKA_PANDA.robot_type  # the default robot's; ROBOT= selects another
ROBOT_ASSET_PACKAGE = FRANKA_PANDA.asset_package
ROBOT_ASSET_SUBDIR = FRANKA_PANDA.asset_subdir
_OUTPUT_SETTINGS = ("SEED", "NUM_EPISODES", "MAX_TASKS", "LLM_PHRASING", "RANDOMIZATION")
_CAMERA_SETTINGS = ("CAMERA_WIDTH", "CAMERA_HEIGHT", "VIDEO_CODEC")


@functools.cache
def _mujoco_robot_asset(robot: RobotDescription) -> dict[str, str | None]:
    folder = robot.asset_dir()  # engine-free: no mujoco import before Kit
    return {
        "robot": robot.robot_type,
        "source_package": robot.asset_package,
        "version": tool_versions().get(robot.asset_package),
        "path": f"pybullet_data/{robot.asset_subdir}",
        "sha256": sha256_tree(folder),
    }


def robot_asset(backend: str, robot: RobotDescription = FRANKA_PANDA) -> dict[str, str | None]:
    """The robot model a backend loads: its source package, version and content hash.

    Isaac Sim loads its own Franka USD from the Isaac asset root inside the container; only
    the package that provides it is known here, so its hash is None.
    """
    if backend == "isaacsim":
        return {
            "robot": ROBOT_TYPE,
            "source_package": "isaacsim",
            "version": tool_versions().get("isaacsim"),
            "path": None,
            "sha256": None,
        }
    return _mujoco_robot_asset(robot)


def _sha256_or_none(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


@dataclass(frozen=True)
class RunFingerprint:
    """A run's identity and what it was computed from."""

    digest: str
    input_sha256: dict[str, str | None]
    settings: dict[str, Any]
    backend: str
    robot_asset: dict[str, str | None] = field(default_factory=dict)

    @property
    def short(self) -> str:
        """The 16 hex digits that name the run's folder."""
        return self.digest[:16]

    def provenance(self, scene_dir: Path) -> dict[str, Any]:
        """The full provenance record of this run (reports, markers, meta/info.json)."""
        return provenance_record(
            scene_dir,
            input_sha256=self.input_sha256,
            settings=self.settings,
            extra={
                "backend": self.backend,
                "robot_asset": self.robot_asset,
                "run_fingerprint": self.digest,
            },
        )


def output_settings(settings: EpisodeSettings) -> dict[str, Any]:
    """The settings that change what is written. Camera size and codec count only when a
    camera is recorded; the policy only when the bundle's randomizers are applied."""
    chosen: dict[str, Any] = {name: getattr(settings, name) for name in _OUTPUT_SETTINGS}
    chosen["CAMERAS"] = list(settings.camera_names)
    if settings.CAMERAS.strip().startswith("["):  # a camera list: mounts, sizes, modalities
        chosen["CAMERAS"] = [spec.model_dump(mode="json") for spec in settings.camera_specs]
    if settings.camera_names:
        chosen |= {name: getattr(settings, name) for name in _CAMERA_SETTINGS}
    if settings.RANDOMIZATION == "bundle":
        chosen["POLICY"] = settings.POLICY
    if settings.ARTICULATED_TASKS:  # only when on: runs without it keep their fingerprint
        chosen["ARTICULATED_TASKS"] = True
    return chosen


def run_fingerprint(scene_dir: Path, settings: EpisodeSettings, backend: str) -> RunFingerprint:
    """Hash the run's inputs (scene.usda, manifest, bundle config, robot asset) and settings.

    Args:
        scene_dir: the local scene folder.
        settings: the job settings.
        backend: the resolved backend.

    Returns:
        The fingerprint; the same in every process of a run (workers, Cloud Run tasks).

    Raises:
        ConfigError: the robot asset's package is missing.
    """
    inputs: dict[str, str | None] = {
        SCENE_USD_PATH: _sha256_or_none(scene_dir / SCENE_USD_PATH),
        # the manifest is the ingest's file and the simready/usd layers merged over it
        **{path: _sha256_or_none(scene_dir / path) for path in MANIFEST_FILES},
    }
    if settings.RANDOMIZATION == "bundle":
        relative = config_path(settings.POLICY)
        inputs[relative] = _sha256_or_none(scene_dir / relative)
    asset = robot_asset(backend, robot_description(settings.ROBOT))
    inputs[ROBOT_ASSET_KEY] = asset["sha256"]
    chosen = output_settings(settings)
    document = {"inputs": inputs, "settings": chosen, "backend": backend, "robot": asset}
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return RunFingerprint(digest, inputs, chosen, backend, asset)


def fingerprint_for(scene_dir: Path, settings: EpisodeSettings) -> RunFingerprint:
    """`run_fingerprint` with the backend the settings resolve to.

    Raises:
        BackendUnavailableError: the backend cannot run here.
    """
    return run_fingerprint(
        scene_dir, settings, resolve_backend(settings.BACKEND, settings.PRODUCTION_MODE)
    )


def run_dir_for(scene_dir: Path, settings: EpisodeSettings) -> Path:
    """The folder a run with these settings keeps its shards, claims and parts in."""
    return run_dir(scene_dir, fingerprint_for(scene_dir, settings).digest)
