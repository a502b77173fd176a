"""Into a container the hand lowers the object as far as the surfaces measured under the
fingers and the object allow, not only to the rim (real MuJoCo bowl, rays)."""

from __future__ import annotations

import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.container_descent import finger_span, measure_inside
from episode_generation_job.grasp import FINGERTIP_BELOW_TCP, Grasp
from episode_generation_job.motion import plan_pick_place
from tests.episodes.test_judge_container import (
    BOWL_FLOOR,
    BOWL_HEIGHT,
    BOWL_XY,
    TABLE_TOP,
    TASK,
    bowl_scene,
)
from tools.tasks.geometry import ObjectBox
from tools.tasks.task_specifier import GoalRegion

RIM = TABLE_TOP + BOWL_HEIGHT
FLOOR = TABLE_TOP + BOWL_FLOOR


@pytest.fixture(scope="module")
def backend():
    sim = MujocoBackend(bowl_scene())
    sim.reset(EpisodeInit({}, sim.robot.home_qpos, sim.robot.open_width))
    yield sim
    sim.close()


def _release(backend, grasp: Grasp):
    boxes = backend.object_boxes()
    region = TASK.goal_region(boxes["bowl"], boxes["cup"].footprint_radius)
    inside = measure_inside(backend, region, boxes["cup"], grasp, "cup")
    segments = plan_pick_place(
        grasp, boxes["cup"], region, {}, support_top=TABLE_TOP, inside=inside
    )
    return inside, next(s for s in segments if s.phase == "release")


def test_rays_see_the_floor_inside_the_walls_and_the_rim_on_them(backend):
    inside = backend.heights_below([BOWL_XY, (BOWL_XY[0] + 0.075, BOWL_XY[1])], RIM + 0.05)
    assert inside[0] == pytest.approx(FLOOR, abs=0.002)
    assert inside[1] == pytest.approx(RIM, abs=0.002)
    # Through the skipped object: the cup standing on the table is not seen.
    cup = backend.object_boxes()["cup"]
    seen = backend.heights_below([cup.centre[:2]], RIM + 0.2, "cup")
    assert seen[0] == pytest.approx(TABLE_TOP, abs=0.002)


def test_fingers_that_fit_inside_go_below_the_rim_and_the_object_lands_low(backend):
    """A short object (6 cm held 3 cm above its bottom): before, the fingertips stopped above
    the rim and it fell 4 cm onto the floor; now it is let go about 1 cm above it."""
    cup = backend.object_boxes()["cup"]
    grasp = Grasp((*cup.centre[:2], cup.bottom + 0.03), 0.0, 0.066, 0.03, 0.076)
    inside, release = _release(backend, grasp)
    assert inside is not None and inside.under_fingers == pytest.approx(FLOOR, abs=0.002)
    fingertips = release.position[2] - FINGERTIP_BELOW_TCP
    assert fingertips < RIM - 0.02
    assert release.position[2] - grasp.drop - FLOOR < 0.012


def test_fingers_wider_than_the_bowl_stay_above_its_rim(backend):
    cup = backend.object_boxes()["cup"]
    outer = finger_span(0.14)[1]
    assert outer > 0.075  # the fingers' band crosses the wall
    grasp = Grasp((*cup.centre[:2], cup.bottom + 0.03), 0.0, 0.066, 0.03, 0.14)
    _, release = _release(backend, grasp)
    assert release.position[2] - FINGERTIP_BELOW_TCP >= RIM


def test_the_release_opens_wide_only_where_the_open_fingers_stay_clear(backend):
    """Opened just past the object, a cup that had turned in the pads stayed wedged between
    them (kitchen 200, not_released): the release now opens fully where that is clear."""
    boxes = backend.object_boxes()
    cup = boxes["cup"]
    grasp = Grasp((*cup.centre[:2], cup.bottom + 0.03), 0.0, 0.066, 0.03, 0.07)
    region = TASK.goal_region(boxes["bowl"], cup.footprint_radius)
    inside = measure_inside(backend, region, cup, grasp, "cup", 0.08)

    def release(region, obstacles, inside=None):
        segments = plan_pick_place(
            grasp, cup, region, obstacles, support_top=TABLE_TOP, inside=inside, widest=0.08
        )
        return next(s for s in segments if s.phase == "release").gripper

    assert release(region, {}, inside) == 0.08  # inside the bowl, clear of its wall
    assert release(region, {}) == 0.07  # nothing measured inside: the grasp's opening
    table = GoalRegion((0.6, 0.2), (0.05, 0.05), 0.0, TABLE_TOP, "on")
    assert release(table, {}) == 0.08
    # A low neighbour (under the palm) 5 cm from the centre along the fingers: clear of them
    # opened to 7 cm (4.7 cm reach), not to 8 cm (5.2 cm).
    low = ObjectBox("box", (0.6, 0.2 + 0.07, TABLE_TOP + 0.025), (0.02, 0.02, 0.025), 0.0)
    assert release(table, {"box": low}) == 0.07
