"""Rim pinch load moments in MuJoCo: what moment a rim-held object carries, per robot.

Usage:
    python bench/bench_rim_moment.py SCENE_DIR:OBJECT_ID [...] [--robots franka_panda,xarm6]
                                    [--scales 1,1.5,2] [--goals plate_0,table_0]

Each object's real collision hulls (OBJ files of a built scene) stand on the synthetic test
table (`episode_generation_job.testing.tabletop_scene`) in front of the robot, as mesh geoms
of one free body with the manifest's centre of mass and inertia and its mass times each scale.
Its rim (`tools.tasks.rims`, every pinch, no load rule) is planned and carried to each goal by
the episodes' own planner and controller (`run_episode`). One line per attempt: the pinch's
own lever (wall point to the centre of mass, horizontal), the mass, the load moment, the
verdict, and how far the object turned in the pads between the lift and the release (its
rotation relative to the TCP, degrees). Prints the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import mujoco
import numpy as np

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import MujocoScene, ObjectRef
from episode_generation_job.rim_grasp import plan_rim_grasp
from episode_generation_job.rollout import run_episode
from episode_generation_job.testing import TabletopItem, tabletop_scene
from tools.scene_manifest import Physics, load_manifest
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot
from tools.sim.robots.xarm6 import constants as xarm
from tools.tasks.feasibility import derive_tasks
from tools.tasks.rims import RimGeometry, load_rim, obj_vertices
from tools.tasks.skills import RIM

TARGET = "rim_object"
LIFT_M = 0.01  # the carry starts when the object is this far above its rest height


def _hulls(scene: Path, paths: tuple[str, ...]) -> list[np.ndarray]:
    vertices = [obj_vertices((scene / p).read_text()) for p in paths if p.endswith(".obj")]
    return [v for v in vertices if len(v) >= 4]


def rig(
    scene_dir: Path, object_id: str, scale: float
) -> tuple[MujocoScene, RimGeometry, float, tuple[float, ...]]:
    """The test table with the object's hulls on it as `TARGET`, its rim (every pinch, in the
    body's frame: box-centred), its mass and its centre of mass in that frame."""
    obj = next(o for o in load_manifest(scene_dir).objects if o.id == object_id)
    assert obj.physics is not None, f"{object_id} has no physics"
    hulls = _hulls(scene_dir, obj.asset.collision_paths)
    rim = load_rim(scene_dir, obj.asset.collision_paths)
    assert rim is not None, f"{object_id} has no rim"
    centre = np.asarray(rim.centre)
    hx, hy, hz = rim.half_extents
    size = (2 * hx, 2 * hy, 2 * hz)
    item = TabletopItem(TARGET, "mug", "box", size, (0.45, 0.0), 0.0, 0.1, "white", (1, 1, 1, 1))
    scene = tabletop_scene((item,))
    spec = scene.spec
    body = spec.body(TARGET)
    spec.delete(spec.geom(f"{TARGET}/geom"))
    names = []
    for k, vertices in enumerate(hulls):
        mesh = spec.add_mesh(name=f"{TARGET}_hull{k}")
        mesh.uservert = (vertices - centre).ravel().tolist()
        name = f"{TARGET}/hull{k}"
        body.add_geom(
            name=name, type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh.name,
            friction=[obj.physics.static_friction, 0.005, 0.0001],
        )  # fmt: skip
        names.append(name)
    mass = obj.physics.mass_kg * scale
    body.explicitinertial = True
    body.mass = mass
    body.ipos = (np.asarray(obj.physics.center_of_mass) - centre).tolist()
    body.inertia = (np.asarray(obj.physics.inertia_diagonal) * scale).tolist()
    objects = dict(scene.objects)
    objects[TARGET] = ObjectRef(TARGET, tuple(names))
    manifest = scene.manifest.model_copy(
        update={
            "objects": tuple(
                o.model_copy(update={"physics": Physics(**{**obj.physics.model_dump(),
                                                           "mass_kg": mass})})
                if o.id == TARGET else o
                for o in scene.manifest.objects
            )
        }
    )  # fmt: skip
    shifted = replace(rim, centre=(0.0, 0.0, 0.0))
    com = tuple(float(v) for v in np.asarray(obj.physics.center_of_mass) - centre)
    return replace(scene, objects=objects, manifest=manifest), shifted, mass, com


_PADS = {"franka_panda": franka.FINGER_PAD_GEOMS, "xarm6": xarm.FINGER_PAD_GEOMS}


def _pad_force(model: mujoco.MjModel, data: mujoco.MjData, pads: set[int], body: int) -> float:
    """Mean normal force of the pads on the object (N): the squeeze per pad."""
    force, total = np.zeros(6), 0.0
    for i in range(data.ncon):
        contact = data.contact[i]
        geoms = {int(contact.geom1), int(contact.geom2)}
        if geoms & pads and any(model.geom_bodyid[g] == body for g in geoms):
            mujoco.mj_contactForce(model, data, i, force)
            total += abs(force[0])
    return total / 2


