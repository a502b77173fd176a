"""Run one shard of episode slots: resumable, checkpointed parts, failures counted not written."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from episode_generation_job.dataset import open_part, published_keys, write_episode
from episode_generation_job.episode_layout import (
    SHARD_SUMMARY,
    claims_dir,
    episode_key,
    part_dir,
    shard_dir,
    tracker_name,
)
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.errors import EpisodeFailedError
from episode_generation_job.slot_claims import SlotClaims
from episode_generation_job.write_behind import WriteBehind
from tools.lerobot import LeRobotDatasetWriter, Provenance, published_datasets
from tools.partial_failure import PartialFailureTracker
from tools.scene_layout import checkpoint_path
from tools.storage import LocalStorage, Storage
from tools.structured_logging import get_logger, log_fields

log = get_logger("episodes.shard")
_NEVER = 1 << 30  # the tracker checkpoints only right after a part is published


@dataclass(frozen=True)
class ShardPlan:
    """Which slots a shard owns and how it records them."""

    index: int
    count: int
    num_episodes: int
    max_attempts: int
    checkpoint_every: int
    base_seed: int
    cameras: tuple[str, ...]
    codec: str
    claim_slots: bool = False  # take any free slot first-come (local workers) instead

    def slots(self) -> list[int]:
        """Episode slots this shard may fill: round-robin (so shards get similar task mixes),
        or every slot when slots are claimed first-come."""
        if self.claim_slots:
            return list(range(self.num_episodes))
        return [s for s in range(self.num_episodes) if s % self.count == self.index]


@dataclass
class ShardSummary:
    """Outcome of a shard, written as `summary.json` in its folder."""

    shard: str
    slots: int
    succeeded: int = 0
    resumed: int = 0
    attempts: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # reason -> failed attempts
    failed_attempts: dict[str, str] = field(default_factory=dict)  # "ep-…/attempt-k" -> reason
    # "ep-…/attempt-k" -> the objects the scene_disturbed rule caught (id, translation, rotation)
    disturbed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    given_up: list[str] = field(default_factory=list)
    frames: int = 0
    physics_steps: int = 0
    attempt_seconds: float = 0.0  # wall time inside attempts (simulation, IK, rendering)
    wall_seconds: float = 0.0


def _tracker(storage: Storage, run: Path, plan: ShardPlan, done: set[str]) -> PartialFailureTracker:
    name = tracker_name(run, plan.index, plan.count)
    tracker = PartialFailureTracker(storage, name, min_success_rate=0.0, checkpoint_every=_NEVER)
    # Published parts are the truth: drop checkpointed keys whose part never got published.
    tracker.succeeded = {k: v for k, v in tracker.succeeded.items() if k in done}
    tracker.succeeded.update({k: {"resumed": True} for k in done if k not in tracker.succeeded})
    if storage.exists(checkpoint_path(name)):
        for failure in storage.read_json(checkpoint_path(name)).get("failed", []):
            tracker.failed[str(failure["item"])] = failure
    return tracker


def _publish(writer: LeRobotDatasetWriter, part: Path, scene_dir: Path, storage: Storage) -> None:
    writer.finalize()
    if not isinstance(storage, LocalStorage):  # Cloud Run: the part must outlive the task
        storage.upload_tree(part, part.relative_to(scene_dir).as_posix())


def run_shard(
    run: Path,
    scene_dir: Path,
    storage: Storage,
    plan: ShardPlan,
    provenance: Provenance,
    open_session: Callable[[], EpisodeSession],
) -> ShardSummary:
    """Fill this shard's slots, skipping those already published by an earlier attempt.

    Every `checkpoint_every` successes the open part is published (atomically) and the
    tracker's checkpoint written; a kill loses at most the unpublished part, whose episodes
    are regenerated identically from their seeds. Failed attempts are recorded, not written.
    With `plan.claim_slots` the shard fills whichever free slots it claims first (see
    `slot_claims`), skipping those any shard of the run has published.

    Args:
        run: the run's folder (`episode_layout.run_dir`): parts, claims and checkpoints of
            other fingerprints are never seen.
        scene_dir: local scene folder.
        storage: the scene's storage (checkpoints, and parts when not local).
        plan: the shard's slots and recording settings.
        provenance: recorded in every part.
        open_session: loads the scene (called only if there is work left).

    Returns:
        The shard summary (also written to the shard folder).
    """
    started = time.monotonic()
    shard = shard_dir(run, plan.index, plan.count)
    if not isinstance(storage, LocalStorage):
        storage.download_prefix(shard.relative_to(scene_dir).as_posix() + "/", scene_dir)
    done = published_keys(shard)
    tracker = _tracker(storage, run, plan, set(done))
    skip = set(done) | (_published_by_siblings(run, plan) if plan.claim_slots else set())
    pending = [s for s in plan.slots() if episode_key(s) not in skip]
    claims = SlotClaims(claims_dir(run), shard.name) if plan.claim_slots else None
    slots = len(done) if claims else len(plan.slots())
    summary = ShardSummary(shard.name, slots, resumed=len(done))
    session = open_session() if pending else None
    writer: LeRobotDatasetWriter | None = None
    part = shard
    in_part = 0
    next_part = len(published_datasets(shard))
    behind = WriteBehind()  # episode k is written while k+1 is simulated
    try:
        for slot in pending:
            if claims is not None:
                if not claims.take(slot):
                    continue
                summary.slots += 1
            key = episode_key(slot)
            for attempt in range(plan.max_attempts):
                assert session is not None
                attempt_started = time.perf_counter()
                record = session.attempt(slot, attempt, plan.base_seed, render=bool(plan.cameras))
                summary.attempt_seconds += time.perf_counter() - attempt_started
                summary.attempts += 1
                summary.physics_steps += record.physics_steps
                if not record.verdict.success:
                    reason = record.verdict.reason or "unknown"
                    item = f"{key}/attempt-{attempt}"
                    tracker.record_failure(item, EpisodeFailedError(key, reason))
                    if record.verdict.disturbed:  # kept with the attempt and its checkpoint
                        moved = [d.as_dict() for d in record.verdict.disturbed]
                        tracker.failed[item]["disturbed"] = moved
                    continue
                if writer is None:
                    part = part_dir(shard, next_part)
                    robot = session.kinematics.robot.description
                    writer = open_part(
                        part, provenance, plan.cameras, plan.codec, robot, record.cameras
                    )
                extra = {"episode_key": key, **_columns(record.metadata)}
                instruction = session.task_for(slot).instruction
                behind.submit(
                    partial(write_episode, writer, record, instruction, extra),
                    in_line=record.cameras.has_layers,
                )
                summary.frames += record.length
                tracker.record_success(key, {"attempt": attempt, "part": part.name})
                in_part += 1
                if in_part >= plan.checkpoint_every:
                    behind.drain()
                    _publish(writer, part, scene_dir, storage)
                    tracker.checkpoint()
                    writer, in_part, next_part = None, 0, next_part + 1
                break
            else:
                summary.given_up.append(key)
                log.warning("slot %s given up after %d attempts", key, plan.max_attempts)
        behind.drain()
        if writer is not None:
            _publish(writer, part, scene_dir, storage)
            writer = None
    finally:
        behind.close()
        if writer is not None:
            writer.abort()
        if session is not None:
            session.close()
        tracker.checkpoint()
    summary.succeeded = len(tracker.succeeded)
    # One entry per failed attempt key: a rerun repeating an attempt does not count it twice
    # (across shards too, when a claimed slot is retried by another worker: see reports).
    summary.failed_attempts = {
        key: str(f.get("error", "")).split(": ")[-1] for key, f in sorted(tracker.failed.items())
    }
    summary.failures = dict(sorted(Counter(summary.failed_attempts.values()).items()))
    summary.disturbed = {
        key: list(f["disturbed"]) for key, f in sorted(tracker.failed.items()) if f.get("disturbed")
    }
    summary.wall_seconds = round(time.monotonic() - started, 3)
    summary.attempt_seconds = round(summary.attempt_seconds, 3)
    shard.mkdir(parents=True, exist_ok=True)
    key = (shard / SHARD_SUMMARY).relative_to(scene_dir).as_posix()
    storage.write_json(key, asdict(summary))
    log.info(
        "shard done",
        extra=log_fields(
            **{
                k: v
                for k, v in asdict(summary).items()
                if k not in ("failures", "failed_attempts", "disturbed")
            }
        ),
    )
    return summary


def _published_by_siblings(run: Path, plan: ShardPlan) -> set[str]:
    """Keys the other shards of this run published (by an earlier, killed run: workers that
    claim slots may have filled any). Their staging trees are left to their own writers."""
    keys: set[str] = set()
    for index in range(plan.count):
        if index != plan.index:
            sibling = shard_dir(run, index, plan.count)
            keys.update(published_keys(sibling, finish_interrupted=False))
    return keys


def _columns(metadata: dict[str, Any]) -> dict[str, Any]:
    """Episode metadata as flat-friendly JSON values (nested dicts become a/b columns)."""
    plain: dict[str, Any] = json.loads(json.dumps(metadata))
    return plain
