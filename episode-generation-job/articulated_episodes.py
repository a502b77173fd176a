"""Run every open/close task of a scene on MuJoCo: one station and one backend per task."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from episode_generation_job.articulated_clearance import PlanClearance
from episode_generation_job.articulated_rollout import (
    run_articulated_episode,
    scene_joints,
    station_scene,
)
from episode_generation_job.articulated_stations import choose_station
from episode_generation_job.backends.base import CameraConfig
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.rollout import EpisodeRecord
from tools.scene_manifest import SceneManifest
from tools.tasks.articulated import ArticulatedTask, derive_articulated_tasks


@dataclass(frozen=True)
class ArticulatedOutcome:
    """One task's attempt: its record, or why it was refused before simulating."""

    task: ArticulatedTask
    record: EpisodeRecord | None
    refused: str | None = None

    @property
    def success(self) -> bool:
        """Whether the attempt ran and succeeded."""
        return self.record is not None and self.record.verdict.success

    @property
    def reason(self) -> str:
        """ "ok", the refusal, or the verdict's failed check."""
        if self.record is None:
            return self.refused or "refused"
        return self.record.verdict.reason or "ok"


def run_articulated_tasks(
    usd_path: Path,
    manifest: SceneManifest,
    *,
    cameras: CameraConfig | None = None,
    tasks: list[ArticulatedTask] | None = None,
) -> Iterator[ArticulatedOutcome]:
    """Attempt each open/close task of the scene once.

    Args:
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        cameras: images to record (None: none).
        tasks: the tasks (default: every task `derive_articulated_tasks` finds).

    Yields:
        One outcome per task, in order.
    """
    todo = derive_articulated_tasks(manifest) if tasks is None else tasks
    if not todo:
        return
    probe = MujocoBackend(scene_from_usd(usd_path, manifest), None)
    try:
        boxes = probe.object_boxes()
    finally:
        probe.close()
    clearance = PlanClearance(usd_path, manifest)
    try:
        stations = [
            choose_station(task, boxes, manifest.room_bounds, clearance=clearance) for task in todo
        ]
    finally:
        clearance.close()
    for task, station in zip(todo, stations, strict=True):
        if isinstance(station, str):
            yield ArticulatedOutcome(task, None, station)
            continue
        backend = MujocoBackend(station_scene(usd_path, manifest, station.base), cameras)
        try:
            joint = scene_joints(backend, usd_path).get(f"{task.object_id}/{task.joint_name}")
            if joint is None:
                yield ArticulatedOutcome(task, None, "joint_not_in_model")
                continue
            record = run_articulated_episode(
                backend, task, joint, station.plan, render=cameras is not None
            )  # fmt: skip
            yield ArticulatedOutcome(task, record)
        finally:
            backend.close()
