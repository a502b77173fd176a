"""Rim pinches: read from collision hulls, planned in the world, executed in MuJoCo."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.rim_grasp import plan_rim_grasp
from episode_generation_job.rollout import run_episode
from episode_generation_job.testing import TabletopItem, cup_hulls, tabletop_scene
from tools.robots import FRANKA_PANDA, ROBOTS, XARM6
from tools.sim.robots.franka import FrankaKinematics
from tools.sim.robots.franka import constants as franka
from tools.tasks.feasibility import derive_tasks
from tools.tasks.geometry import ObjectBox
from tools.tasks.rims import RIM_MAX_MOMENT_KG_M, load_rim, rim_from_hulls
from tools.tasks.skills import RIM, TOP, grasp_skill

PANDA_WIDTH = franka.DESCRIPTION.max_grasp_width_m
CUP_SIZE = (0.09, 0.09, 0.09)  # wider than the Panda opens: only its rim can be pinched
CUP = TabletopItem(
    "cup_0", "paper cup", "cup", CUP_SIZE, (0.45, 0.28), 0.0, 0.15, "green", (0.2, 0.7, 0.3, 1)
)


def _handle(size: tuple[float, float, float]) -> np.ndarray:
    """A solid handle beside the cup's +x wall, reaching 3 cm out."""
    r, h = size[0] / 2, size[2]
    return np.array(
        [
            [x, y, z]
            for x in (r - 0.004, r + 0.03)
            for y in (-0.008, 0.008)
            for z in (0.02, h - 0.01)
        ]
    ) - np.array([0.0, 0.0, h / 2])


def test_rim_found_around_the_cavity_and_not_at_the_handle() -> None:
    rim = rim_from_hulls(cup_hulls(CUP_SIZE))
    assert rim is not None and len(rim.grasps) >= 12
    for pinch in rim.grasps:
        assert 0.004 <= pinch.thickness <= 0.012  # the 6 mm wall, a cell or two either way
        assert 0.035 <= math.hypot(pinch.x, pinch.y) <= 0.045  # octagon: faces and corners
    with_handle = rim_from_hulls([*cup_hulls(CUP_SIZE), _handle(CUP_SIZE)])
    assert with_handle is not None
    toward_handle = [p for p in with_handle.grasps if math.cos(p.angle) > 0.95]
    assert toward_handle == []
    assert len(with_handle.grasps) >= len(rim.grasps) - 3


def test_solid_and_empty_geometry_have_no_rim() -> None:
    block = np.array([[x, y, z] for x in (0, 0.09) for y in (0, 0.09) for z in (0, 0.09)])
    assert rim_from_hulls([block]) is None
    assert rim_from_hulls([]) is None


def test_rim_is_loaded_from_obj_hulls_and_cached(tmp_path: Path) -> None:
    paths = []
    for k, hull in enumerate(cup_hulls(CUP_SIZE)):
        path = tmp_path / f"hull_{k}.obj"
        path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in hull))
        paths.append(path.name)
    first = load_rim(tmp_path, paths)
    assert first is not None and first is load_rim(tmp_path, paths)
    assert load_rim(tmp_path, ["missing.obj"]) is None
    assert load_rim(tmp_path, ["mesh.glb"]) is None


def test_skill_follows_the_geometry() -> None:
    narrow = ObjectBox("can", (0.5, 0.0, 0.81), (0.033, 0.033, 0.06), 0.0)
    wide = ObjectBox("cup", (0.5, 0.0, 0.8), (0.045, 0.045, 0.045), 0.0)
    assert grasp_skill(narrow, "can", PANDA_WIDTH) == TOP
    assert grasp_skill(wide, "cup", PANDA_WIDTH) is None
    assert grasp_skill(wide, "cup", PANDA_WIDTH, has_rim=True) == RIM


