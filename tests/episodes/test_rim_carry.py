"""A mug held by its rim, carried and set down in MuJoCo on each robot, without turning in
the pads (a weak squeeze let a rim-held cup turn 12-14 degrees as it rose and land tilted)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.episode_session import arm_limits
from episode_generation_job.rollout import run_episode
from episode_generation_job.testing import TabletopItem, cup_hulls, tabletop_scene
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot
from tools.tasks.feasibility import derive_tasks
from tools.tasks.rims import rim_from_hulls
from tools.tasks.skills import RIM

MUG_SIZE = (0.09, 0.09, 0.09)
MUG_MASS = 0.4  # a ceramic mug: 0.016 kg m at its 4 cm rim lever
MUG = TabletopItem(
    "mug_0", "coffee mug", "cup", MUG_SIZE, (0.45, 0.28), 0.0, MUG_MASS, "white", (1, 1, 1, 1)
)
MAX_TURN_DEG = 6.0  # the pads' hold: measured 2.5-3.5 on both robots, 12 with a weak squeeze


@pytest.mark.parametrize("robot", ["franka_panda", "xarm6"])
def test_mug_held_by_its_rim_is_carried_upright_and_set_down(robot: str) -> None:
    scene = tabletop_scene((MUG,))
    sim = MujocoBackend(scene, None, sim_robot(robot))
    try:
        arm = sim.robot
        base = sim.robot_base
        rim = rim_from_hulls(cup_hulls(MUG_SIZE))
        assert rim is not None
        carried = rim.carried(MUG_MASS, (0.0, 0.0, 0.0))
        assert carried is not None
        tasks = derive_tasks(
            scene.manifest, sim.object_boxes(), base, free_objects=sim.free_objects(),
            limits=arm_limits(arm.description), rims={"mug_0": carried},
        )  # fmt: skip
        task = next(t for t in tasks if t.target_id == "mug_0" and t.goal_id == "plate_0")
        assert task.grasp == RIM
        body = sim.model.body("mug_0").id
        site = sim.model.site(arm.scoped(arm.grip_site)).id
        rest_z = float(sim.data.xpos[body][2])
        held: list[np.ndarray] = []
        turns: list[float] = []
        step = sim.step

        def step_and_watch(targets: list[float], gripper: float) -> None:
            """Step, then the mug's rotation relative to the hand while lifted in the pads."""
            step(targets, gripper)
            relative = sim.data.site_xmat[site].reshape(3, 3).T @ sim.data.xmat[body].reshape(3, 3)
            if gripper < 0.5 * arm.open_width and sim.data.xpos[body][2] > rest_z + 0.01:
                if not held:
                    held.append(relative)
                cos = (np.trace(held[0].T @ relative) - 1) / 2
                turns.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))

        sim.step = step_and_watch  # type: ignore[method-assign]
        init = EpisodeInit(
            {o: sim.object_pose(o) for o in sim.free_objects()}, arm.home_qpos, arm.open_width
        )
        kinematics = ArmKinematics(arm, base.position, base.quat_wxyz)
        record = run_episode(sim, kinematics, task, init, render=False)
        assert record.verdict.success, record.verdict
        assert turns and max(turns) < MAX_TURN_DEG
    finally:
        sim.close()
