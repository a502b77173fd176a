"""Doors with the robot: an oven's counterbalanced flap opened by the Panda, stations beside a
flap's sweep, and the pre-run check that a plan keeps the arm off the scene."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh

from episode_generation_job.articulated_clearance import PlanClearance, part_positions
from episode_generation_job.articulated_motion import (
    contact_task,
    held_pose,
    presses,
    retreat_direction,
    target_fraction,
    waypoints,
    wrist_follows,
)
from episode_generation_job.articulated_rollout import (
    manifest_at_station,
    run_articulated_episode,
    scene_joints,
)
from episode_generation_job.articulated_stations import Station, choose_station
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from tests.usd_assembly.conftest import _box_physics, _z_rotation, build_articulated_scene
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, load_manifest
from tools.tasks.articulated import (
    OPEN_MIN_FRACTION,
    ArticulatedTask,
    JointFrame,
    beside_candidates,
    derive_articulated_tasks,
    sweep_gap,
)
from tools.tasks.geometry import Pose
from tools.tasks.skills import CLOSE_DOOR, OPEN_DOOR

FRONT = np.array([0.0, -1.0, 0.0])
OVEN = "oven_1"


def _oven_mesh() -> trimesh.Trimesh:
    """0.6 x 0.6 x 0.9 m, front at -Y, a horizontal bar half its width (as the mock oven)."""
    body = trimesh.creation.box(bounds=[(-0.3, -0.3, 0.0), (0.3, 0.3, 0.9)])
    handle = trimesh.creation.box(bounds=[(-0.15, -0.33, 0.718), (0.15, -0.3, 0.742)])
    mesh = trimesh.util.concatenate([body, handle])
    mesh.visual.face_colors = [40, 40, 45, 255]
    return mesh


def _flap() -> JointFrame:
    """A 0.6 m wide flap hinged 0.12 m above the floor, handle 0.6 m up, front at -Y."""
    corners = np.array(
        [(x, y, z) for x in (-0.3, 0.3) for y in (-0.32, -0.3) for z in (0.12, 0.77)]
    )
    return JointFrame("revolute", np.array([1.0, 0.0, 0.0]), np.array([0.0, -0.3, 0.12]),
                      np.array([0.0, -0.33, 0.72]), FRONT, 0.0, math.pi / 2, corners)  # fmt: skip


def _task(skill: str, start: float) -> ArticulatedTask:
    return ArticulatedTask("t", skill, "oven", "j", "door_0", "do it", start, _flap())


def test_a_flap_sweeps_the_floor_in_front_of_it() -> None:
    """Its footprint reaches out by its height; a base inside is 0 away, beside it is not."""
    frame = _flap()
    assert frame.is_flap
    footprint = frame.swept_footprint()
    assert footprint[:, 1].min() == pytest.approx(-0.3 - 0.65, abs=0.01)
    assert sweep_gap(frame, (0.0, -0.7)) == 0.0
    assert sweep_gap(frame, (0.8, -0.5)) == pytest.approx(0.5, abs=1e-6)


def test_flap_stations_stand_beside_its_sweep_facing_the_handle_path() -> None:
    """Every candidate keeps >= 0.3 m off the sweep and faces the middle of the handle path."""
    frame = _flap()
    middle = (frame.handle_at(0.0) + frame.handle_at(1.2)) / 2
    poses = beside_candidates(frame, 0.0, 1.2)
    assert len(poses) == 24
    for base in poses:
        assert sweep_gap(frame, (base.position[0], base.position[1])) >= 0.3 - 1e-9
        heading = math.atan2(middle[1] - base.position[1], middle[0] - base.position[0])
        assert math.cos(base.yaw - heading) > 0.999


def test_a_flap_hand_keeps_its_heading_and_never_backs_into_the_floor() -> None:
    """The pinch axis is the hinge's: the hand may turn less than the flap (not at all first)."""
    task = _task(OPEN_DOOR, 0.0)
    assert wrist_follows(task) == (0.0, 0.5, 1.0) and target_fraction(task) < 0.8
    _, closed = held_pose(task, False, 0.0, 0.5)
    _, opened = held_pose(task, False, 1.0, 0.5)
    turn = math.degrees(math.acos(min(1.0, (np.trace(opened @ closed.T) - 1) / 2)))
    assert turn == pytest.approx(math.degrees(0.5))
    np.testing.assert_allclose(held_pose(task, False, 1.0, 0.0)[1], closed, atol=1e-12)
    down = np.array([0.0, -0.4, -0.9])
    level = retreat_direction(down, FRONT)
    assert level[2] == 0.0 and level @ down > 0
    np.testing.assert_allclose(retreat_direction(FRONT, FRONT), FRONT)


