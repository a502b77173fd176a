"""The open/close tasks of an episode session (ARTICULATED_TASKS): each task's station, the
backend with the robot standing there, and one attempt recorded like a pick-and-place one.

The tasks are not in the replicator's tasks contract (`replicator/scene_tasks.json` lists
pick-and-place supports and candidates): they are derived here from the manifest's
`articulation` (`tools.tasks.articulated`), the one owner of that rule. Each task needs its
robot at its own station in front of the furniture, so each gets its own MuJoCo backend,
opened on first use and kept for the session's retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from episode_generation_job.articulated_rollout import (
    Station,
    choose_station,
    manifest_at_station,
    run_articulated_episode,
    scene_joints,
)
from episode_generation_job.backends.base import CameraConfig
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.randomization_record import RECORD_COLUMN
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from tools.scene_manifest import SceneManifest
from tools.tasks.articulated import ArticulatedTask, derive_articulated_tasks
from tools.tasks.geometry import ObjectBox


def _refused(task: ArticulatedTask, reason: str) -> EpisodeRecord:
    empty = np.zeros((0, 8), dtype=np.float32)
    return EpisodeRecord(
        empty, empty, np.zeros((0, 14), dtype=np.float32), {}, Verdict(False, reason),
        {"task_id": task.task_id, "skill": task.skill},
    )  # fmt: skip


class ArticulatedTasks:
    """Owns the scene's reachable open/close tasks, their stations and their backends.

    Args:
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
        boxes: every object's box at rest (for clear stations).
        cameras: what to record (None: no images).
        max_tasks: at most this many tasks.
    """

    def __init__(
        self,
        usd_path: Path,
        manifest: SceneManifest,
        boxes: Mapping[str, ObjectBox],
        cameras: CameraConfig | None,
        max_tasks: int,
    ) -> None:
        self._usd, self._manifest, self._cameras = usd_path, manifest, cameras
        self.stations: dict[str, Station] = {}
        self.refused: dict[str, str] = {}  # task id -> why it has no station
        self.tasks: list[ArticulatedTask] = []
        for task in derive_articulated_tasks(manifest):
            station = choose_station(task, boxes, manifest.room_bounds)
            if isinstance(station, str):
                self.refused[task.task_id] = station
                continue
            self.stations[task.task_id] = station
            self.tasks.append(task)
            if len(self.tasks) >= max_tasks:
                break
        self._backends: dict[str, MujocoBackend] = {}

    def _backend(self, task: ArticulatedTask) -> MujocoBackend:
        backend = self._backends.get(task.task_id)
        if backend is None:
            base = self.stations[task.task_id].base
            scene = scene_from_usd(self._usd, manifest_at_station(self._manifest, base))
            backend = self._backends[task.task_id] = MujocoBackend(scene, self._cameras)
        return backend

    def attempt(self, task: ArticulatedTask, *, render: bool) -> EpisodeRecord:
        """Run one attempt of a task from its station; the randomization record says "none"
        (the joint starts where the task says, the robot at home).

        Returns:
            The record (refused, without frames, when the joint is not in the model).
        """
        backend = self._backend(task)
        joint = scene_joints(backend, self._usd).get(f"{task.object_id}/{task.joint_name}")
        if joint is None:
            return _refused(task, "joint_not_in_model")
        plan = self.stations[task.task_id].plan
        record = run_articulated_episode(backend, task, joint, plan, render=render)
        station = {"base": [round(float(v), 6) for v in backend.robot_base.position]}
        record.metadata[RECORD_COLUMN] = json.dumps(
            {"mode": "none", "articulated": {"start_fraction": task.start_fraction, **station}},
            sort_keys=True,
            separators=(",", ":"),
        )
        return record

    def close(self) -> None:
        """Release every backend (safe to call twice)."""
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()
