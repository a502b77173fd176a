"""Antipodal grasps in the episodes: an apple too wide for the Panda's box pinch (7.9 cm
across, the pinch closes on 7.6) is picked above its equator with a grasp sampled on its hull
and set down on a free square of the table, in MuJoCo; the selection's rules."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from episode_generation_job.antipodal_attempt import (
    box_points,
    finger_orders,
    hand_clear,
    plan_antipodal_attempt,
    ranked_grasps,
)
from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.rollout import run_episode
from episode_generation_job.testing import (
    TABLE_ID,
    TABLE_TOP,
    TabletopItem,
    apple_vertices,
    tabletop_scene,
)
from genie_sim_export_job.tasks import select_tasks
from tools.geniesim_format import genie_sim_robot
from tools.grasps.antipodal import AntipodalGrasps, SamplerSettings
from tools.grasps.cache import cached_grasps, forget_memory, grasp_key
from tools.grasps.gripper_model import FRANKA_GRIPPER
from tools.robots import FRANKA_PANDA
from tools.scene_manifest import SceneManifest
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.feasibility import feasible_tasks
from tools.tasks.geometry import ObjectBox
from tools.tasks.sampled_grasps import SampledGrasps, scene_sampled_grasps
from tools.tasks.skills import ANTIPODAL, PLACE_ON, SIDE, TOP, grasp_skill
from tools.tasks.supports import resting_supports
from tools.tasks.task_specifier import GoalRegion, PickPlaceTask

SIZE = (0.079, 0.079, 0.066)
APPLE = TabletopItem(
    "apple_0", "apple", "apple", SIZE, (0.45, -0.05), 0.0, 0.2, "red", (0.8, 0.1, 0.1, 1.0)
)
GOAL = GoalRegion((0.6, 0.22), (0.04, 0.04), 0.0, TABLE_TOP)
SETTINGS = SamplerSettings(friction=0.8, mass_kg=APPLE.mass)


def _sampled() -> SampledGrasps:
    hulls = [apple_vertices(SIZE)]
    grasps, _ = cached_grasps(hulls, FRANKA_GRIPPER, (0.0, 0.0, 0.0), SETTINGS)
    return SampledGrasps(grasp_key(hulls, FRANKA_GRIPPER, (0.0, 0.0, 0.0), SETTINGS), grasps)


def _task(sampled: SampledGrasps | None) -> PickPlaceTask:
    return PickPlaceTask(
        "apple_0-to-table_0-left", "apple_0", TABLE_ID, TABLE_ID, GOAL,
        "put the red apple on the left side of the table", "left", "on", PLACE_ON, ANTIPODAL,
        rolls=True, sampled=sampled,
    )  # fmt: skip


def test_an_apple_too_wide_for_the_pinch_is_carried_by_a_sampled_grasp() -> None:
    """The box rules refuse the apple; a sampled grasp, narrower than the Panda's pinch,
    lifts it, and the episode ends judged a success from simulation state."""
    box = ObjectBox("apple_0", (0.45, -0.05, TABLE_TOP + SIZE[2] / 2), (0.0395, 0.0395, 0.033), 0)
    width = FRANKA_PANDA.max_grasp_width_m
    assert grasp_skill(box, "apple", width) is None
    assert grasp_skill(box, "apple", width, sampled=True) == ANTIPODAL
    robot = sim_robot("franka_panda")
    backend = MujocoBackend(tabletop_scene((APPLE,)), robot=robot)
    try:
        init = EpisodeInit(
            {o: backend.object_pose(o) for o in backend.free_objects()},
            robot.home_qpos,
            robot.open_width,
        )
        base = backend.robot_base
        kinematics = ArmKinematics(robot, base.position, base.quat_wxyz)
        backend.reset(init)
        assert plan_antipodal_attempt(backend, kinematics, _task(None), 0.08) == "not_graspable"
        record = run_episode(backend, kinematics, _task(_sampled()), init, render=False)
        assert record.verdict.success, record.verdict
        assert record.metadata["grasp"] == ANTIPODAL
        assert record.metadata["grasp_width"] < width < SIZE[0]
        assert record.verdict.checks["max_lift_m"] >= 0.05
    finally:
        backend.close()


def test_the_box_rules_come_first() -> None:
    """A pinch, rim or side grasp the rules find is kept; sampled grasps only fill in."""
    width = FRANKA_PANDA.max_grasp_width_m
    can = ObjectBox("can", (0.5, 0.0, 0.06), (0.033, 0.033, 0.06), 0.0)
    bottle = ObjectBox("bottle", (0.5, 0.0, 0.13), (0.033, 0.033, 0.13), 0.0)
    plate = ObjectBox("plate", (0.5, 0.0, 0.01), (0.12, 0.12, 0.01), 0.0)
    assert grasp_skill(can, "can", width, sampled=True) == TOP
    assert grasp_skill(bottle, "bottle", width, sampled=True) == SIDE
    assert grasp_skill(plate, "plate", width) is None


def _grasps(approaches: list[tuple[float, float, float]]) -> AntipodalGrasps:
    poses = np.tile(np.eye(4), (len(approaches), 1, 1))
    for pose, approach in zip(poses, approaches, strict=True):
        x = np.asarray(approach) / np.linalg.norm(approach)
        y = np.cross(x, [0.0, 0.0, 1.0]) if abs(x[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
        y /= np.linalg.norm(y)
        pose[:3, :3] = np.column_stack([x, y, np.cross(x, y)])
    n = len(approaches)
    return AntipodalGrasps(poses, np.full(n, 0.07), np.full(n, 0.08), np.full(n, 0.8),
                           np.zeros(n, dtype=np.int64))  # fmt: skip


def test_approaches_coming_back_at_the_robot_rank_last() -> None:
    """Equal scores: from above and away from the base first, back towards it last."""
    grasps = _grasps([(-1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (1.0, 0.0, 0.0)])
    pose = np.eye(4)
    pose[:3, 3] = (0.5, 0.0, 0.8)
    ranked = ranked_grasps(grasps, pose, (0.0, 0.0))
    approaches = [tuple(np.round(g.pose[:3, 0], 3)) for g in ranked]
    assert approaches[-1] == (-1.0, 0.0, 0.0)
    assert ranked[0].score == pytest.approx(0.8) and ranked[-1].score == pytest.approx(0.5)
    assert np.allclose(ranked[0].pose[:3, 3], (0.5, 0.0, 0.8))


def test_the_finger_order_nearer_the_hand_comes_first() -> None:
    """Of a grasp and its fingers-swapped twin, the one the wrist turns less to reach."""
    down = np.diag([1.0, -1.0, -1.0])
    first, second = finger_orders(down @ np.diag([-1.0, -1.0, 1.0]), down)
    assert np.allclose(first, down) and np.allclose(second @ np.diag([-1.0, -1.0, 1.0]), down)


def test_the_hand_must_clear_neighbours_and_the_support() -> None:
    """A neighbour's box in the open fingers' way, or the support above the fingertips,
    refuses the path; a clear path passes."""
    neighbour = ObjectBox("box", (0.5, 0.06, 0.85), (0.02, 0.02, 0.05), 0.0)
    points = box_points(neighbour)
    assert np.allclose(points.min(axis=0), (0.48, 0.04, 0.8))
    assert np.allclose(points.max(axis=0), (0.52, 0.08, 0.9))
    down = _grasps([(0.0, 0.0, -1.0)]).poses[0][:3, :3]  # closing along y: towards the box
    path = [np.array([0.5, 0.0, z]) for z in (0.95, 0.9, 0.85)]
    assert not hand_clear(FRANKA_GRIPPER, down, path, 0.08, points, None)
    far = [p + np.array([0.0, -0.2, 0.0]) for p in path]
    assert hand_clear(FRANKA_GRIPPER, down, far, 0.08, points, 0.8)
    assert not hand_clear(FRANKA_GRIPPER, down, far, 0.08, points, 0.85)
    assert math.isclose(float(np.linalg.norm(path[0] - path[1])), 0.05)


def test_sampled_grasps_compare_by_their_geometry_key() -> None:
    """Tasks carrying grasps sampled from the same geometry and settings compare equal."""
    one, two = _sampled(), _sampled()
    assert one == two and hash(one) == hash(two) and len(one.grasps) > 0
    assert _task(one) == _task(two)


def _scene_with_hulls(root: Path, scale: float = 1.0) -> SceneManifest:
    """The tabletop's manifest with the apple's hull written as simready writes it."""
    manifest = tabletop_scene((APPLE,)).manifest
    hull = root / "assets" / "apple_0" / "hull_0.obj"
    hull.parent.mkdir(parents=True)
    hull.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in apple_vertices(SIZE)))
    objects = []
    for obj in manifest.objects:
        if obj.id == "apple_0":
            asset = obj.asset.model_copy(update={"collision_paths": ("assets/apple_0/hull_0.obj",)})
            transform = obj.transform.model_copy(update={"scale": (scale, scale, scale)})
            obj = obj.model_copy(update={"asset": asset, "transform": transform})
        objects.append(obj)
    return manifest.model_copy(update={"objects": tuple(objects)})


def test_a_scene_samples_only_what_the_box_rules_refuse(tmp_path: Path) -> None:
    """The apple (too wide) is sampled, once: the second session reads the cache; the can
    the rules pinch is not; a scaled asset or no scene folder gives none."""
    manifest = _scene_with_hulls(tmp_path)
    boxes = MujocoBackend(tabletop_scene((APPLE,)), robot=sim_robot("franka_panda"))
    try:
        rest = boxes.object_boxes()
    finally:
        boxes.close()
    cache = tmp_path / "cache"
    forget_memory()  # other tests sampled the same apple in this process
    first = scene_sampled_grasps(tmp_path, manifest, FRANKA_PANDA, rest, directory=cache)
    assert set(first) == {"apple_0"} and first["apple_0"].sample_s > 0
    forget_memory()
    again = scene_sampled_grasps(tmp_path, manifest, FRANKA_PANDA, rest, directory=cache)
    assert again == first and again["apple_0"].sample_s == 0.0
    assert len(list(cache.glob("*.npz"))) == 1
    assert scene_sampled_grasps(None, manifest, FRANKA_PANDA, rest) == {}
    scaled = _scene_with_hulls(tmp_path / "scaled", 1.2)
    assert (
        scene_sampled_grasps(tmp_path / "scaled", scaled, FRANKA_PANDA, rest, directory=cache) == {}
    )


def test_tasks_hold_the_too_wide_apple_by_its_sampled_grasps() -> None:
    """The robot filter drops a 9.5 cm apple as too wide (for the Panda and for Genie Sim's
    G1), unless it has sampled grasps: then its tasks carry them as an `antipodal` grasp, in
    the episodes and in the Genie Sim export."""
    wide = TabletopItem("apple_0", "apple", "apple", (0.095, 0.095, 0.08), (0.45, -0.05), 0.0,
                        0.25, "red", (0.8, 0.1, 0.1, 1.0))  # fmt: skip
    scene = tabletop_scene((wide,))
    backend = MujocoBackend(scene, robot=sim_robot("franka_panda"))
    try:
        boxes = backend.object_boxes()
        free = list(backend.free_objects())
        base = backend.robot_base
    finally:
        backend.close()
    manifest = scene.manifest
    contract = build_scene_tasks(manifest, boxes, resting_supports(manifest, boxes), generator="t")
    dropped: dict[str, str] = {}
    plain = feasible_tasks(contract, manifest, base, free_objects=free, dropped=dropped)
    assert "apple_0" not in {t.target_id for t in plain}
    assert {dropped[c.task_id] for c in contract.candidates if c.target_id == "apple_0"} == {
        "too_wide"
    }
    sampled = {"apple_0": _sampled()}
    held = feasible_tasks(contract, manifest, base, free_objects=free, sampled=sampled)
    apples = [t for t in held if t.target_id == "apple_0"]
    assert apples and all(t.grasp == ANTIPODAL and t.sampled == sampled["apple_0"] for t in apples)
    assert all(t.sampled is None for t in held if t.target_id != "apple_0")
    robot = genie_sim_robot("G1")
    exported = select_tasks(manifest, contract, set(boxes), robot, max_tasks=64, sampled=sampled)
    assert "apple_0" in {t.target_id for t in exported.tasks}
