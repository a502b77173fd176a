"""Shelf boards with a board above: planned in through the open side, clear of the shelf."""

from __future__ import annotations

from dataclasses import replace

import mujoco
import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import MujocoScene, ObjectRef
from episode_generation_job.controller import UnreachableError, plan_joints
from episode_generation_job.grasp import plan_grasp
from episode_generation_job.motion import plan_pick_place
from episode_generation_job.rollout import plan_attempt, run_episode
from episode_generation_job.shelf_motion import AroundPlan, shelf_segments, slot_exit
from episode_generation_job.testing import TABLE_ID, TABLE_TOP, _asset, tabletop_scene
from tools.scene_manifest import (
    ObjectProvenance,
    PoseSource,
    SceneObject,
    Semantics,
    SimRole,
    Transform,
)
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.geometry import ObjectBox
from tools.tasks.skills import PLACE_AT_HEIGHT
from tools.tasks.surfaces import GoalSurface
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

SHELF = "shelf_0"
CENTRE = (0.0, 0.62)  # beside the Panda (at the origin, facing +x); open side towards it (-y)
WIDTH, DEPTH, THICK = 0.50, 0.30, 0.02
BOARDS = (0.50, 1.05, 1.40)  # board tops; the goal is the lowest, 0.53 m under the next


def _shelf_scene() -> MujocoScene:
    scene = tabletop_scene()
    body = scene.spec.worldbody.add_body(name=SHELF, pos=[*CENTRE, 0.0])
    parts = [(f"board{i}", (0.0, 0.0, top - THICK / 2), (WIDTH / 2, DEPTH / 2, THICK / 2))
             for i, top in enumerate(BOARDS)]  # fmt: skip
    height = BOARDS[-1]
    for side in (-1, 1):
        x = side * (WIDTH + THICK) / 2
        parts.append((f"post{side}", (x, 0.0, height / 2), (THICK / 2, DEPTH / 2, height / 2)))
    parts.append(
        ("back", (0.0, (DEPTH + THICK) / 2, height / 2), (WIDTH / 2, THICK / 2, height / 2))
    )
    for name, pos, half in parts:
        body.add_geom(name=f"{SHELF}/{name}", type=mujoco.mjtGeom.mjGEOM_BOX, pos=pos, size=half)
    shelf = SceneObject(
        id=SHELF,
        category="shelf",
        sim_role=SimRole.STATIC,
        transform=Transform(position=(*CENTRE, height / 2)),
        asset=_asset(SHELF),
        dimensions=(WIDTH, DEPTH, height),
        semantics=Semantics(label="shelf", class_name="shelf"),
        provenance=ObjectProvenance(source_id=SHELF, pose_source=PoseSource.AUTHORED),
    )
    manifest = scene.manifest.model_copy(update={"objects": (*scene.manifest.objects, shelf)})
    refs = {**scene.objects, SHELF: ObjectRef(None, tuple(f"{SHELF}/{n}" for n, *_ in parts))}
    return replace(scene, objects=refs, manifest=manifest)


def _task(target: str = "cube_0") -> PickPlaceTask:
    face = ObjectBox(SHELF, (*CENTRE, BOARDS[0]), (WIDTH / 2, DEPTH / 2, 0.0), 0.0)
    surface = GoalSurface(f"{SHELF}-shelf1", SHELF, face, BOARDS[1] - THICK - BOARDS[0])
    region = GoalRegion((CENTRE[0], CENTRE[1] - 0.07), (0.06, 0.06), 0.0, BOARDS[0], "on")
    return PickPlaceTask(
        f"{target}-to-{surface.surface_id}", target, TABLE_ID, SHELF, region, "shelve it",
        "left", "on", PLACE_AT_HEIGHT, height_change=BOARDS[0] - TABLE_TOP, surface=surface,
    )  # fmt: skip


@pytest.fixture(scope="module")
def shelf() -> tuple[MujocoBackend, ArmKinematics, EpisodeInit]:
    backend = MujocoBackend(_shelf_scene())
    robot, base = backend.robot, backend.robot_base
    poses = {o: backend.object_pose(o) for o in backend.free_objects()}
    init = EpisodeInit(poses, robot.home_qpos, robot.open_width)
    return backend, ArmKinematics(robot, base.position, base.quat_wxyz), init


def test_the_slot_is_entered_from_the_side_facing_the_robot() -> None:
    """The exit is the board axis nearest the robot, with the depth to that edge."""
    surface = _task().surface
    assert surface is not None
    ux, uy, depth = slot_exit(surface, (0.0, 0.55), (0.0, 0.0))
    assert (ux, uy) == pytest.approx((0.0, -1.0))
    assert depth == pytest.approx(0.55 - (CENTRE[1] - DEPTH / 2))
    ux, uy, _ = slot_exit(surface, (0.0, 0.55), (-2.0, 0.6))
    assert (ux, uy) == pytest.approx((-1.0, 0.0))


