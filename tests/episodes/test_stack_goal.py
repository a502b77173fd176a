"""Stacking needs a top to stand on: a target that would sink into its goal's opening is
not offered as a task."""

from __future__ import annotations

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.episode_session import sinks_into_goal
from episode_generation_job.testing import TabletopItem, tabletop_scene
from tools.tasks.skills import PLACE_ON, STACK
from tools.tasks.task_specifier import PickPlaceTask

# A tape roll modelled as an open cup (its hole reaches 4.4 cm down), a can that fits in it
# and a wider roll that rests on its wall.
ROLL = TabletopItem(
    "roll_0", "tape roll", "cup", (0.09, 0.09, 0.05), (0.45, 0.25), 0.0, 0.2, "grey",
    (0.5, 0.5, 0.5, 1.0),
)  # fmt: skip
WIDE_ROLL = TabletopItem(
    "roll_1", "tape roll", "cup", (0.11, 0.11, 0.05), (0.7, 0.25), 0.0, 0.2, "grey",
    (0.5, 0.5, 0.5, 1.0),
)  # fmt: skip
CAN = TabletopItem(
    "can_9", "soda can", "cylinder", (0.066, 0.066, 0.115), (0.45, -0.2), 0.0, 0.35, "red",
    (1.0, 0.0, 0.0, 1.0),
)  # fmt: skip


def _task(target: str, goal: str, skill: str) -> PickPlaceTask:
    return PickPlaceTask(f"{target}-to-{goal}", target, "table_0", goal, None, "", skill=skill)


def test_only_a_target_that_fits_an_open_goal_sinks_into_it() -> None:
    """A can on a roll's hole sinks; a wider roll on it, a can on a closed top, or a place_on
    onto the roll do not."""
    backend = MujocoBackend(tabletop_scene((ROLL, WIDE_ROLL, CAN)))
    try:
        assert sinks_into_goal(backend, _task("can_9", "roll_0", STACK))
        assert not sinks_into_goal(backend, _task("roll_1", "roll_0", STACK))
        assert not sinks_into_goal(backend, _task("roll_0", "can_9", STACK))
        assert not sinks_into_goal(backend, _task("can_9", "roll_0", PLACE_ON))
    finally:
        backend.close()
