"""The episode job: resolve the backend, run shards (in-process, as workers or as a Cloud Run
task), merge them into one dataset, write reports and enforce the success rate.

This module stays light (no engine, video or Arrow imports at module level): with WORKERS > 1
the parent process only validates, starts the workers and merges, and the workers start
sooner when the parent has not loaded what only they need. The heavy parts are imported
where they are used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from episode_generation_job.backend_selection import resolve_backend
from episode_generation_job.bundle_policy import applicable_settings, unsupported_policy
from episode_generation_job.episode_layout import (
    PREVIEW_PATH,
    SHARD_SUMMARY,
    claims_dir,
    episode_key,
    run_dir,
    shard_dir,
)
from episode_generation_job.run_fingerprint import RunFingerprint, run_fingerprint
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.stale_runs import remove_stale_runs
from episode_generation_job.worker import WORKER_ERROR_ENV
from tools.child_processes import killed_with_parent
from tools.errors import (
    EXIT_BAD_INPUT,
    InputError,
    PartialFailureError,
    PipelineError,
    TransientError,
)
from tools.randomization import BundleConfig, load_bundle_config
from tools.steps import TASK_PART_ONLY, StepContext, StepResult
from tools.storage import LocalStorage, Storage
from tools.structured_logging import get_logger, log_fields

log = get_logger(__name__)

WORKER_MODULE = "episode_generation_job.worker"


def bundle_config(scene_dir: Path, settings: EpisodeSettings) -> BundleConfig | None:
    """The policy config whose randomizers episodes apply (None with RANDOMIZATION=none).

    Args:
        scene_dir: local scene folder.
        settings: the job settings (RANDOMIZATION, POLICY).

    Returns:
        The validated config, or None.

    Raises:
        InputError: `replicator/configs/<POLICY>.json` is missing or unreadable.
        ManifestError: it violates the config model.
    """
    if settings.RANDOMIZATION == "none":
        return None
    try:
        return load_bundle_config(scene_dir, settings.POLICY)
    except InputError as exc:
        raise InputError(
            exc.source,
            exc.problem,
            hint="run the replicator step first, or set RANDOMIZATION=none (no bundle)",
        ) from None


def _prepare_worker_shards(run: Path, count: int) -> None:
    """Before any worker runs: publish the parts a killed run left complete in staging (a
    worker only reads its siblings' folders, it never renames in them), then empty the claims
    folder (claims of a killed run mean nothing; published parts are the truth)."""
    from episode_generation_job.slot_claims import reset_claims

    if run.is_dir():
        from tools.lerobot import published_datasets

        for index in range(count):
            published_datasets(shard_dir(run, index, count))
    reset_claims(run)


def _run_workers(scene_dir: Path, run: Path, settings: EpisodeSettings) -> None:
    """Run WORKERS shard processes under the Cloud Run task contract, taking slots first-come
    (see `slot_claims`), and wait for them. They die with this process, even by SIGKILL."""
    count = settings.worker_count
    _prepare_worker_shards(run, count)
    reports = Path(tempfile.mkdtemp(prefix="episode-workers-"))
    processes = []
    for index in range(count):
        env = dict(os.environ)
        env.update(
            {
                **{k: str(v) for k, v in settings.public_parameters().items() if v is not None},
                "SCENE_DIR": str(scene_dir),
                "WORKERS": "1",
                "CLOUD_RUN_TASK_INDEX": str(index),
                "CLOUD_RUN_TASK_COUNT": str(count),
                "SLOT_ASSIGNMENT": "claim",
                "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"),
                # one thread per worker: BLAS thread pools would oversubscribe the cores
                "OMP_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
            }
        )
        env.pop("BUCKET", None)
        env[WORKER_ERROR_ENV] = str(reports / f"worker-{index}.json")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE], env=env, preexec_fn=killed_with_parent()
            )
        )
    try:
        codes = [p.wait() for p in processes]
    except BaseException:  # SIGTERM/Ctrl-C of the parent: stop the shards too, then re-raise
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        raise
    finally:
        shutil.rmtree(claims_dir(run), ignore_errors=True)
        messages = _worker_messages(reports, count)
        shutil.rmtree(reports, ignore_errors=True)
    if any(codes):
        raise _workers_failed(codes, messages)


def _worker_messages(reports: Path, count: int) -> list[str]:
    """The distinct error messages the workers left, in worker order."""
    messages: list[str] = []
    for index in range(count):
        path = reports / f"worker-{index}.json"
        if path.is_file():
            message = str(json.loads(path.read_text(encoding="utf-8")).get("message", ""))
            if message and message not in messages:
                messages.append(message)
    return messages


def _workers_failed(codes: list[int], messages: list[str]) -> PipelineError:
    """The step's error for failed workers: their own message; retryable unless every failed
    worker said its input or configuration is unusable (exit 2: no attempt can help)."""
    detail = "; ".join(messages) or "no error message left (killed?)"
    failed = [code for code in codes if code]
    if all(code == EXIT_BAD_INPUT for code in failed) and messages:
        return WorkersRefused(f"shard workers exited with {codes}: {detail}")
    return TransientError(f"shard workers exited with {codes}: {detail}; rerun to resume")


class WorkersRefused(PipelineError):
    """Every failed shard worker refused its input or configuration (not retryable)."""


def _shard_summaries(
    storage: Storage, scene_dir: Path, run: Path, count: int
) -> list[dict[str, Any]] | None:
    """Every shard's summary of a run from the scene storage, or None while one is unfinished."""
    summaries = []
    for index in range(count):
        key = (shard_dir(run, index, count) / SHARD_SUMMARY).relative_to(scene_dir).as_posix()
        if not storage.exists(key):
            return None
        summaries.append(storage.read_json(key))
    return summaries


def _finish(
    ctx: StepContext,
    settings: EpisodeSettings,
    fingerprint: RunFingerprint,
    count: int,
    fallback: str | None = None,
) -> StepResult:
    """Merge every shard of the run, validate, write reports, remove the parts of other
    fingerprints (only now that the new dataset is published), then enforce the success rate."""
    from episode_generation_job.dataset import dataset_provenance, merge_shards
    from episode_generation_job.reports import (
        randomization_ranges,
        summarize,
        write_preview,
        write_summary,
    )
    from tools.lerobot import require_valid

    run = run_dir(ctx.scene_dir, fingerprint.digest)
    summaries = _shard_summaries(ctx.storage, ctx.scene_dir, run, count) or []
    remote = not isinstance(ctx.storage, LocalStorage)
    if remote:  # Cloud Run: the other tasks' parts are in the bucket, not in this container
        ctx.storage.download_prefix(run.relative_to(ctx.scene_dir).as_posix() + "/", ctx.scene_dir)
    backend = fingerprint.backend
    succeeded = sum(int(s["succeeded"]) for s in summaries)
    extra: dict[str, Any] = {"backend": backend, "cameras": list(settings.camera_names)}
    extra |= {"shards_total": count, "requested_episodes": settings.NUM_EPISODES}
    randomization: dict[str, Any] = {"mode": settings.RANDOMIZATION, "ranges": {}}
    if settings.RANDOMIZATION == "bundle":
        randomization["policy"] = settings.POLICY
    if fallback is not None:
        randomization["fallback"] = fallback
    extra["randomization"] = randomization
    extra["provenance"] = fingerprint.provenance(ctx.scene_dir)
    if succeeded:
        provenance = dataset_provenance(ctx.scene_dir, fingerprint, settings.SEED)
        root, episodes = merge_shards(ctx.scene_dir, run, count, provenance)
        require_valid(root)
        extra["dataset_episodes"] = episodes
        randomization["ranges"] = randomization_ranges(root)
        preview = write_preview(ctx.scene_dir, root, settings.PREVIEW_EPISODES)
        extra["preview"] = None if preview is None else preview.name
        if preview is not None and remote:  # not a declared output: upload it here
            ctx.storage.upload_file(preview, PREVIEW_PATH)
        remove_stale_runs(ctx.scene_dir, ctx.storage, run)
    summary = summarize(summaries, extra)
    write_summary(ctx.scene_dir, summary)
    # The log-based metric bp_episode_success_rate reads this field (monitoring/).
    log.info(
        "episodes merged",
        extra=log_fields(
            step="episodes",
            episode_success_rate=summary["success_rate"],
            episodes=succeeded,
            backend=backend,
        ),
    )
    if summary["success_rate"] < settings.MIN_SUCCESS_RATE or not succeeded:
        failed = [{"item": k, "error": "gave up"} for k in summary["given_up"]]
        raise PartialFailureError(
            [episode_key(i) for i in range(succeeded)],
            failed or [{"item": "attempts", "error": str(summary["failure_reasons"])}],
            summary["success_rate"],
            settings.MIN_SUCCESS_RATE,
        )
    return {k: v for k, v in summary.items() if k != "shards"}


def run_episodes(ctx: StepContext) -> StepResult:
    """The job function: shards, merge, reports (see the module docstring).

    Args:
        ctx: the step context (settings are `EpisodeSettings`).

    Returns:
        The step result (the summary without per-shard details), or, for a Cloud Run task
        that is not the last to finish, its shard summary.

    Raises:
        PartialFailureError: the success rate is below MIN_SUCCESS_RATE (after saving).
        BackendUnavailableError: the backend cannot run here.
    """
    settings = ctx.settings
    if not isinstance(settings, EpisodeSettings):
        settings = EpisodeSettings.model_validate(settings.model_dump())
    backend = resolve_backend(settings.BACKEND, settings.PRODUCTION_MODE)  # fail fast
    fallback = unsupported_policy(ctx.scene_dir, settings)
    settings = applicable_settings(ctx.scene_dir, settings)
    bundle_config(ctx.scene_dir, settings)
    fingerprint = run_fingerprint(ctx.scene_dir, settings, backend)
    run = run_dir(ctx.scene_dir, fingerprint.digest)
    from episode_generation_job.shard_work import run_one_shard

    count = settings.CLOUD_RUN_TASK_COUNT
    if count > 1:
        shard = run_one_shard(
            ctx.scene_dir, ctx.storage, settings, settings.CLOUD_RUN_TASK_INDEX, count
        )
        if _shard_summaries(ctx.storage, ctx.scene_dir, run, count) is None:
            provenance = fingerprint.provenance(ctx.scene_dir)
            return {"shard": shard, "merged": False, TASK_PART_ONLY: True, "provenance": provenance}
        return _finish(ctx, settings, fingerprint, count, fallback)
    if settings.worker_count > 1:
        _run_workers(ctx.scene_dir, run, settings)
        return _finish(ctx, settings, fingerprint, settings.worker_count, fallback)
    run_one_shard(ctx.scene_dir, ctx.storage, settings, 0, 1)
    return _finish(ctx, settings, fingerprint, 1, fallback)