def _turn_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the rotation between two rotation matrices, degrees."""
    cos = (np.trace(a.T @ b) - 1) / 2
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def attempt(
    scene_dir: Path,
    object_id: str,
    robot: str,
    scale: float,
    goal: str,
    firm: float = 1.0,
    squeeze: float = 0.0,
) -> str:
    """One carry of the object scaled to `scale` of its mass, to `goal`; one result line."""
    scene, rim, mass, com = rig(scene_dir, object_id, scale)
    arm = sim_robot(robot)
    if squeeze:  # closed means a finger target `squeeze` past closed: the drive's force limit
        ctrl = arm.gripper_ctrl
        arm = replace(arm, gripper_ctrl=lambda w: -squeeze if w <= 1e-6 else ctrl(w))
    sim = MujocoBackend(scene, None, arm)
    if squeeze:
        sim.model.actuator_ctrlrange[sim.model.actuator(arm.scoped(arm.gripper_actuator)).id, 0] = (
            -squeeze
        )
    try:
        base = sim.robot_base
        boxes = sim.object_boxes()
        tasks = derive_tasks(
            scene.manifest, boxes, base, free_objects=sim.free_objects(), max_tasks=64,
            rims={TARGET: rim},
        )  # fmt: skip
        task = next(
            (t for t in tasks if t.target_id == TARGET and t.goal_id == goal and t.grasp == RIM),
            None,
        )
        if task is None:
            return f"{object_id} {robot} x{scale}: no rim task to {goal}"
        grasp = plan_rim_grasp(boxes[TARGET], rim, boxes["table_0"].top, base.position, base.yaw)
        lever = float("nan")
        if grasp is not None:  # the pinch the episode takes: its own lever to the mass centre
            box = boxes[TARGET]
            c, s = math.cos(box.yaw), math.sin(box.yaw)
            com_world = (box.centre[0] + c * com[0] - s * com[1],
                         box.centre[1] + s * com[0] + c * com[1])  # fmt: skip
            lever = math.dist(grasp.position[:2], com_world)
        body = sim.model.body(TARGET).id
        site = next(i for i in range(sim.model.nsite) if sim.model.site(i).name.endswith("grip"))
        rest_z = float(sim.data.xpos[body][2])
        turns: list[float] = []
        held: list[np.ndarray] = []
        forces: list[float] = []
        pads = {sim.model.geom(sim.robot.scoped(n)).id for n in _PADS[robot]}

        robot_obj = sim.robot
        grip = sim.model.actuator(robot_obj.scoped(robot_obj.gripper_actuator)).id
        sim.model.actuator_gainprm[grip, 0] *= firm
        sim.model.actuator_biasprm[grip, 1] *= firm
        sim.model.actuator_biasprm[grip, 2] *= math.sqrt(firm)
        step = sim.step

        def step_and_watch(arm: Sequence[float], gripper: float) -> None:
            step(arm, gripper)
            hand = sim.data.site_xmat[site].reshape(3, 3)
            relative = hand.T @ sim.data.xmat[body].reshape(3, 3)
            closed = gripper < 0.5 * robot_obj.open_width
            if closed and sim.data.xpos[body][2] > rest_z + LIFT_M:
                if not held:
                    held.append(relative)
                turns.append(_turn_deg(held[0], relative))
                forces.append(_pad_force(sim.model, sim.data, pads, body))

        setattr(sim, "step", step_and_watch)  # noqa: B010 (watch every control step)
        init = EpisodeInit(
            {o: sim.object_pose(o) for o in sim.free_objects()},
            robot_obj.home_qpos,
            robot_obj.open_width,
        )
        kinematics = ArmKinematics(robot_obj, base.position, base.quat_wxyz)
        record = run_episode(sim, kinematics, task, init, render=False)
        verdict = record.verdict
        return (
            f"{object_id} {robot} x{scale}: lever {lever * 100:.1f} cm mass {mass:.3f} kg "
            f"moment {mass * lever:.4f} kg m -> {goal}: "
            f"{'ok' if verdict.success else verdict.reason}, turn in pads "
            f"{max(turns) if turns else float('nan'):.1f} deg, pad force "
            f"{np.median(forces) if forces else float('nan'):.1f} N"
        )
    finally:
        sim.close()


def main(argv: list[str] | None = None) -> int:
    """Every object x robot x scale x goal once; prints a line each and the load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("objects", nargs="+", help="SCENE_DIR:OBJECT_ID")
    parser.add_argument("--robots", default="franka_panda,xarm6")
    parser.add_argument("--scales", default="1")
    parser.add_argument("--goals", default="plate_0,table_0")
    parser.add_argument("--firm", type=float, default=1.0, help="gripper gain factor")
    parser.add_argument("--squeeze", type=float, default=0.0, help="closed: target past closed")
    args = parser.parse_args(argv)
    for entry in args.objects:
        scene, object_id = entry.rsplit(":", 1)
        for robot in args.robots.split(","):
            for scale in (float(s) for s in args.scales.split(",")):
                for goal in args.goals.split(","):
                    print(
                        attempt(
                            Path(scene), object_id, robot, scale, goal, args.firm, args.squeeze
                        ),
                        flush=True,
                    )
    print(f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
