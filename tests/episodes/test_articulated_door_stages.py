"""A wide side door opened in two motions (pull by the handle, push the inside face) and the
station search's cheap bounds: which doors are staged, where the push point lies, what the
hand does in each stage and how the plan is cut for the collision check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from episode_generation_job.articulated_door_stages import (
    push_task,
    staged,
    staged_plans,
    staged_waypoints,
)
from episode_generation_job.articulated_motion import GRIPPER_CLOSED, target_fraction
from episode_generation_job.articulated_stations import (
    REACH_BOUND_M,
    SearchLog,
    choose_station,
    within_reach,
    worked_points,
)
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.articulated import ArticulatedTask, JointFrame
from tools.tasks.geometry import Pose
from tools.tasks.skills import CLOSE_DOOR, OPEN_DOOR

FRONT = np.array([0.0, -1.0, 0.0])


def _door(width: float, hinge_left: bool = True) -> JointFrame:
    """A side door `width` wide, 2 cm thick, hinged at its left (or right) edge, front at -Y,
    handle 3 cm proud near the free edge at 0.9 m."""
    side = 1.0 if hinge_left else -1.0
    hinge = np.array([-side * width / 2, -0.3, 0.0])
    far = side * width / 2
    corners = np.array(
        [(x, y, z) for x in sorted((-far, far)) for y in (-0.32, -0.3) for z in (0.0, 1.6)]
    )
    return JointFrame("revolute", np.array([0.0, 0.0, -side]), hinge,
                      np.array([side * (width / 2 - 0.06), -0.35, 0.9]), FRONT, 0.0,
                      math.radians(110), corners)  # fmt: skip


def _open(frame: JointFrame) -> ArticulatedTask:
    return ArticulatedTask("t", OPEN_DOOR, "fridge", "j", "door_0", "open it", 0.0, frame)


def test_only_wide_side_door_opens_are_staged() -> None:
    """A 0.7 m fridge door's handle travels ~0.8 m to the open target: staged; a 0.2 m
    cupboard door's does not, nor a close."""
    assert staged(_open(_door(0.7))) and staged(_open(_door(0.7, hinge_left=False)))
    assert not staged(_open(_door(0.2)))
    closing = ArticulatedTask("t", CLOSE_DOOR, "fridge", "j", "door_0", "close", 0.7, _door(0.7))
    assert not staged(closing)


@pytest.mark.parametrize("hinge_left", [True, False])
def test_the_push_point_is_on_the_inside_face_nearer_the_hinge(hinge_left: bool) -> None:
    """At 55 % of the width from the hinge, on the panel's back (y = -0.3), at the handle's
    height; its "front" faces into the carcass so the fingers point out of it."""
    frame = _door(0.7, hinge_left)
    pusher = push_task(_open(frame), 0.4, 0.55)
    point = pusher.frame.handle
    assert point[1] == pytest.approx(-0.3) and point[2] == pytest.approx(0.9)
    assert abs(point[0] - frame.origin[0]) == pytest.approx(0.55 * 0.7)
    np.testing.assert_allclose(pusher.frame.front, -FRONT)
    assert pusher.start_fraction == 0.4


def test_the_staged_hand_pulls_lets_go_then_pushes_with_closed_fingers() -> None:
    """Phases in order; the push keeps the fingers closed, ends at the open target and the
    hand ends backed off the face into the gap (towards the carcass's opening side)."""
    task = _open(_door(0.7))
    points = staged_waypoints(task, np.array([0.3, -1.0, 0.9]), np.eye(3), False, 0.4, 0.55)
    phases = [p.phase for p in points]
    order = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]
    assert order == ["approach", "reach", "close", "pull", "release", "retreat", "approach",
                     "reach", "press", "release", "retreat"]  # fmt: skip
    press = [p for p in points if p.phase == "press"]
    assert all(p.gripper == GRIPPER_CLOSED for p in press)
    frame = task.frame
    end = frame.position_at(target_fraction(task))
    pusher = push_task(task, 0.4, 0.55)
    np.testing.assert_allclose(press[-1].position[:2], pusher.frame.handle_at(end)[:2], atol=0.01)
    # The fingers point out of the inside face: along the door's outward normal at the end.
    np.testing.assert_allclose(press[-1].rotation[:, 2], frame.motion(end) @ FRONT, atol=1e-9)
    assert (points[-1].position - press[-1].position) @ (frame.motion(end) @ FRONT) < -0.1


def test_reach_bounds_drop_far_stations_before_any_ik() -> None:
    """A base 2 m from every worked point is out of reach; one 0.6 m in front is not."""
    task = _open(_door(0.35))
    points = worked_points(task, (0.0, 0.8))
    assert len(points) == 5
    assert within_reach(Pose.of((0.0, -0.9, 0.0), (1.0, 0.0, 0.0, 0.0)), points)
    assert not within_reach(Pose.of((0.0, -2.6, 0.0), (1.0, 0.0, 0.0, 0.0)), points)
    assert REACH_BOUND_M < 1.0


def test_a_hopeless_door_is_refused_without_ik() -> None:
    """A handle 2.2 m up is beyond every candidate's reach bounds: refused, no IK solved."""
    frame, up = _door(0.7), np.array([0.0, 0.0, 1.3])
    high = JointFrame(frame.kind, frame.axis, frame.origin + up, frame.handle + up, frame.front,
                      frame.lower, frame.upper, frame.corners + up)  # fmt: skip
    log = SearchLog()
    assert choose_station(_open(high), {}, log=log) == "unreachable"
    assert log.candidates > 0 and log.within_reach == 0 and log.solved == 0


def test_a_staged_plan_is_cut_after_the_pull_for_the_collision_check() -> None:
    """Two pieces: the pull (its part ends at the pull share) and the push from there."""
    task = _open(_door(0.7))
    facing = (math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4))  # facing +Y
    kinematics = FrankaKinematics((0.29, -0.95, 0.0), facing)
    plan, _, pieces = next(staged_plans(kinematics, task, franka.HOME_QPOS))
    (first, pull), (second, push) = pieces
    assert len(pull) + len(push) == len(plan)
    assert pull.phases[-1] == "retreat" and "press" in push.phases and "pull" in pull.phases
    frame = task.frame
    assert first.frame.position_at(target_fraction(first)) == pytest.approx(
        frame.position_at(second.start_fraction)
    )