def test_the_planned_part_path_holds_before_and_after_the_move() -> None:
    """The clearance check poses the part where the plan expects it, frame by frame."""

    class Plan:
        phases = ("approach",) * 3 + ("pull",) * 4 + ("retreat",) * 2

    task = _task(CLOSE_DOOR, 0.5)
    path = part_positions(task, Plan())  # type: ignore[arg-type]
    q0, q1 = task.frame.position_at(0.5), task.frame.position_at(target_fraction(task))
    assert path[:3] == [q0] * 3 and path[-3:] == [pytest.approx(q1)] * 3
    assert all(a >= b for a, b in itertools.pairwise(path))  # closing: monotonic


@pytest.fixture(scope="module")
def oven_station(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, SceneManifest, ArticulatedTask, Station]:
    """The usd tests' room plus an oven against the +X wall (counterbalanced flap), its open
    task and the station chosen with the clearance check."""
    scene = build_articulated_scene(
        tmp_path_factory.mktemp("oven") / "scene", OVEN, "oven", _oven_mesh(),
        (1.695, -1.0, 0.0), _box_physics(60.0, (0.6, 0.6, 0.9), "steel"), _z_rotation(-90),
    )  # fmt: skip
    manifest = load_manifest(scene)
    task = next(t for t in derive_articulated_tasks(manifest) if t.skill == OPEN_DOOR)
    probe = MujocoBackend(scene_from_usd(scene / SCENE_USD_PATH, manifest))
    boxes = probe.object_boxes()
    probe.close()
    clearance = PlanClearance(scene / SCENE_USD_PATH, manifest)
    try:
        station = choose_station(task, boxes, manifest.room_bounds, clearance=clearance)
    finally:
        clearance.close()
    assert isinstance(station, Station), station
    return scene, manifest, task, station


def test_the_panda_opens_the_oven_and_lets_go(
    oven_station: tuple[Path, SceneManifest, ArticulatedTask, Station],
) -> None:
    """From beside the flap's sweep, a force grip on the handle pulls it past 60 % (the spring
    and friction pulled a position-gain pinch off the bar), then the hand lets go."""
    scene, manifest, task, station = oven_station
    usd = scene / SCENE_USD_PATH
    backend = MujocoBackend(scene_from_usd(usd, manifest_at_station(manifest, station.base)))
    try:
        joint = scene_joints(backend, usd)[f"{OVEN}/{task.joint_name}"]
        record = run_articulated_episode(backend, task, joint, station.plan)
    finally:
        backend.close()
    checks = record.verdict.checks
    assert record.verdict.success, (record.verdict.reason, checks)
    assert checks["open_fraction"] >= OPEN_MIN_FRACTION and checks["released"] is True


def test_a_plan_through_the_oven_collides(
    oven_station: tuple[Path, SceneManifest, ArticulatedTask, Station],
) -> None:
    """The chosen station's plan is clear; the same plan from a base moved into the oven is
    not."""
    scene, manifest, task, station = oven_station
    clearance = PlanClearance(scene / SCENE_USD_PATH, manifest)
    try:
        assert clearance.collision(task, station.base, station.plan) is None
        inside = Pose.of((1.6, -1.0, 0.0), station.base.quat_wxyz)
        assert clearance.collision(task, inside, station.plan) is not None
    finally:
        clearance.close()


def test_a_side_door_is_closed_by_pressing_its_face_nearer_the_hinge() -> None:
    """No grasp: the fingers stay closed and press a point at 55 % of the handle's radius."""
    hinge = np.array([-0.3, -0.3, 0.0])
    frame = JointFrame("revolute", np.array([0.0, 0.0, -1.0]), hinge,
                       np.array([0.3, -0.33, 0.7]), FRONT, 0.0, math.radians(110))  # fmt: skip
    task = ArticulatedTask("t", CLOSE_DOOR, "fridge", "j", "door_0", "close it", 0.7, frame)
    assert presses(task) and not presses(dataclasses.replace(task, skill=OPEN_DOOR))
    pressed = contact_task(task).frame.handle
    assert pressed[2] == pytest.approx(0.7)
    radius = np.linalg.norm((frame.handle - hinge)[:2])
    assert np.linalg.norm((pressed - hinge)[:2]) == pytest.approx(0.55 * radius)
    points = waypoints(contact_task(task), np.array([0.0, -1.2, 0.6]), np.eye(3), False)
    phases = [p.phase for p in points]
    assert "close" not in phases and "press" in phases
    assert all(p.gripper == 0.0 for p in points if p.phase in ("approach", "reach", "press"))
