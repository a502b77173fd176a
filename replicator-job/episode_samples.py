"""Episodes pre-sampled from the bundle seed and checked in MuJoCo (the records Isaac replays)."""

from __future__ import annotations

import zlib
from pathlib import Path

import mujoco
import numpy as np

from tools.randomization import (
    BundleConfig,
    find_penetrations,
    load_randomizable_scene,
    moved_bodies,
    sample_valid_randomization,
    settle,
)
from tools.randomization.samples import EpisodeRandomization, EpisodeSamples
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import SceneManifest


def episode_seed(bundle_seed: int, scene_id: str, policy: str, index: int) -> int:
    """A stable 63-bit seed for one pre-sampled episode of one policy of one scene.

    Args:
        bundle_seed: the step's SEED.
        scene_id: the scene (two scenes with one SEED still differ).
        policy: the policy name.
        index: the episode's index.

    Returns:
        The seed its generator is built from.
    """
    words = [bundle_seed, zlib.crc32(scene_id.encode()), zlib.crc32(policy.encode()), index]
    sequence = np.random.SeedSequence(words)
    high, low = (int(v) for v in sequence.generate_state(2, dtype=np.uint32))
    return ((high & 0x7FFFFFFF) << 32) | low


def sample_episodes(
    scene_dir: Path, config: BundleConfig, manifest: SceneManifest, count: int
) -> EpisodeSamples:
    """`count` randomizations drawn, applied in MuJoCo and kept only without penetration.

    Args:
        scene_dir: the scene folder (its usd/scene.usda is loaded).
        config: the policy config.
        manifest: the scene manifest.
        count: episodes to sample.

    Returns:
        The samples file's content.

    Raises:
        PlacementError: an episode found no penetration-free layout.
        InputError: the stage cannot be loaded into MuJoCo.
    """
    scene = load_randomizable_scene(scene_dir / SCENE_USD_PATH, config)
    data = mujoco.MjData(scene.model)
    episodes = []
    for index in range(count):
        seed = episode_seed(config.seed, config.scene_id, config.policy, index)
        rng = np.random.default_rng(seed)
        episodes.append(
            sample_valid_randomization(
                config, manifest, rng, scene.model, data, scene.objects, seed=seed
            )
        )
    return EpisodeSamples(
        scene_id=config.scene_id, policy=config.policy, seed=config.seed, episodes=tuple(episodes)
    )


def physics_check(
    scene_dir: Path,
    config: BundleConfig,
    episode: EpisodeRandomization,
    *,
    seconds: float = 1.0,
) -> dict[str, float | bool]:
    """Apply one episode in MuJoCo, measure penetration, then settle and measure motion.

    Args:
        scene_dir: the scene folder.
        config: the policy config the episode was sampled from.
        episode: the randomization.
        seconds: simulated settle time.

    Returns:
        Figures: deepest initial penetration, largest displacement, deepest contact while
        settling, and whether the layout stayed put.
    """
    from tools.randomization import apply_to_mujoco

    scene = load_randomizable_scene(scene_dir / SCENE_USD_PATH, config)
    data = mujoco.MjData(scene.model)
    apply_to_mujoco(episode, scene.model, data, scene.objects)
    bodies = moved_bodies(episode, scene.model, scene.objects)
    deepest = find_penetrations(scene.model, data, tolerance_m=0.0, bodies=bodies.values())
    report = settle(scene.model, data, bodies, seconds=seconds)
    return {
        "initial_penetration_m": deepest[0].depth_m if deepest else 0.0,
        "max_displacement_m": report.max_displacement_m,
        "max_penetration_while_settling_m": report.max_penetration_m,
        "stable": report.stable,
    }