def test_rim_grasp_straddles_the_wall_nearest_the_robot() -> None:
    rim = rim_from_hulls(cup_hulls(CUP_SIZE))
    assert rim is not None
    box = ObjectBox("cup_0", (0.5, 0.2, 0.795), rim.half_extents, 0.0)
    grasp = plan_rim_grasp(box, rim, 0.75, (0.0, 0.0), 0.0)
    assert grasp is not None
    assert grasp.position[2] == pytest.approx(box.top - rim.depth)
    # On the wall, on the robot's side, closing across the wall (radially).
    assert 0.035 <= math.dist(grasp.position[:2], box.centre[:2]) <= 0.045
    assert math.dist(grasp.position[:2], (0, 0)) < math.dist(box.centre[:2], (0, 0))
    radial = math.atan2(grasp.position[1] - box.centre[1], grasp.position[0] - box.centre[0])
    assert abs(math.sin(grasp.yaw - math.pi / 2 - radial)) < 0.2
    assert grasp.opening < franka.GRIPPER_MAX_WIDTH
    tipped = ObjectBox("cup_0", box.centre, (0.045, 0.06, 0.03), 0.0)
    assert plan_rim_grasp(tipped, rim, 0.75, (0.0, 0.0), 0.0) is None
    wall = ObjectBox("wall", (0.5, 0.2, 0.9), (0.3, 0.3, 0.15), 0.0)
    assert plan_rim_grasp(box, rim, 0.75, (0.0, 0.0), 0.0, {"wall": wall}) is None


@pytest.mark.parametrize("goal", ["plate_0", "table_0"])
def test_cup_picked_by_its_rim_ends_on_the_goal(goal: str) -> None:
    scene = tabletop_scene((CUP,))
    sim = MujocoBackend(scene)
    try:
        base = sim.robot_base
        rims = {"cup_0": rim_from_hulls(cup_hulls(CUP_SIZE))}
        tasks = derive_tasks(
            scene.manifest, sim.object_boxes(), base, free_objects=sim.free_objects(),
            max_tasks=64, rims={k: v for k, v in rims.items() if v is not None},
        )  # fmt: skip
        cup_tasks = [t for t in tasks if t.target_id == "cup_0"]
        assert cup_tasks and all(t.grasp == RIM and t.rim is not None for t in cup_tasks)
        task = next(t for t in cup_tasks if t.goal_id == goal)
        free = sim.free_objects()
        init = EpisodeInit(
            {o: sim.object_pose(o) for o in free}, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH
        )
        kinematics = FrankaKinematics(base.position, base.quat_wxyz)
        record = run_episode(sim, kinematics, task, init, render=False)
        assert record.verdict.success, record.verdict
    finally:
        sim.close()


def test_rim_pinches_as_genie_sim_grasp_poses() -> None:
    """grasp_pose.pkl's form: rigid 4x4 poses in the asset frame, x down, y across the wall."""
    shift = np.array([0.0, 0.0, CUP_SIZE[2] / 2])  # asset frame: origin at the bottom centre
    rim = rim_from_hulls([h + shift for h in cup_hulls(CUP_SIZE)])
    assert rim is not None
    poses, openings = rim.grasp_poses(clearance=0.012)
    assert poses.shape == (len(rim.grasps), 4, 4) and openings.shape == (len(rim.grasps),)
    for pose, pinch, opening in zip(poses, rim.grasps, openings, strict=True):
        rotation = pose[:3, :3]
        assert np.allclose(rotation.T @ rotation, np.eye(3)) and np.linalg.det(rotation) > 0
        assert np.allclose(pose[:3, 0], (0, 0, -1))
        assert pose[2, 3] == pytest.approx(CUP_SIZE[2] - rim.depth)
        assert math.hypot(pose[0, 3], pose[1, 3]) == pytest.approx(math.hypot(pinch.x, pinch.y))
        assert opening == pytest.approx(pinch.thickness + 0.024)


