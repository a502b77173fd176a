"""Pick-and-place paths are checked against free neighbours too, but not the held object."""

from __future__ import annotations

import numpy as np

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.testing import TabletopItem, tabletop_scene
from tools.sim.robots.registry import sim_robot

# A tall free box standing where the forearm of the arm at home passes.
TOWER = TabletopItem(
    "tower_0", "tall box", "box", (0.06, 0.06, 0.66), (0.19, 0.0), 0.0, 0.5, "grey",
    (0.5, 0.5, 0.5, 1.0),
)  # fmt: skip


def test_a_forearm_through_a_free_neighbour_counts_unless_it_is_the_held_object() -> None:
    """Before: free objects were never checked, and a forearm stalled on a cereal box beside
    a bowl left the apple 5 cm above it (kitchen 200)."""
    robot = sim_robot("franka_panda")
    backend = MujocoBackend(tabletop_scene((TOWER,)), robot=robot)
    try:
        backend.reset(EpisodeInit({}, robot.home_qpos, robot.open_width))
        home = np.asarray(robot.home_qpos, dtype=float)[None, :]
        assert backend.arm_path_collisions(home) == []  # static geometry alone: clear
        hits = backend.arm_path_collisions(home, "cube_0")
        assert hits and all("tower_0" in geom for _, _, geom, _ in hits)
        assert backend.arm_path_collisions(home, "tower_0") == []  # the held one is not
    finally:
        backend.close()
