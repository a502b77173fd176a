"""The carry height counts obstacles by their footprint rectangle, not a circle around it."""

import math

import pytest

from episode_generation_job.grasp import Grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.path_clearance import segment_box_distance_xy
from tools.tasks.geometry import ObjectBox
from tools.tasks.task_specifier import GoalRegion

# A monitor: 60 cm wide, 4 cm deep, 40 cm tall, its long side along world x.
MONITOR = ObjectBox("monitor", (0.0, 0.5, 0.96), (0.30, 0.02, 0.20), 0.0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((-0.5, 0.3), (0.5, 0.3), 0.18),  # parallel to the long side
        ((0.0, 0.0), (0.0, 1.0), 0.0),  # crossing it
        ((0.35, 0.3), (0.35, 0.7), 0.05),  # beside its end
        ((0.4, 0.6), (0.4, 0.6), math.hypot(0.1, 0.08)),  # a point off a corner
        ((0.1, 0.5), (0.2, 0.5), 0.0),  # inside
    ],
)
def test_segment_box_distance(start, end, expected):
    assert segment_box_distance_xy(start, end, MONITOR) == pytest.approx(expected, abs=1e-9)


def test_turned_box_distance():
    turned = ObjectBox("t", (0.0, 0.0, 0.0), (0.30, 0.02, 0.2), math.pi / 2)  # long along y
    assert segment_box_distance_xy((0.2, -1.0), (0.2, 1.0), turned) == pytest.approx(0.18)


def test_carry_passes_beside_a_long_monitor_without_rising_over_it():
    """A path 18 cm in front of a 60 cm monitor keeps the carry low: its circumscribed circle
    (30 cm) reached the path and lifted the carry 40 cm, beyond a short arm's reach."""
    target = ObjectBox("t", (-0.2, 0.32, 0.81), (0.02, 0.02, 0.05), 0.0)
    grasp = Grasp((-0.2, 0.32, 0.83), 0.0, 0.04, 0.07, 0.065)
    region = GoalRegion((0.2, 0.32), (0.05, 0.05), 0.0, 0.76)
    segments = plan_pick_place(grasp, target, region, {"monitor": MONITOR}, support_top=0.76)
    transport = next(s for s in segments if s.phase == "transport")
    assert transport.position[2] < MONITOR.top
    # The same path across the monitor's face still rises over it.
    across = GoalRegion((0.2, 0.7), (0.05, 0.05), 0.0, 0.76)
    segments = plan_pick_place(grasp, target, across, {"monitor": MONITOR}, support_top=0.76)
    transport = next(s for s in segments if s.phase == "transport")
    assert transport.position[2] - grasp.drop >= MONITOR.top + 0.04
