"""Manifest-derived tasks, geometric grasps, collision-aware motion and the success rules."""

import math

import pytest

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.grasp import hand_collides, plan_grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.success import EpisodeObservation, MotionWindow, judge
from episode_generation_job.testing import tabletop_scene
from tools.tasks.feasibility import derive_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.task_specifier import GoalRegion


@pytest.fixture(scope="module")
def backend():
    sim = MujocoBackend(tabletop_scene())
    yield sim
    sim.close()


def test_tasks_pick_graspable_objects_onto_the_plate(backend):
    """Each graspable, reachable object goes onto the plate or a free side of the table."""
    scene = tabletop_scene()
    tasks = derive_tasks(
        scene.manifest,
        backend.object_boxes(),
        backend.robot_base,
        free_objects=backend.free_objects(),
    )
    assert {t.target_id for t in tasks} == {"cube_0", "can_0", "box_0"}
    assert all(t.support_id == "table_0" for t in tasks)
    onto_plate = [t for t in tasks if t.goal_id == "plate_0"]
    assert {t.target_id for t in onto_plate} == {"cube_0", "can_0", "box_0"}
    assert all(t.region is None for t in onto_plate)
    regions = [t for t in tasks if t.goal_id == "table_0"]
    assert all(t.region is not None and "side of the table" in t.instruction for t in regions)
    assert "put the red toy block on the white plate" in {t.instruction for t in tasks}
    assert tasks[0].target_id != tasks[1].target_id  # interleaved: first tasks cover objects


def test_no_tasks_out_of_reach(backend):
    """A robot base far from the table yields no task (reachability before trying)."""
    scene = tabletop_scene()
    far = Pose((-3.0, 0.0, 0.75))
    assert (
        derive_tasks(
            scene.manifest, backend.object_boxes(), far, free_objects=backend.free_objects()
        )
        == []
    )


def test_grasp_crosses_the_narrow_side_and_fits_the_gripper():
    """A 6 x 10 cm box is grasped across its 6 cm side; a 10 x 10 cm box is refused."""
    narrow = ObjectBox("b", (0.5, 0.0, 0.8), (0.03, 0.05, 0.04), 0.0)
    grasp = plan_grasp(narrow, support_top=0.76, reference_yaw=0.0)
    assert grasp is not None and grasp.width == pytest.approx(0.06)
    # the fingers close along the TCP y axis, which points at yaw - pi/2: the box's x axis
    assert abs(math.sin(grasp.yaw - math.pi / 2)) == pytest.approx(0.0, abs=1e-9)
    wide = ObjectBox("w", (0.5, 0.0, 0.8), (0.05, 0.05, 0.04), 0.0)
    assert plan_grasp(wide, support_top=0.76, reference_yaw=0.0) is None


def test_hand_check_and_cruise_height_clear_neighbours():
    """A neighbour in the hand's way turns a square grasp by 90 degrees; transport clears it."""
    target = ObjectBox("t", (0.5, 0.0, 0.785), (0.025, 0.025, 0.025), 0.0)
    tall = ObjectBox("tall", (0.59, 0.0, 0.86), (0.03, 0.03, 0.1), 0.0)
    free = plan_grasp(target, 0.76, 0.0)
    assert free is not None
    assert hand_collides(free.position, free.yaw, free.opening, {"tall": tall})
    grasp = plan_grasp(target, 0.76, 0.0, {"tall": tall})
    assert grasp is not None
    assert abs(math.sin(grasp.yaw - free.yaw)) == pytest.approx(1.0)
    assert not hand_collides(grasp.position, grasp.yaw, grasp.opening, {"tall": tall})
    region = GoalRegion((0.75, 0.0), (0.05, 0.05), 0.0, 0.76)
    segments = plan_pick_place(grasp, target, region, {"tall": tall}, support_top=0.76)
    transport = next(s for s in segments if s.phase == "transport")
    assert transport.position[2] - grasp.drop >= tall.top + 0.04


_AT_REST = MotionWindow((0.0,) * 15, (0.0,) * 15)


def _observation(**changes):
    start = {"t": Pose((0.5, 0.0, 0.78)), "o": Pose((0.6, 0.0, 0.8))}
    values = dict(
        start=start,
        end={"t": Pose((0.5, 0.2, 0.7855)), "o": Pose((0.6, 0.0, 0.8))},
        max_lift=0.1,
        target_bottom_offset=0.025,
        final_speed=0.0,
        fingers_touch_target=False,
        goal=GoalRegion((0.5, 0.2), (0.05, 0.05), 0.0, 0.76),
        target_motion=_AT_REST,
        goal_motion=_AT_REST,
        target_contacts={"goal": 2.0},
    )
    values.update(changes)
    return EpisodeObservation(**values)


_TILTED_20 = (math.cos(math.radians(10)), math.sin(math.radians(10)), 0.0, 0.0)
_SLIDING = MotionWindow((0.0,) * 14 + (0.029,), (0.0,) * 15)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"healthy": False}, "sim_unstable"),
        ({"max_lift": 0.02}, "not_lifted"),
        (
            {"end": {"t": Pose((0.5, 0.4, 0.7855)), "o": Pose((0.6, 0.0, 0.8))}},
            "not_in_goal_region",
        ),
        ({"end": {"t": Pose((0.5, 0.2, 0.9)), "o": Pose((0.6, 0.0, 0.8))}}, "not_resting_on_goal"),
        ({"fingers_touch_target": True}, "not_released"),
        ({"target_contacts": {"table": 2.0}}, "not_supported_by_goal"),
        ({"target_contacts": {"goal": 0.0}}, "not_supported_by_goal"),  # grazing, no load
        (
            {"end": {"t": Pose((0.5, 0.2, 0.7855), _TILTED_20), "o": Pose((0.6, 0.0, 0.8))}},
            "not_upright",
        ),
        ({"target_motion": _SLIDING}, "not_at_rest"),  # only the last frame moves: caught
        ({"target_motion": MotionWindow()}, "not_at_rest"),  # not measured: never at rest
        ({"goal_motion": _SLIDING}, "goal_not_at_rest"),
        (
            {
                "end": {
                    "t": Pose((0.5, 0.2, 0.7855)),
                    "o": Pose((0.6, 0.0, 0.7), (0.7071, 0.7071, 0, 0)),
                }
            },
            "scene_disturbed",
        ),
    ],
)
def test_success_rules_from_state(changes, reason):
    """Each success rule fails on its own violation, and the verdict names it."""
    verdict = judge("t", "goal", _observation(**changes))
    assert verdict.success is (reason is None)
    assert verdict.reason == reason