def test_each_pinch_is_kept_by_its_own_lever_to_the_centre_of_mass() -> None:
    rim = rim_from_hulls(cup_hulls(CUP_SIZE))
    assert rim is not None
    limit = 0.02
    centred = rim.carried(0.4, (0.0, 0.0, 0.0), limit)  # every lever ~4 cm: 16 g m
    assert centred is not None and len(centred.grasps) == len(rim.grasps)
    assert all(g.moment == pytest.approx(0.4 * rim.lever(g, (0, 0, 0))) for g in centred.grasps)
    assert rim.carried(0.6, (0.0, 0.0, 0.0), limit) is None  # 24 g m at every pinch
    # A handle's weight (or a thick wall) 2 cm off the centre, towards -x: the pinches on the
    # -x side have a 2 cm lever (8 g m), those on the +x side 6 cm (24 g m).
    heavy_side = (-0.02, 0.0, 0.0)
    carried = rim.carried(0.4, heavy_side, limit)
    assert carried is not None and 0 < len(carried.grasps) < len(rim.grasps)
    assert any(math.cos(g.angle) < -0.9 for g in carried.grasps)  # short lever: kept
    assert not any(math.cos(g.angle) > 0.9 for g in carried.grasps)  # long lever: refused
    assert all(g.moment <= limit for g in carried.grasps)
    assert rim.lever(rim.grasps[0], heavy_side) == pytest.approx(
        math.hypot(rim.grasps[0].x + 0.02, rim.grasps[0].y)
    )
    # Without a limit given, the most capable robot's.
    assert max(r.rim_max_moment_kg_m for r in ROBOTS.values()) == RIM_MAX_MOMENT_KG_M


def test_each_robot_plans_only_the_pinches_its_gripper_carries() -> None:
    """A bowl-sized load (0.045 kg m at every pinch): within the xArm's measured limit, above
    the Franka's, so the Franka has no rim grasp and the xArm has one."""
    rim = rim_from_hulls(cup_hulls(CUP_SIZE))
    assert rim is not None
    lever = rim.lever(rim.grasps[0], (0.0, 0.0, 0.0))
    heavy = rim.carried(0.045 / lever, (0.0, 0.0, 0.0))
    assert heavy is not None
    assert FRANKA_PANDA.rim_max_moment_kg_m < 0.045 < XARM6.rim_max_moment_kg_m
    box = ObjectBox("cup_0", (0.5, 0.2, 0.795), rim.half_extents, 0.0)
    assert plan_rim_grasp(box, heavy, 0.75, (0.0, 0.0), 0.0, robot=FRANKA_PANDA) is None
    assert plan_rim_grasp(box, heavy, 0.75, (0.0, 0.0), 0.0, robot=XARM6) is not None
    light = rim.carried(0.2, (0.0, 0.0, 0.0))
    assert light is not None
    assert plan_rim_grasp(box, light, 0.75, (0.0, 0.0), 0.0, robot=FRANKA_PANDA) is not None


def _bowl_hulls(top_radius: float, bands: list[tuple[float, float]]) -> list[np.ndarray]:
    """A bowl of 16 wall pieces per band and a floor: each band (height, slope) runs down from
    the one above it, its wall's middle moving inwards by `slope` per metre of depth."""
    wall, sides = 0.008, 16
    hulls, top, radius = [], sum(h for h, _ in bands), top_radius
    for height, slope in bands:
        bottom_radius = radius - slope * height
        for k in range(sides):
            span = (2 * math.pi * k / sides, 2 * math.pi * (k + 1) / sides)
            hulls.append(
                np.array(
                    [
                        [(r + d) * math.cos(a), (r + d) * math.sin(a), z]
                        for a in span
                        for r, z in ((radius, top), (bottom_radius, top - height))
                        for d in (-wall / 2, wall / 2)
                    ]
                )
            )
        top, radius = top - height, bottom_radius
    floor = np.array([[x, y, z] for x in (-radius, radius) for y in (-radius, radius)
                      for z in (0.0, 0.006)])  # fmt: skip
    return [*hulls, floor]


def test_wall_slope_is_read_where_the_pads_touch_it() -> None:
    """A shallow bowl whose wall flares 0.2 over the top 2.6 cm and curves in below: the pads
    (0.6-2.4 cm below the top) touch a near-upright wall, so its rim is found (read from the
    grasp depth to 1.5 cm below it, the curve made it 0.55); a wall flaring 0.6 all the way
    turns the bowl in the pads and is refused."""
    shallow = rim_from_hulls(_bowl_hulls(0.075, [(0.026, 0.2), (0.024, 1.5)]))
    assert shallow is not None and len(shallow.grasps) >= 12
    assert rim_from_hulls(_bowl_hulls(0.075, [(0.05, 0.6)])) is None
    assert rim_from_hulls(_bowl_hulls(0.075, [(0.05, 0.2)])) is not None
