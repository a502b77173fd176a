"""Domain randomization shared by the Replicator bundle and the embedded (MuJoCo) engine.

The replicator step writes, per policy, `replicator/configs/<policy>.json` (a `BundleConfig`:
the randomizers' parameters and the placement regions they use). Any engine draws the same
randomizers from it; this package is the embedded engine's side:

    import numpy as np
    from tools.randomization import (
        load_bundle_config, load_randomizable_scene, sample_valid_randomization,
        sample_episode_randomization, apply_to_mujoco, sample_frame_randomization,
        apply_frame_to_mujoco,
    )
    from tools.scene_manifest import load_manifest

    config = load_bundle_config(scene_dir, "pick_and_place")
    manifest = load_manifest(scene_dir)
    scene = load_randomizable_scene(scene_dir / "usd/scene.usda", config)  # + distractor slots
    data = mujoco.MjData(scene.model)
    rng = np.random.default_rng(episode_seed)
    # sample + apply + reject layouts whose placed bodies penetrate anything (> 1 mm):
    episode = sample_valid_randomization(config, manifest, rng, scene.model, data, scene.objects,
                                         seed=episode_seed)
    metadata["randomization"] = episode.to_json_dict()      # every value, JSON-ready

    # or without the physics check:
    episode = sample_episode_randomization(config, manifest, rng, seed=episode_seed)
    apply_to_mujoco(episode, scene.model, data, scene.objects)

    # randomizers configured "per_frame" (light, colours, camera), before each frame:
    frame = sample_frame_randomization(config, frame_rng)
    apply_frame_to_mujoco(frame, scene.model)
    frames_metadata.append(frame.model_dump(mode="json"))

Adding a robot to `scene.spec` and recompiling is fine: bodies are found by name. Values are
absolute, so applying one episode after another never compounds. Everything an engine needs
to reproduce an episode is in `EpisodeRandomization`; the Replicator script in the bundle
replays the same records inside Isaac Sim.
"""

import importlib
from typing import TYPE_CHECKING, Any

from tools.randomization.config import (
    BundleConfig,
    CameraJitterConfig,
    ColorConfig,
    ColorTarget,
    DistractorConfig,
    JointConfig,
    LightingConfig,
    PhysicsConfig,
    PhysicsTarget,
    Randomizers,
    ScatterConfig,
    ScatterObject,
    TaskSpec,
    Workspace,
    load_bundle_config,
)
from tools.randomization.errors import ModelMismatchError, PlacementError, RandomizationError
from tools.randomization.joints import sample_joints
from tools.randomization.regions import OrientedBox, PlacementRegion, RegionsFile
from tools.randomization.sampler import sample_episode_randomization, sample_frame_randomization
from tools.randomization.samples import (
    CameraSample,
    ColorSample,
    DistractorSample,
    EpisodeRandomization,
    FrameRandomization,
    JointSample,
    LightSample,
    ObjectPlacement,
    PhysicsSample,
    Pose,
    RestPose,
)

# The MuJoCo side (mujoco, pxr) is imported on first use, so reading a bundle config stays
# light: a job's parent process validates the bundle before it starts its workers.
_MUJOCO_NAMES = {
    "add_distractor_slots": "tools.randomization.mujoco_apply",
    "apply_frame_to_mujoco": "tools.randomization.mujoco_apply",
    "apply_to_mujoco": "tools.randomization.mujoco_apply",
    "load_randomizable_scene": "tools.randomization.mujoco_apply",
    "Penetration": "tools.randomization.mujoco_check",
    "SettleReport": "tools.randomization.mujoco_check",
    "find_penetrations": "tools.randomization.mujoco_check",
    "moved_bodies": "tools.randomization.mujoco_check",
    "sample_valid_randomization": "tools.randomization.mujoco_check",
    "settle": "tools.randomization.mujoco_check",
}

if TYPE_CHECKING:
    from tools.randomization.mujoco_apply import (
        add_distractor_slots,
        apply_frame_to_mujoco,
        apply_to_mujoco,
        load_randomizable_scene,
    )
    from tools.randomization.mujoco_check import (
        Penetration,
        SettleReport,
        find_penetrations,
        moved_bodies,
        sample_valid_randomization,
        settle,
    )


def __getattr__(name: str) -> Any:
    module = _MUJOCO_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BundleConfig",
    "CameraJitterConfig",
    "CameraSample",
    "ColorConfig",
    "ColorSample",
    "ColorTarget",
    "DistractorConfig",
    "DistractorSample",
    "EpisodeRandomization",
    "FrameRandomization",
    "JointConfig",
    "JointSample",
    "LightSample",
    "LightingConfig",
    "ModelMismatchError",
    "ObjectPlacement",
    "OrientedBox",
    "Penetration",
    "PhysicsConfig",
    "PhysicsSample",
    "PhysicsTarget",
    "PlacementError",
    "PlacementRegion",
    "Pose",
    "RandomizationError",
    "Randomizers",
    "RegionsFile",
    "RestPose",
    "ScatterConfig",
    "ScatterObject",
    "SettleReport",
    "TaskSpec",
    "Workspace",
    "add_distractor_slots",
    "apply_frame_to_mujoco",
    "apply_to_mujoco",
    "find_penetrations",
    "load_bundle_config",
    "load_randomizable_scene",
    "moved_bodies",
    "sample_episode_randomization",
    "sample_frame_randomization",
    "sample_joints",
    "sample_valid_randomization",
    "settle",
]
