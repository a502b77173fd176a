"""Arm paths and base poses are checked in MuJoCo against walls and furniture."""

from __future__ import annotations

import mujoco
import numpy as np

from episode_generation_job.backends.arm_clearance import ArmClearance, StaticGeometry
from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.base_choice import checked_base
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import measure_boxes, object_ids
from episode_generation_job.testing import tabletop_scene
from tools.sim.robots.registry import sim_robot
from tools.tasks.robot_mount import mount_pose

WALL = "wall_behind"


def _scene_with_wall(x: float = 0.0, y: float = 0.0):
    """The tabletop scene with a wall across the room at `x` or along it at `y` (the base
    stands at the origin, the table ahead along +x)."""
    scene = tabletop_scene()
    size = [0.05, 2.0, 1.0] if x else [0.5, 0.05, 1.0]
    scene.spec.worldbody.add_geom(
        name=WALL, type=mujoco.mjtGeom.mjGEOM_BOX, size=size, pos=[x, y, 1.0]
    )
    return scene


def test_a_path_through_a_wall_is_reported_and_a_clear_one_is_not() -> None:
    robot = sim_robot("xarm6")
    backend = MujocoBackend(_scene_with_wall(-0.35), robot=robot)
    try:
        base = backend.robot_base
        assert base.position[0] == 0.0  # a wall 30 cm behind leaves the ingest pose alone
        home = np.asarray(robot.home_qpos, dtype=float)
        backend.reset(EpisodeInit({}, robot.home_qpos, robot.open_width))
        assert backend.arm_path_collisions(home[None, :]) == []
        # Shoulder turned half a turn: the arm reaches back into the wall.
        back = home.copy()
        back[0] += np.pi
        frames = np.linspace(home, back, 31)
        hits = backend.arm_path_collisions(frames)
        assert hits and all(geom == WALL for _, _, geom, _ in hits)
        assert hits[0][0] > 0 and hits[0][3] > 0.005
    finally:
        backend.close()


def test_a_base_whose_arm_is_in_a_wall_moves_clear_of_it() -> None:
    """A wall through the arm's shoulder: the chosen base keeps the arm out of it and still
    reaches objects on the table; with the wall 1.5 m away the ingest pose stays."""
    robot = sim_robot("xarm6")
    for wall_y, moves in ((-0.05, True), (-1.5, False)):
        scene = _scene_with_wall(y=wall_y)
        model = scene.spec.copy().compile()
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        boxes = measure_boxes(data, object_ids(model, scene.objects, scene.manifest))
        nominal = mount_pose(scene.manifest, boxes)
        chosen = checked_base(scene.spec, robot, scene.manifest, boxes, nominal)
        assert (chosen != nominal) is moves
        if moves:
            assert chosen.position[1] > nominal.position[1] + 0.05  # away from the wall
            assert chosen.position[2] == nominal.position[2]


def test_an_arm_folded_onto_its_own_base_is_a_collision() -> None:
    """The IK knows no self-collision: a side grasp low beside the base folded the Panda's
    wrist onto its base links (kitchen 223); the plan check refuses that pose, not home."""
    robot = sim_robot("franka_panda")
    backend = MujocoBackend(tabletop_scene(), robot=robot)
    try:
        backend.reset(EpisodeInit({}, robot.home_qpos, robot.open_width))
        home = np.asarray(robot.home_qpos, dtype=float)
        folded = np.array([-0.232, -1.224, -2.748, -3.024, 1.23, 2.465, -0.007])
        assert backend.arm_path_collisions(home[None, :]) == []
        assert backend.arm_path_collisions(folded[None, :])
        clearance = ArmClearance(backend.model, robot)
        rule = StaticGeometry.of(backend.model, robot)
        posed = backend.data.qpos.copy()
        posed[clearance.arm_qpos] = folded
        hit = clearance.first_collision(posed, rule)
        assert hit is not None and hit.body.startswith(robot.prefix)  # the robot on itself
    finally:
        backend.close()
