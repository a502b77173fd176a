"""One shard of the episode job in this process: load the scene into the backend, then fill
the shard's slots (used in-process, by each local worker and by each Cloud Run task)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from episode_generation_job.backend_selection import resolve_backend
from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.bundle_policy import applicable_settings
from episode_generation_job.dataset import dataset_provenance
from episode_generation_job.domain_randomization import EpisodeRandomizer
from episode_generation_job.episode_layout import run_dir
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.job import bundle_config
from episode_generation_job.run_fingerprint import run_fingerprint
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.shard_runner import ShardPlan, run_shard
from tools.errors import InputError
from tools.randomization import BundleConfig
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.storage import Storage
from tools.tasks.task_specifier import Phraser, template_phrase


def shard_plan(settings: EpisodeSettings, index: int, count: int) -> ShardPlan:
    """The plan of shard `index` of `count` under these settings."""
    return ShardPlan(
        index=index,
        count=count,
        num_episodes=settings.NUM_EPISODES,
        max_attempts=settings.MAX_ATTEMPTS,
        checkpoint_every=settings.CHECKPOINT_EVERY,
        base_seed=settings.SEED,
        cameras=settings.camera_names,
        codec=settings.VIDEO_CODEC,
        claim_slots=settings.SLOT_ASSIGNMENT == "claim" and count > 1,
    )


def _phraser(settings: EpisodeSettings) -> Phraser:
    if not settings.LLM_PHRASING:
        return template_phrase
    from episode_generation_job.phrasing import llm_phraser

    return llm_phraser()


def _open_session(
    scene_dir: Path, settings: EpisodeSettings, backend: str, bundle: BundleConfig | None
) -> EpisodeSession:
    manifest = load_manifest(scene_dir)
    cameras = settings.camera_names
    config = (
        CameraConfig(settings.CAMERA_WIDTH, settings.CAMERA_HEIGHT, cameras, settings.camera_specs)
        if cameras
        else None
    )
    sim = open_backend(
        backend, scene_dir / SCENE_USD_PATH, manifest, config, bundle=bundle, robot=settings.ROBOT
    )
    articulated = None
    if settings.ARTICULATED_TASKS:  # MuJoCo only (settings refuse isaacsim)
        from episode_generation_job.articulated_session import ArticulatedTasks

        usd = scene_dir / SCENE_USD_PATH
        articulated = partial(
            ArticulatedTasks, usd, manifest, cameras=config, max_tasks=settings.MAX_TASKS
        )
    return EpisodeSession(
        sim,
        manifest,
        max_tasks=settings.MAX_TASKS,
        phrase=_phraser(settings),
        randomizer=EpisodeRandomizer(bundle, manifest),
        scene_dir=scene_dir,
        articulated=articulated,
    )


def run_one_shard(
    scene_dir: Path, storage: Storage, settings: EpisodeSettings, index: int, count: int
) -> dict[str, Any]:
    """Run one shard (a Cloud Run task, a local worker, or the whole job with one worker).

    Args:
        scene_dir: local scene folder.
        storage: the scene's storage.
        settings: the job settings.
        index: shard index.
        count: number of shards.

    Returns:
        The shard summary as a dict.

    Raises:
        BackendUnavailableError: the backend cannot run here.
        InputError: the scene USD or the bundle config is missing, or the scene offers no task.
    """
    backend = resolve_backend(settings.BACKEND, settings.PRODUCTION_MODE)
    settings = applicable_settings(scene_dir, settings)
    usd = scene_dir / SCENE_USD_PATH
    if not usd.is_file():
        raise InputError(SCENE_USD_PATH, "missing (did the usd step run?)")
    bundle = bundle_config(scene_dir, settings)
    fingerprint = run_fingerprint(scene_dir, settings, backend)
    provenance = dataset_provenance(scene_dir, fingerprint, settings.SEED)
    opener = partial(_open_session, scene_dir, settings, backend, bundle)
    run = run_dir(scene_dir, fingerprint.digest)
    plan = shard_plan(settings, index, count)
    summary = run_shard(run, scene_dir, storage, plan, provenance, opener)
    return vars(summary)
