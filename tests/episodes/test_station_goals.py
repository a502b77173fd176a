"""Stations count candidates (target and goal), not targets: a spot goes by what it may add
with its goal in reach, a target that has a task gets further goals from another station,
and those tasks succeed in MuJoCo."""

from __future__ import annotations

import pytest

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import MujocoScene
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.pick_stations import _next_spot
from episode_generation_job.testing import TABLE_ID, TabletopItem, tabletop_scene
from tools.robots import robot_description
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.station_goals import CandidateGoal, candidate_of, goal_in_reach

FAR_PLATE = "far_plate"
SEED = 5
PANDA = robot_description("franka_panda")
AT_ORIGIN = Pose.of((0.0, 0.0, 0.75), (1.0, 0.0, 0.0, 0.0))


def _goal(footprint: ObjectBox, surface: bool) -> CandidateGoal:
    return CandidateGoal("can-to-goal", "can", footprint, surface)


@pytest.mark.parametrize(
    "centre, half, surface, reached",
    [
        ((0.6, 0.0, 0.76), (0.05, 0.05, 0.01), False, True),  # a plate in reach
        ((0.9, 0.0, 0.76), (0.05, 0.05, 0.01), False, False),  # beyond reach (0.75)
        ((0.6, 0.0, 1.3), (0.05, 0.05, 0.01), False, False),  # 55 cm above the base
        ((1.5, 0.0, 0.9), (1.0, 0.3, 0.0), True, True),  # a counter's near end in the band
        ((2.0, 0.0, 0.9), (0.3, 0.3, 0.0), True, False),  # its nearest edge 1.7 m away
        ((0.0, 0.0, 0.9), (0.1, 0.1, 0.0), True, False),  # all of it closer than the band
    ],
)
def test_a_goal_is_in_reach_where_its_object_or_part_of_its_surface_is(
    centre: tuple[float, float, float],
    half: tuple[float, float, float],
    surface: bool,
    reached: bool,
) -> None:
    footprint = ObjectBox("goal", centre, half, 0.0)
    assert goal_in_reach(AT_ORIGIN, _goal(footprint, surface), PANDA) is reached


def test_the_next_spot_serves_targets_without_a_task_first_then_untried_goals() -> None:
    """Spot 0 adds a second goal of a target with a task, spot 1 the first task of another
    target: 1 goes first; once 1 is tried, 0; a spot only with goals a tried spot had in
    reach, of targets with a task, is not looked at."""
    target_of = {"a-to-x": "a", "a-to-y": "a", "b-to-x": "b"}
    reach = [frozenset({"a-to-y"}), frozenset({"b-to-x"}), frozenset({"a-to-x"})]
    done = {"a-to-x"}
    assert _next_spot(reach, set(), [False] * 3, done, set(), target_of) == 1
    assert _next_spot(reach, {1}, [False] * 3, done | {"b-to-x"}, set(), target_of) == 0
    assert _next_spot(reach, {1}, [False] * 3, done | {"b-to-x"}, {"a-to-y"}, target_of) == -1
    assert _next_spot(reach, set(), [False, True, False], done, set(), target_of) == 0


def _scene() -> MujocoScene:
    """The tabletop on a table 2.6 m long, with a second plate 1.15 m along it from the
    mounted base (beyond the Panda's reach) and 0.9 m from the can the mount picks."""
    plate = TabletopItem(
        FAR_PLATE, "plate", "cylinder", (0.2, 0.2, 0.02), (0.45, -1.05), 0.0, 0.3, "green",
        (0.2, 0.8, 0.3, 1.0),
    )  # fmt: skip
    scene = tabletop_scene((plate,))
    table = scene.spec.geom(f"{TABLE_ID}/geom")
    table.size = [0.6, 1.3, table.size[2]]
    return scene


@pytest.fixture(scope="module")
def opened():
    backend = MujocoBackend(_scene())
    session = EpisodeSession(backend, _scene().manifest, max_tasks=16)
    yield session, backend.robot_base
    session.close()


def test_a_target_with_a_task_at_the_mount_gets_a_goal_beyond_it_from_a_station(opened):
    """The far plate is no goal from the mount; a station between adds a task taking a
    target the mount already has onto it (no candidate twice), and that task succeeds."""
    session, mounted = opened
    pairs = list(zip(session.tasks, session.task_bases, strict=True))
    at_mount = [t for t, b in pairs if b == mounted]
    assert FAR_PLATE not in {t.goal_id for t in at_mount}
    far = [
        (slot, t) for slot, (t, b) in enumerate(pairs) if b != mounted and t.goal_id == FAR_PLATE
    ]
    assert far, session.station_search
    assert not {candidate_of(t) for _, t in far} & {candidate_of(t) for t in at_mount}
    assert {t.target_id for t in at_mount} & {t.target_id for _, t in far}
    search = session.station_search  # every target held has a task: none left to explain
    assert search.untasked == {} and 0 < search.tried <= search.looked

    slot, _ = far[0]
    record = session.attempt(slot, 0, SEED, render=False)
    assert record.verdict.success, record.verdict.reason