def test_the_lift_over_motion_runs_the_arm_through_the_board_above(shelf) -> None:
    """Carried over the shelf and lowered from above, the arm meets the upper boards."""
    backend, kinematics, init = shelf
    backend.reset(init)
    task, boxes = _task(), backend.object_boxes()
    target = boxes[task.target_id]
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {}, robot=backend.robot.description)
    assert grasp is not None and task.region is not None
    obstacles = {SHELF: boxes[SHELF]}
    segments = plan_pick_place(grasp, target, task.region, obstacles, support_top=TABLE_TOP)
    try:
        plan = plan_joints(kinematics, segments, backend.arm_qpos(), 0.08, 30)
    except UnreachableError:
        return  # refused before the collision check: as refused
    assert backend.arm_path_collisions(plan.arm)


def test_the_collision_aware_ik_keeps_the_arm_off_the_shelf(shelf) -> None:
    """Along the same key poses into the slot, DLS runs a link into the boards above; mink
    (clear of the shelf's and the table's geoms) tracks them clear of the boards."""
    backend, kinematics, init = shelf
    backend.reset(init)
    task, target = _task(), backend.object_boxes()["cube_0"]
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {}, robot=backend.robot.description)
    assert grasp is not None and task.region is not None and task.surface is not None
    base = backend.robot_base.position[:2]
    pick, slot = shelf_segments(grasp, target, task.region, task.surface, base, TABLE_TOP)
    lifted = plan_joints(kinematics, pick, backend.arm_qpos(), 0.08, 30).arm[-1]
    plain = plan_joints(kinematics, slot, lifted, 0.0, 30)
    around = plan_joints(backend.collision_aware_ik([SHELF, TABLE_ID]), slot, lifted, 0.0, 30)

    def nearest(arm: np.ndarray) -> float:
        model, data = backend.model, mujoco.MjData(backend.model)
        data.qpos[:] = backend.data.qpos
        for name, q in zip(backend.robot.arm_joints, arm, strict=True):
            data.qpos[model.joint(backend.robot.scoped(name)).qposadr[0]] = q
        mujoco.mj_kinematics(model, data)
        shelf_geoms = [model.geom(f"{SHELF}/{n}").id for n in ("board1", "board2")]
        robot = backend.robot.prefix
        links = [g for g in range(model.ngeom)
                 if model.body(model.geom_bodyid[g]).name.startswith(robot)]  # fmt: skip
        fromto = np.zeros(6)
        return min(mujoco.mj_geomDistance(model, data, a, b, 0.5, fromto)
                   for a in links for b in shelf_geoms)  # fmt: skip

    assert min(nearest(q) for q in plain.arm[::5]) < 0.0
    assert min(nearest(q) for q in around.arm[::5]) > 0.005


def test_a_shelf_goal_is_planned_into_the_slot_the_same_way_every_time(shelf) -> None:
    """The plan check accepts the goal with a plan whose arm stays clear of the room, the
    same joints on every call (no sampling: every shard plans the same)."""
    backend, kinematics, init = shelf
    plans = []
    for _ in range(2):
        backend.reset(init)
        planned = plan_attempt(backend, kinematics, _task(), backend.robot.open_width)
        assert not isinstance(planned, str)
        plans.append(planned[0])
    first, second = plans
    assert isinstance(first, AroundPlan) and first.planner == "mink" and first.plan_s > 0.0
    assert not backend.arm_path_collisions(first.arm)
    assert np.array_equal(first.arm, second.arm) and first.phases == second.phases
    assert {"insert", "withdraw"} <= set(first.phases)


def test_the_shelf_goal_succeeds_in_physics(shelf) -> None:
    """Simulated, the object ends on the board under the next one, upright and released."""
    backend, kinematics, init = shelf
    record = run_episode(backend, kinematics, _task(), init, render=False)
    assert record.verdict.success, record.verdict
    assert record.metadata["planner"] == "mink"
    bottom = backend.object_boxes()["cube_0"].bottom
    assert bottom == pytest.approx(BOARDS[0], abs=0.01)


def test_the_slot_key_poses_enter_level_and_withdraw_the_way_they_came() -> None:
    """In at one height along the exit axis; release and withdrawal at the set-down height."""
    task = _task()
    assert task.surface is not None and task.region is not None
    target = ObjectBox("cube_0", (0.45, 0.15, 0.775), (0.025, 0.025, 0.025), 0.3)
    grasp = plan_grasp(target, TABLE_TOP, 0.0, {})
    assert grasp is not None
    pick, slot = shelf_segments(grasp, target, task.region, task.surface, (0.0, 0.0), TABLE_TOP)
    assert [s.phase for s in pick] == ["approach", "descend", "close", "lift"]
    by_phase = {s.phase: s for s in slot}
    inserted, placed = by_phase["insert"].position, by_phase["lower"].position
    withdrawn = by_phase["withdraw"].position
    assert inserted[2] > placed[2] == withdrawn[2]
    assert withdrawn[1] < CENTRE[1] - DEPTH / 2 - target.footprint_radius  # out of the slot
    assert np.cos(by_phase["insert"].yaw) == pytest.approx(0.0, abs=1e-6)  # x along the exit
