"""The motion sets a target down on a dished receptacle's floor, not at its rim's height."""

from __future__ import annotations

import pytest

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.rollout import landing_region
from episode_generation_job.testing import TabletopItem, tabletop_scene
from tools.tasks.skills import PLACE_ON
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

# A 1.8 cm plate whose 6 mm floor lies 1.2 cm below its rim, and a deep bowl.
DISH = TabletopItem(
    "dish_0", "plate", "cup", (0.2, 0.2, 0.018), (0.45, 0.25), 0.0, 0.3, "white",
    (1.0, 1.0, 1.0, 1.0),
)  # fmt: skip
BOWL = TabletopItem(
    "bowl_0", "bowl", "cup", (0.16, 0.16, 0.07), (0.7, 0.25), 0.0, 0.3, "white",
    (1.0, 1.0, 1.0, 1.0),
)  # fmt: skip


def _task(goal: str, relation: str = "on") -> PickPlaceTask:
    return PickPlaceTask(
        f"cube_0-to-{goal}", "cube_0", "table_0", goal, None, "", relation=relation,
        skill=PLACE_ON,
    )  # fmt: skip


def test_dish_floor_lowers_the_landing_only() -> None:
    """A plate's landing is its floor; a deep container, a flat top and the table keep theirs."""
    backend = MujocoBackend(tabletop_scene((DISH, BOWL)))
    try:
        boxes = backend.object_boxes()
        dish = GoalRegion((0.45, 0.25), (0.1, 0.1), 0.0, boxes["dish_0"].top)
        landed = landing_region(backend, _task("dish_0"), dish)
        assert landed.surface_z == pytest.approx(dish.surface_z - 0.012, abs=0.002)
        assert landed.centre == dish.centre
        bowl = GoalRegion((0.7, 0.25), (0.08, 0.08), 0.0, boxes["bowl_0"].top)
        assert landing_region(backend, _task("bowl_0"), bowl) == bowl  # deeper: a container
        box = GoalRegion((0.0, 0.0), (0.05, 0.05), 0.0, boxes["box_0"].top)
        assert landing_region(backend, _task("box_0"), box) == box  # a closed top
        table = GoalRegion((0.6, 0.0), (0.06, 0.06), 0.0, boxes["table_0"].top)
        assert landing_region(backend, _task("table_0"), table) == table  # fixed surface
    finally:
        backend.close()
