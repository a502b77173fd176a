"""Where the arm stands in a MuJoCo scene: the candidate base from which most objects are
reachable top-down with the arm clear of the room and the furniture, checked in the scene.

Ingest places one base for the Franka's reach. On a long counter or bench that pose may reach
nothing (the objects sit at one end), and a shorter arm on it may bend its elbow into the wall
behind it. Each candidate (`tools.tasks.base_placement.candidate_bases`: the ingest pose, then
free spots near it) is scored in the scene itself: the arm's home pose and an IK pose above
every graspable object in its band must keep the arm's links out of static geometry
(`ArmClearance`). The ingest pose is kept unless another spot scores strictly more.
"""

from __future__ import annotations

import mujoco
import numpy as np

from episode_generation_job.backends.arm_clearance import ArmClearance, StaticGeometry
from episode_generation_job.controller import tcp_yaw, top_down_rotation
from tools.scene_manifest import SceneManifest
from tools.sim.robots.base import SimRobot
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.base_placement import candidate_bases
from tools.tasks.geometry import ObjectBox, Pose

MAX_CANDIDATES = 10  # spots scored with IK (an IK per object each); home checks are cheap
ABOVE_OBJECT = 0.10  # the pre-grasp TCP height above an object's top
_POSITION_TOL = 0.01
_ROTATION_TOL = 0.08


def _place(probe: mujoco.MjModel, robot: SimRobot, pose: Pose) -> None:
    root = probe.body(robot.scoped(robot.base_body)).id
    probe.body_pos[root] = pose.position
    probe.body_quat[root] = pose.quat_wxyz


def _reachable(
    clearance: ArmClearance,
    rule: StaticGeometry,
    qpos0: np.ndarray,
    robot: SimRobot,
    pose: Pose,
    targets: list[ObjectBox],
) -> int:
    """Objects an IK pose above reaches from `pose` with the arm clear."""
    home = np.asarray(robot.home_qpos, dtype=float)
    kinematics = ArmKinematics(robot, pose.position, pose.quat_wxyz)
    yaw = tcp_yaw(kinematics.forward(home)[1])
    reached = 0
    for box in targets:
        above = (box.centre[0], box.centre[1], box.top + ABOVE_OBJECT)
        result = kinematics.solve(above, top_down_rotation(yaw), home)
        if result.position_error > _POSITION_TOL or result.rotation_error > _ROTATION_TOL:
            continue
        if not clearance.path_collisions(qpos0, result.qpos[None, :], rule):
            reached += 1
    return reached


def checked_base(
    scene_spec: mujoco.MjSpec,
    robot: SimRobot,
    manifest: SceneManifest,
    boxes: dict[str, ObjectBox],
    nominal: Pose,
) -> Pose:
    """The base pose for `robot` in a scene, checked against its static geometry.

    Args:
        scene_spec: the scene without a robot.
        robot: the arm to place.
        manifest: the scene contract (roles, room bounds, floor pose).
        boxes: object boxes at the authored poses.
        nominal: the mounted ingest pose.

    Returns:
        The candidate reaching the most objects with the arm clear; `nominal` on ties.
    """
    candidates = candidate_bases(manifest, boxes, nominal, robot.description)
    if len(candidates) == 1:
        return nominal
    spec = scene_spec.copy()
    frame = spec.worldbody.add_frame(pos=list(nominal.position), quat=list(nominal.quat_wxyz))
    spec.attach(robot.build(False), prefix=robot.prefix, frame=frame)
    probe = spec.compile()
    clearance, rule = ArmClearance(probe, robot), StaticGeometry.of(probe, robot)
    qpos0 = probe.qpos0.copy()
    home = np.asarray(robot.home_qpos, dtype=float)[None, :]
    best, best_score, scored = nominal, 0, 0
    for index, (pose, targets) in enumerate(candidates):
        if len(targets) <= best_score or scored == MAX_CANDIDATES:
            if index == 0:
                continue  # the nominal reaches nothing in its band: score the others
            break  # sorted by targets in band (after the nominal): none can score more
        _place(probe, robot, pose)
        if clearance.path_collisions(qpos0, home, rule):
            continue  # the arm at home is already in a wall or a cabinet
        scored += 1
        score = _reachable(clearance, rule, qpos0, robot, pose, targets)
        if score > best_score:
            best, best_score = pose, score
    return best
