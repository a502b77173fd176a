"""Pick-and-place tasks from a second station: a can beyond the mounted base's reach becomes a
task with the robot standing elsewhere along the table, its episode succeeds in MuJoCo, every
session derives the same stations, and the episode replays from its record."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import PEDESTAL_NAME, MujocoScene
from episode_generation_job.backends.mujoco_station import model_arrays
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.pick_stations import _clear_of_floor_objects
from episode_generation_job.randomization_record import RECORD_COLUMN
from episode_generation_job.replay_record import REPLAY_COLUMN, decode_array, model_fingerprint
from episode_generation_job.replay_sim import Replayer, apply_record
from episode_generation_job.testing import TABLE_ID, TabletopItem, tabletop_scene
from tools.tasks.geometry import ObjectBox, Pose

FAR = "far_can"
SEED = 3


def _long_table_scene() -> MujocoScene:
    """The tabletop with its table 2.6 m long across the robot's heading and a can near its
    far end, 1.05 m from the mounted base (the Panda's band ends at 0.7 m)."""
    far = TabletopItem(
        FAR, "soda can", "cylinder", (0.066, 0.066, 0.12), (0.45, 0.95), 0.0, 0.3, "green",
        (0.2, 0.8, 0.3, 1.0),
    )  # fmt: skip
    scene = tabletop_scene((far,))
    table = scene.spec.geom(f"{TABLE_ID}/geom")
    table.size = [0.6, 1.3, table.size[2]]
    return scene


def _session(backend: MujocoBackend) -> EpisodeSession:
    return EpisodeSession(backend, _long_table_scene().manifest, max_tasks=12)


class _Fixed(MujocoBackend):
    """An engine that cannot move the robot (as Isaac Sim's backend)."""

    def move_robot_base(self, base: Pose) -> bool:
        return False


@pytest.fixture(scope="module")
def opened():
    backend = MujocoBackend(_long_table_scene())
    session = _session(backend)
    yield session, backend.robot_base
    session.close()


def _far_slot(session: EpisodeSession) -> int:
    return next(i for i, t in enumerate(session.tasks) if t.target_id == FAR)


def test_an_out_of_reach_target_gets_a_task_at_a_second_station_and_succeeds(opened):
    session, mounted = opened
    first = [i for i, base in enumerate(session.task_bases) if base != mounted]
    assert first and min(first) == len(session.tasks) - len(first)  # the mount's tasks first
    assert {session.tasks[i].target_id for i in first} == {FAR}
    slot = _far_slot(session)
    station = session.task_bases[slot]
    assert station.position[2] == mounted.position[2] and station.quat_wxyz == mounted.quat_wxyz

    record = session.attempt(slot, 0, SEED, render=False)
    assert record.verdict.success, record.verdict.reason
    written = json.loads(record.metadata[RECORD_COLUMN])["station"]
    assert written["index"] == 1
    assert np.allclose(written["base"], station.as_array(), atol=1e-6)

    backend = session.backend
    assert backend.robot_base == station
    root = backend.model.body(backend.robot.scoped(backend.robot.base_body)).id
    assert np.allclose(backend.data.xpos[root], station.position)
    pedestal = backend.model.geom(PEDESTAL_NAME).id
    assert np.allclose(backend.data.geom_xpos[pedestal][:2], station.position[:2])
    heading = backend.data.geom_xmat[pedestal].reshape(3, 3)[:, 0]
    assert np.allclose(heading[:2], [np.cos(station.yaw), np.sin(station.yaw)], atol=1e-9)

    session.attempt(0, 0, SEED, render=False)  # the mount's task stands back at the mount
    assert backend.robot_base == mounted
    assert np.allclose(backend.data.xpos[root], mounted.position)


def test_stations_and_attempts_do_not_depend_on_the_session_history(opened):
    """A second session (another shard) derives the same tasks and stations; the station's
    attempt run first there draws the same actions as after a mount attempt here."""
    session, _ = opened
    other = _session(MujocoBackend(_long_table_scene()))
    try:
        assert [(t.task_id, b) for t, b in zip(other.tasks, other.task_bases, strict=True)] == [
            (t.task_id, b) for t, b in zip(session.tasks, session.task_bases, strict=True)
        ]
        slot = _far_slot(session)
        session.attempt(0, 0, SEED, render=False)
        here = session.attempt(slot, 1, SEED, render=False)
        there = other.attempt(slot, 1, SEED, render=False)
        assert np.array_equal(here.action, there.action)
        assert here.metadata[REPLAY_COLUMN] == there.metadata[REPLAY_COLUMN]
    finally:
        other.close()


def test_an_episode_at_a_second_station_replays_exactly(opened):
    """The record's model changes carry the station: a model built at the mount, with them
    applied, re-simulates the episode to the recorded end."""
    session, _ = opened
    slot = _far_slot(session)
    record = session.attempt(slot, 2, SEED, render=False)
    replay = json.loads(record.metadata[REPLAY_COLUMN])
    assert "body_pos" in replay["model_changes"]

    fresh = MujocoBackend(_long_table_scene())
    try:
        assert model_fingerprint(fresh.model) == replay["model_fingerprint"]
        nominal = {k: v.copy() for k, v in model_arrays(fresh.model).items()}
        apply_record(fresh.model, fresh.data, nominal, replay)
        Replayer._run(fresh, replay, record.action)
        assert np.abs(fresh.data.qpos - decode_array(replay["final_qpos"])).max() < 1e-9
        mujoco.mj_kinematics(fresh.model, fresh.data)
        root = fresh.model.body(fresh.robot.scoped(fresh.robot.base_body)).id
        assert np.allclose(fresh.data.xpos[root], session.task_bases[slot].position)
    finally:
        fresh.close()


def test_an_engine_that_cannot_move_the_robot_keeps_the_mounts_tasks_and_says_why():
    backend = _Fixed(_long_table_scene())
    session = _session(backend)
    try:
        assert all(base == backend.robot_base for base in session.task_bases)
        assert FAR not in {t.target_id for t in session.tasks}
        assert session.stations_note is not None and "cannot move" in session.stations_note
    finally:
        session.close()


def test_a_spot_over_an_object_on_the_floor_is_barred():
    """`candidate_bases` keeps clear of the furniture only; a crate on the floor under the
    pedestal's footprint bars the spot, one on a table top above it does not."""
    base = Pose.of((1.0, 1.0, 0.75), (1.0, 0.0, 0.0, 0.0))
    crate = ObjectBox("crate", (1.05, 1.0, 0.15), (0.2, 0.2, 0.15), 0.0)
    high = ObjectBox("cup", (1.05, 1.0, 0.8), (0.04, 0.04, 0.05), 0.0)
    assert not _clear_of_floor_objects(base, {"crate": crate}, (), 0.0)
    assert _clear_of_floor_objects(base, {"crate": crate}, ("crate",), 0.0)  # the room shell
    assert _clear_of_floor_objects(base, {"cup": high}, (), 0.0)


def test_facing_spots_stand_in_the_band_of_their_target_facing_it_clear_of_the_table(opened):
    """`facing_bases` (targets anywhere in the room): every spot has its target in the robot's
    band, is turned towards it, keeps the pedestal off the table, and keeps the base height;
    the order is a pure function of the scene."""
    import dataclasses
    import math

    from tools.robots import robot_description
    from tools.tasks.base_placement import FOOTPRINT_HALF_M, facing_bases
    from tools.tasks.geometry import rectangles_overlap

    session, mounted = opened
    manifest = _long_table_scene().manifest
    boxes = dict(session.rest_boxes)
    robot = robot_description("franka_panda")
    spots = facing_bases(manifest, boxes, mounted, robot, {FAR})
    assert spots and spots == facing_bases(manifest, boxes, mounted, robot, {FAR})
    can, table = boxes[FAR], boxes[TABLE_ID]
    low, high = robot.target_band_m
    for pose, in_band in spots:
        dx, dy = can.centre[0] - pose.position[0], can.centre[1] - pose.position[1]
        assert low <= math.hypot(dx, dy) <= high and [b.object_id for b in in_band] == [FAR]
        assert abs(math.remainder(math.atan2(dy, dx) - pose.yaw, math.tau)) < 1e-6
        assert pose.position[2] == mounted.position[2]
        half = (FOOTPRINT_HALF_M, FOOTPRINT_HALF_M)
        assert not rectangles_overlap(
            pose.position[:2], half, pose.yaw, table.centre, table.half_extents, table.yaw
        )
    # A target far beyond the mounted pose's search still gets spots round it.
    moved = dataclasses.replace(can, centre=(can.centre[0], can.centre[1] + 1.2, can.centre[2]))
    far_spots = facing_bases(manifest, {**boxes, FAR: moved}, mounted, robot, {FAR})
    assert far_spots and all(
        math.hypot(p.position[0] - moved.centre[0], p.position[1] - moved.centre[1]) <= high
        for p, _ in far_spots
    )
