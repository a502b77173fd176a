"""The final state an episode was judged on: sampled in simulation, stored with the episode.

After the scripted motion the arm holds still for a settle period; the speeds of the target and
the goal are sampled at every control frame of the last half second, and the contacts of both
are read at the end. The whole `EpisodeObservation` then goes into the episode's `final_state`
column as JSON with the task's skill, so anyone can re-run the skill's judge
(`skill_judges.judge_skill`) on a dataset alone and get the verdict the step got (floats
survive a JSON round trip exactly; nothing is recomputed from the scene).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

from episode_generation_job.backends.base import CONTROL_HZ, SimBackend
from episode_generation_job.skill_judges import judge_skill
from episode_generation_job.success import (
    REST_WINDOW_S,
    EpisodeObservation,
    MotionWindow,
    Verdict,
)
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.skills import PLACE_ON
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

FINAL_STATE_COLUMN: Final = "final_state"
FORMAT_VERSION: Final = 1
SETTLE_FRAMES: Final = CONTROL_HZ  # one second holding still after the retreat, recorded too
WINDOW_FRAMES: Final = round(REST_WINDOW_S * CONTROL_HZ)


class WindowSampler:
    """Samples the target's and the goal's speeds after each of the last control frames.

    Args:
        backend: the running scene.
        target_id: the picked object.
        goal_id: the goal object (a fixed one reads zero).
    """

    def __init__(self, backend: SimBackend, target_id: str, goal_id: str) -> None:
        self._backend = backend
        self._ids = (target_id, goal_id)
        self._speeds: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])

    def sample(self) -> None:
        """Read both speeds now (call after a control step of the final window)."""
        for speeds, object_id in zip(self._speeds, self._ids, strict=True):
            speeds.append(self._backend.object_speeds(object_id))

    def windows(self) -> tuple[MotionWindow, MotionWindow]:
        """The target's and the goal's motion windows."""
        target, goal = (
            MotionWindow(tuple(s[0] for s in speeds), tuple(s[1] for s in speeds))
            for speeds in self._speeds
        )
        return target, goal


def observe_final_state(
    backend: SimBackend,
    task: PickPlaceTask,
    *,
    start: Mapping[str, Pose],
    target_box: ObjectBox,
    max_lift: float,
    previous: Pose,
    sampler: WindowSampler,
) -> EpisodeObservation:
    """Everything the judge needs, read from the simulation at the end of the settle period.

    Args:
        backend: the scene after the last control step.
        task: the task attempted.
        start: every free object's pose at the start.
        target_box: the target's box at the start (its bottom offset and footprint).
        max_lift: highest rise of the target seen in the recorded frames.
        previous: the target's pose one control step before the end.
        sampler: the speeds sampled over the final window.

    Returns:
        The observation (goal region from the goal's final box).
    """
    target_id, goal_id = task.target_id, task.goal_id
    end = {oid: backend.object_pose(oid) for oid in backend.free_objects()}
    final = end[target_id]
    start_z = start[target_id].position[2]
    goal_box = backend.object_boxes()[goal_id]
    target_motion, goal_motion = sampler.windows()
    return EpisodeObservation(
        start=start,
        end=end,
        max_lift=max(max_lift, final.position[2] - start_z),
        target_bottom_offset=start_z - target_box.bottom,
        final_speed=math.dist(final.position, previous.position) * CONTROL_HZ,
        fingers_touch_target=backend.fingers_touch(target_id),
        goal=task.goal_region(goal_box, target_box.footprint_radius),
        healthy=backend.healthy(),
        target_motion=target_motion,
        goal_motion=goal_motion,
        target_contacts=backend.contacts_with(target_id),
        goal_contacts=tuple(sorted(backend.contacts_with(goal_id))),
        target_rolls=task.rolls,
    )


def _pose(values: Any) -> Pose:
    # No renormalisation: the judge must see exactly the numbers the step saw.
    p, q = [float(v) for v in values[:3]], [float(v) for v in values[3:7]]
    return Pose((p[0], p[1], p[2]), (q[0], q[1], q[2], q[3]))


def _poses(poses: Mapping[str, Pose]) -> dict[str, list[float]]:
    return {k: [*poses[k].position, *poses[k].quat_wxyz] for k in sorted(poses)}


def observation_record(
    target_id: str, goal_id: str, obs: EpisodeObservation, skill: str = PLACE_ON
) -> dict[str, Any]:
    """The observation as plain JSON values (what the `final_state` column holds).

    Args:
        target_id: the picked object.
        goal_id: the goal object.
        obs: what the judge saw.
        skill: the task's skill (picks the judge; records without one are `place_on`).

    Returns:
        The record (`format`, skill, ids, poses, region, speeds, contacts, flags).
    """
    goal = obs.goal
    return {
        "format": FORMAT_VERSION,
        "skill": skill,
        "target_id": target_id,
        "goal_id": goal_id,
        "start": _poses(obs.start),
        "end": _poses(obs.end),
        "max_lift": obs.max_lift,
        "target_bottom_offset": obs.target_bottom_offset,
        "final_speed": obs.final_speed,
        "fingers_touch_target": obs.fingers_touch_target,
        "healthy": obs.healthy,
        "goal_region": {
            "centre": list(goal.centre),
            "half_extents": list(goal.half_extents),
            "yaw": goal.yaw,
            "surface_z": goal.surface_z,
            "relation": goal.relation,
            "bottom_z": goal.bottom_z,
        },
        "window_s": REST_WINDOW_S,
        "target_speeds": {
            "linear": list(obs.target_motion.linear),
            "angular": list(obs.target_motion.angular),
        },
        "goal_speeds": {
            "linear": list(obs.goal_motion.linear),
            "angular": list(obs.goal_motion.angular),
        },
        "target_contacts": dict(sorted(obs.target_contacts.items())),
        "goal_contacts": sorted(obs.goal_contacts),
        "target_rolls": obs.target_rolls,
    }


def observation_from_record(record: Mapping[str, Any]) -> tuple[str, str, EpisodeObservation]:
    """Rebuild (target id, goal id, observation) from a `final_state` record.

    Raises:
        ValueError: an unknown format version.
        KeyError: a field is missing.
    """
    if record.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown final_state format {record.get('format')!r}")
    region = record["goal_region"]
    bottom = region["bottom_z"]
    goal = GoalRegion(
        (float(region["centre"][0]), float(region["centre"][1])),
        (float(region["half_extents"][0]), float(region["half_extents"][1])),
        float(region["yaw"]),
        float(region["surface_z"]),
        str(region["relation"]),
        None if bottom is None else float(bottom),
    )

    def window(speeds: Mapping[str, Any]) -> MotionWindow:
        linear, angular = speeds["linear"], speeds["angular"]
        return MotionWindow(tuple(map(float, linear)), tuple(map(float, angular)))

    observation = EpisodeObservation(
        start={k: _pose(v) for k, v in record["start"].items()},
        end={k: _pose(v) for k, v in record["end"].items()},
        max_lift=float(record["max_lift"]),
        target_bottom_offset=float(record["target_bottom_offset"]),
        final_speed=float(record["final_speed"]),
        fingers_touch_target=bool(record["fingers_touch_target"]),
        goal=goal,
        healthy=bool(record["healthy"]),
        target_motion=window(record["target_speeds"]),
        goal_motion=window(record["goal_speeds"]),
        target_contacts={str(k): float(v) for k, v in record["target_contacts"].items()},
        goal_contacts=tuple(str(k) for k in record["goal_contacts"]),
        # Records written before round targets were told apart judged every tilt.
        target_rolls=bool(record.get("target_rolls", False)),
    )
    return str(record["target_id"]), str(record["goal_id"]), observation


def encode(record: Mapping[str, Any]) -> str:
    """The record as the compact JSON string stored in the episode column."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)


def rejudge(column: str) -> Verdict:
    """Judge an episode again from its stored `final_state` column, with its skill's judge.

    Raises:
        ValueError: the column is not a valid record.
    """
    try:
        record = json.loads(column)
        target_id, goal_id, observation = observation_from_record(record)
    except (json.JSONDecodeError, KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"unreadable final_state: {exc!r}") from exc
    return judge_skill(str(record.get("skill", PLACE_ON)), target_id, goal_id, observation)
