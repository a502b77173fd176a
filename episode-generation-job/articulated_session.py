"""The open/close tasks of an episode session (ARTICULATED_TASKS): each task's station, the
backend with the robot standing there, and one attempt recorded like a pick-and-place one.

The tasks are not in the replicator's tasks contract (`replicator/scene_tasks.json` lists
pick-and-place supports and candidates): they are derived here from the manifest's
`articulation` (`tools.tasks.articulated`), the one owner of that rule. Each task needs its
robot at its own station in front of the furniture, so each attempt runs on a MuJoCo backend
with the robot standing there (kept while consecutive attempts share the station); a retry
stands at the task's next reachable station (`choose_station(skip=attempt)`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from episode_generation_job.articulated_clearance import PlanClearance
from episode_generation_job.articulated_placement import derive_placement_tasks, placement_record
from episode_generation_job.articulated_rollout import (
    run_articulated_episode,
    scene_joints,
    station_scene,
)
from episode_generation_job.articulated_stations import SearchLog, Station, choose_station
from episode_generation_job.backends.base import CameraConfig, EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.drawer_placement_episode import run_drawer_placement
from episode_generation_job.randomization_record import RECORD_COLUMN
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from tools.scene_manifest import SceneManifest
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import ArticulatedTask, derive_articulated_tasks
from tools.tasks.drawer_placement import PLACE_IN_DRAWER, DrawerPlacementTask
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.rest_scene import scene_rims


def _refused(task: ArticulatedTask | DrawerPlacementTask, reason: str) -> EpisodeRecord:
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
        self._boxes = dict(boxes)
        self.stations: dict[tuple[str, int], Station] = {}  # (task id, attempt) -> station
        self.refused: dict[str, str] = {}  # task id -> why it has no station
        self.searches: dict[str, SearchLog] = {}  # task id -> what its station search cost
        self.placement_searches: dict[str, SearchLog] = {}  # drawer -> its placement search
        self.tasks: list[ArticulatedTask | DrawerPlacementTask] = []
        tasks = derive_articulated_tasks(manifest)
        self._clearance = PlanClearance(usd_path, manifest) if tasks else None
        for task in tasks:
            log = self.searches.setdefault(task.task_id, SearchLog())
            station = choose_station(
                task, boxes, manifest.room_bounds, clearance=self._clearance, log=log
            )  # fmt: skip
            if isinstance(station, str):
                self.refused[task.task_id] = station
                continue
            self.stations[task.task_id, 0] = station
            self.tasks.append(task)
            if len(self.tasks) >= max_tasks:
                break
        rims = scene_rims(usd_path.parent.parent, manifest)  # usd/scene.usda's scene folder
        placements, no_placement = derive_placement_tasks(
            manifest, boxes, manifest.room_bounds, self._clearance, self.placement_searches, rims
        )
        for drawer, reason in no_placement.items():
            self.refused[f"{drawer}/{PLACE_IN_DRAWER}"] = reason
        for placement, station in placements[:max_tasks]:
            self.stations[placement.task_id, 0] = station
            self.tasks.append(placement)
        self._open: tuple[Pose, MujocoBackend] | None = None

    def station(self, task: ArticulatedTask | DrawerPlacementTask, attempt: int) -> Station:
        """The station of an attempt: the task's first reachable one, then the next ones (a
        placement retries from its one station)."""
        key = (task.task_id, attempt)
        if isinstance(task, DrawerPlacementTask):
            return self.stations[task.task_id, 0]
        if key not in self.stations:
            found = choose_station(
                task, self._boxes, self._manifest.room_bounds, skip=attempt,
                clearance=self._clearance,
            )  # fmt: skip
            self.stations[key] = self.stations[task.task_id, 0] if isinstance(found, str) else found
        return self.stations[key]

    def _backend(self, base: Pose) -> MujocoBackend:
        """The scene with the robot standing at `base`; one open at a time."""
        if self._open is not None and self._open[0] == base:
            return self._open[1]
        self.close()
        scene = station_scene(self._usd, self._manifest, base)
        backend = MujocoBackend(scene, self._cameras)
        self._open = (base, backend)
        return backend

    def attempt(
        self, task: ArticulatedTask | DrawerPlacementTask, attempt: int, *, render: bool
    ) -> EpisodeRecord:
        """Run one attempt of a task from its station; the randomization record says "none"
        and names the station (the joint starts where the task says, the robot at home).

        Returns:
            The record (refused, without frames, when the joint is not in the model).
        """
        station = self.station(task, attempt)
        backend = self._backend(station.base)
        joint = scene_joints(backend, self._usd).get(f"{task.object_id}/{task.joint_name}")
        if joint is None:
            return _refused(task, "joint_not_in_model")
        if isinstance(task, DrawerPlacementTask):
            kinematics = FrankaKinematics(station.base.position, station.base.quat_wxyz)
            init = EpisodeInit({}, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH)
            outcome = run_drawer_placement(backend, kinematics, task, joint, init, render=render)
            record = placement_record(task, outcome)
            start = task.open_fraction
        else:
            record = run_articulated_episode(backend, task, joint, station.plan, render=render)
            start = task.start_fraction
        station_record = {"base": [round(float(v), 6) for v in station.base.as_array()]}
        record.metadata[RECORD_COLUMN] = json.dumps(
            {
                "mode": "none",
                # The joint is set at reset (the replicator's joint randomization stands in).
                "articulated": {
                    "start_fraction": start,
                    "joint_set_at_reset": True,
                    **station_record,
                },
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return record

    def close(self) -> None:
        """Release the open backend and the clearance model (safe to call twice)."""
        if self._clearance is not None:
            self._clearance.close()
            self._clearance = None
        if self._open is not None:
            self._open[1].close()
            self._open = None
