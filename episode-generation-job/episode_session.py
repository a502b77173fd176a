"""One loaded scene ready for attempts: backend, arm kinematics, rest state and task list."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from episode_generation_job.backends.base import EpisodeInit, SimBackend
from episode_generation_job.domain_randomization import EpisodeRandomizer, RestState
from episode_generation_job.layout_probe import keeps_layouts
from episode_generation_job.pick_stations import FeasibleAt, StationSearch, further_stations
from episode_generation_job.randomization import episode_seed
from episode_generation_job.randomization_record import RECORD_COLUMN, VALUES_COLUMN
from episode_generation_job.rollout import (
    EpisodeRecord,
    plan_attempt,
    refused_record,
    run_episode,
)
from tools.errors import InputError
from tools.robots import RobotDescription
from tools.scene_layout import MANIFEST_PATH, SCENE_TASKS_PATH
from tools.scene_manifest import SceneManifest
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.feasibility import feasible_tasks, interleave
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.receptacles import MIN_OPEN_DEPTH, is_container
from tools.tasks.rest_scene import scene_rims
from tools.tasks.sampled_grasps import scene_sampled_grasps
from tools.tasks.scene_tasks import SceneTasks, load_scene_tasks
from tools.tasks.skills import STACK, grasp_skill
from tools.tasks.station_goals import CandidateGoal, candidate_goals, candidate_of
from tools.tasks.supports import resting_supports
from tools.tasks.task_specifier import (
    ArmLimits,
    Phraser,
    PickPlaceTask,
    template_phrase,
)

if TYPE_CHECKING:
    from episode_generation_job.articulated_session import ArticulatedTasks
    from episode_generation_job.replay_record import ReplayRecorder
    from tools.randomization import BundleConfig
    from tools.tasks.articulated import ArticulatedTask
    from tools.tasks.drawer_placement import DrawerPlacementTask


_SETTLE_FRAMES = 15  # half a second: let imported objects come to rest before measuring
_LOG = logging.getLogger(__name__)


def closed_containers(backend: SimBackend, manifest: SceneManifest) -> frozenset[str]:
    """Containers by name (a "tissue box") whose top the simulator finds closed: nothing can
    go in them. Unknown to the engine: trusted as containers."""
    closed = set()
    boxes = backend.object_boxes()
    for obj in manifest.objects:
        if is_container(obj) and obj.id in boxes:
            depth = backend.open_top_depth(obj.id)
            if depth is not None and depth < MIN_OPEN_DEPTH:
                closed.add(obj.id)
    return frozenset(closed)


def sinks_into_goal(backend: SimBackend, task: PickPlaceTask) -> bool:
    """Whether a stacked target would drop into its goal's opening rather than stand on it.

    A tape roll's top is a ring: a ray down its centre falls through to the workbench. A
    soda can no wider than the roll went through the hole and stood on the bench inside it,
    or leant in it (a bench warehouse: 6 of 6 can-on-roll attempts failed). A target wider
    than the goal's narrow side rests on its wall (roll on roll).
    """
    if task.skill != STACK:
        return False
    depth = backend.open_top_depth(task.goal_id)
    if depth is None or depth < MIN_OPEN_DEPTH:
        return False  # a closed top to stand on
    boxes = backend.object_boxes()
    narrow = min(boxes[task.target_id].half_extents[:2])
    return narrow <= min(boxes[task.goal_id].half_extents[:2])


def arm_limits(robot: RobotDescription) -> ArmLimits:
    """What makes a task feasible for `robot`: its grasp width, reach and goal band."""
    reach = (robot.min_reach_m, robot.reach_radius_m - 0.05)
    return ArmLimits(robot.max_grasp_width_m, reach, robot.goal_band_m)


def written_scene_tasks(scene_dir: Path, manifest: SceneManifest) -> SceneTasks | None:
    """The replicator's tasks contract of the scene, validated; None where it was not written.

    Raises:
        ManifestError: the file breaks its contract or no longer matches the manifest.
    """
    if not (scene_dir / SCENE_TASKS_PATH).is_file():
        return None
    return load_scene_tasks(scene_dir, manifest)


def _replay_recorder(backend: SimBackend, bundle: BundleConfig | None) -> ReplayRecorder | None:
    """The replay recorder of a MuJoCo backend, imported only then (no MuJoCo in the Isaac
    Sim image); other engines record no replay state."""
    if backend.info.name != "mujoco":
        return None
    from episode_generation_job.replay_record import recorder_for

    return recorder_for(backend, bundle)


class EpisodeSession:
    """Owns a backend with its scene, its arm's kinematics and the scene's tasks.

    Args:
        backend: the loaded scene with its robot.
        manifest: the scene contract.
        max_tasks: at most this many tasks.
        phrase: instruction phrasing.
        randomizer: per-episode randomization (default: mode `none`, the job's own jitter).
        scene_dir: the scene folder, to read collision hulls for rim grasps (None: no rims).
        scene_tasks: the scene's supports and candidates (default: `scene_dir`'s
            `replicator/scene_tasks.json`; where the replicator did not run, e.g. RANDOMIZATION
            none on a bare stage, derived here from the backend's boxes at rest).
        articulated: opens the scene's open/close tasks (ARTICULATED_TASKS) from the boxes
            at rest; slots take them round-robin after the pick-and-place tasks.

    The mounted base's pick-and-place tasks come first, as they always did; where they leave
    room under `max_tasks`, further stations (`pick_stations`) add tasks for targets out of
    its reach, each task run with the robot standing at its own station (`task_bases`).

    Raises:
        InputError: the scene offers no feasible task.
    """

    def __init__(
        self,
        backend: SimBackend,
        manifest: SceneManifest,
        *,
        max_tasks: int = 8,
        phrase: Phraser = template_phrase,
        randomizer: EpisodeRandomizer | None = None,
        scene_dir: Path | None = None,
        scene_tasks: SceneTasks | None = None,
        articulated: Callable[[dict[str, ObjectBox]], ArticulatedTasks] | None = None,
    ) -> None:
        self.backend = backend
        self.randomizer = randomizer or EpisodeRandomizer(None, manifest)
        # Before anything randomizes the model: replay records are diffs against it.
        self.replay = _replay_recorder(backend, self.randomizer.bundle)
        base = backend.robot_base
        robot = backend.robot
        self._kinematics: dict[Pose, ArmKinematics] = {}
        self.kinematics = self._kinematics_at(base)
        free = backend.free_objects()
        backend.reset(
            EpisodeInit(
                {o: backend.object_pose(o) for o in free}, robot.home_qpos, robot.open_width
            )
        )
        for _ in range(_SETTLE_FRAMES):
            backend.step(robot.home_qpos, robot.open_width)
        self.rest_poses = {o: backend.object_pose(o) for o in free}
        self.rest_boxes = backend.object_boxes()
        rims = scene_rims(scene_dir, manifest)
        if scene_tasks is None and scene_dir is not None:
            scene_tasks = written_scene_tasks(scene_dir, manifest)
        if scene_tasks is None:  # no replicator run (a bare stage): the contract from the engine
            scene_tasks = build_scene_tasks(
                manifest,
                self.rest_boxes,
                resting_supports(manifest, self.rest_boxes),
                closed=closed_containers(backend, manifest),
                rim_objects=tuple(rims),
                generator="episodes",
            )
        self.supports = dict(scene_tasks.supports)
        self.rest = RestState(self.rest_poses, self.rest_boxes, self.supports)
        # Objects the box rules find too wide: held by grasps sampled on their hulls.
        sampled = scene_sampled_grasps(
            scene_dir,
            manifest,
            robot.description,
            scene_tasks.object_boxes(),
            scene_tasks.rim_objects,
        )
        self.grasp_sampling_s = sum(s.sample_s for s in sampled.values())
        candidates = feasible_tasks(
            scene_tasks,
            manifest,
            base,
            free_objects=free,
            limits=arm_limits(robot.description),
            max_tasks=len(scene_tasks.candidates) * 2,  # every one (surface goals: two sides)
            phrase=phrase,
            rims={oid: rims[oid] for oid in scene_tasks.rim_objects if oid in rims},
            sampled=sampled,
        )
        # Reachability before trying, then the cap: keep the tasks with a goal to stand on and
        # whose whole plan has IK solutions at rest (capping first let unreachable candidates
        # take every slot).
        reachable = [
            t
            for t in candidates
            if not sinks_into_goal(backend, t)
            and not isinstance(plan_attempt(backend, self.kinematics, t, robot.open_width), str)
        ]
        self._probed = 0  # tasks probed so far: the next probe's seeds
        self.tasks: list[PickPlaceTask] = self._with_layouts(reachable, max_tasks)
        self.task_bases: list[Pose] = [base] * len(self.tasks)  # where each task stands
        self.station_search = StationSearch()
        self.stations_note: str | None = None  # why no station beyond the mount was searched
        if len(self.tasks) < max_tasks:

            def feasible_at(station: Pose, covered: frozenset[str]) -> list[PickPlaceTask]:
                found = feasible_tasks(
                    scene_tasks, manifest, station, free_objects=free,
                    limits=arm_limits(robot.description),
                    max_tasks=len(scene_tasks.candidates) * 2, phrase=phrase,
                    rims={oid: rims[oid] for oid in scene_tasks.rim_objects if oid in rims},
                    sampled=sampled,
                )  # fmt: skip
                return [t for t in found if candidate_of(t) not in covered]

            # Only what this robot's gripper can hold draws a station: plates and wide jars
            # counted too spent every try round a table whose objects none fit (kitchen 220).
            width = arm_limits(robot.description).max_grasp_width
            rimmed = set(scene_tasks.rim_objects)
            targets = {
                c.target_id
                for c in scene_tasks.candidates
                if c.target_id in self.rest_boxes
                and grasp_skill(
                    self.rest_boxes[c.target_id],
                    manifest.object(c.target_id).category,
                    width,
                    c.target_id in rimmed,
                    c.target_id in sampled,
                )
                is not None
            }
            goals = candidate_goals(scene_tasks, targets)
            self._add_stations(manifest, goals, feasible_at, max_tasks)
        self.articulated = None if articulated is None else articulated(self.rest_boxes)
        extra = [] if self.articulated is None else self.articulated.tasks
        self.slot_tasks: list[PickPlaceTask | ArticulatedTask | DrawerPlacementTask] = [
            *self.tasks,
            *extra,
        ]
        if not self.slot_tasks:
            raise InputError(
                MANIFEST_PATH,
                "no feasible pick-and-place task: no graspable object within the robot's reach "
                "with a goal surface",
                hint="check robot.base_pose / robot.work_surface and the manipulable objects",
            )

    def _kinematics_at(self, base: Pose) -> ArmKinematics:
        if base not in self._kinematics:
            robot = self.backend.robot
            self._kinematics[base] = ArmKinematics(robot, base.position, base.quat_wxyz)
        return self._kinematics[base]

    def _planned_at(self, base: Pose, tasks: list[PickPlaceTask]) -> list[PickPlaceTask]:
        """The tasks whose plan solves with the robot standing at `base` (moved there), with
        layouts feasible often enough."""
        robot = self.backend.robot
        self.backend.reset(EpisodeInit(dict(self.rest_poses), robot.home_qpos, robot.open_width))
        self.kinematics = self._kinematics_at(base)
        reachable = [
            t
            for t in tasks
            if not sinks_into_goal(self.backend, t)
            and not isinstance(
                plan_attempt(self.backend, self.kinematics, t, robot.open_width), str
            )
        ]
        return self._with_layouts(reachable, len(reachable))

    def _add_stations(
        self,
        manifest: SceneManifest,
        goals: dict[str, list[CandidateGoal]],
        feasible_at: FeasibleAt,
        max_tasks: int,
    ) -> None:
        """Append the tasks of further stations (`pick_stations`) for the candidates the
        mount's tasks leave, then stand the robot back at its mounted base."""
        mounted = self.backend.robot_base
        if not self.backend.move_robot_base(mounted):
            self.stations_note = (
                f"the {self.backend.info.name} backend cannot move the robot's base: "
                "pick-and-place tasks from its mounted base only"
            )
            _LOG.info(self.stations_note)
            return
        covered = {candidate_of(t) for t in self.tasks}
        room = max_tasks - len(self.tasks)
        stations = further_stations(
            self.backend, manifest, self.rest_boxes, covered, goals, feasible_at,
            self._planned_at, room, self.station_search,
        )  # fmt: skip
        for station, tasks in stations:
            self.tasks.extend(tasks)
            self.task_bases.extend([station] * len(tasks))
        self._stand(mounted)
        robot = self.backend.robot
        self.backend.reset(EpisodeInit(dict(self.rest_poses), robot.home_qpos, robot.open_width))

    def _stand(self, base: Pose) -> None:
        """Put the robot at `base` (a no-op where it stands there already)."""
        if base != self.backend.robot_base:
            self.backend.move_robot_base(base)
        self.kinematics = self._kinematics_at(base)

    def _with_layouts(self, tasks: list[PickPlaceTask], max_tasks: int) -> list[PickPlaceTask]:
        """Up to `max_tasks` of the tasks, in slot order, leaving out those whose randomized
        layouts are rarely feasible (`layout_probe`: they would only spend attempts)."""
        kept: list[PickPlaceTask] = []
        for task in interleave(tasks, len(tasks)):
            if len(kept) == max_tasks:
                break
            index, self._probed = self._probed, self._probed + 1
            if keeps_layouts(
                self.randomizer, self.backend, self.kinematics, task, self.rest, index
            ):
                kept.append(task)
        robot = self.backend.robot
        self.backend.reset(EpisodeInit(dict(self.rest_poses), robot.home_qpos, robot.open_width))
        return interleave(kept, max_tasks)

    def task_for(self, slot: int) -> PickPlaceTask | ArticulatedTask | DrawerPlacementTask:
        """The task of an episode slot (round-robin over the pick-and-place tasks, then the
        open/close ones)."""
        return self.slot_tasks[slot % len(self.slot_tasks)]

    def attempt(self, slot: int, attempt: int, base_seed: int, *, render: bool) -> EpisodeRecord:
        """Run one attempt of a slot with its randomization drawn from its own seed.

        The seed depends only on SEED, the slot and the attempt, so a resumed or re-sharded
        run draws the same values; the values are recorded with the episode.

        Args:
            slot: episode slot.
            attempt: attempt number within the slot.
            base_seed: the job's SEED.
            render: record camera images.

        Returns:
            The record, with the seed and the randomization in its metadata.
        """
        seed = episode_seed(base_seed, slot, attempt)
        task = self.task_for(slot)
        index = slot % len(self.slot_tasks)
        if not isinstance(task, PickPlaceTask):
            assert self.articulated is not None  # its tasks come only from it
            record = self.articulated.attempt(task, attempt, render=render)
            record.metadata.update({"slot": slot, "attempt": attempt, "seed": seed})
            return record
        self._stand(self.task_bases[index])
        conditions = self.randomizer.conditions(
            self.backend, self.kinematics, task, self.rest, seed, render=render
        )
        if isinstance(conditions, str):
            record = refused_record(task, conditions, self.kinematics.robot.dof)
        else:
            record = run_episode(
                self.backend,
                self.kinematics,
                conditions.task,
                conditions.init,
                render=render,
                on_frame=conditions.on_frame,
                recorder=self.replay,
            )
            station = {
                "index": self._station_index(index),
                "base": _rounded(self.backend.robot_base),
            }
            record.metadata[RECORD_COLUMN] = json.dumps(
                {**conditions.record, "station": station}, sort_keys=True, separators=(",", ":")
            )
            record.metadata[VALUES_COLUMN] = conditions.values
            if self.replay is not None:
                record.metadata.update(self.replay.take())
        record.metadata.update({"slot": slot, "attempt": attempt, "seed": seed})
        return record

    def _station_index(self, index: int) -> int:
        """The station of the task at `index`: 0 the mounted base, then in the order found."""
        stations: list[Pose] = []
        for base in self.task_bases[: index + 1]:
            if base not in stations:
                stations.append(base)
        return len(stations) - 1

    def close(self) -> None:
        """Release the backends (safe to call twice)."""
        if self.articulated is not None:
            self.articulated.close()
        self.backend.close()


def _rounded(base: Pose) -> list[float]:
    return [round(float(v), 6) for v in base.as_array()]
