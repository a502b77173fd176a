"""Grasp poses of the export: the episodes' grasps (one source), and the ray caster."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import trimesh

from episode_generation_job.grasp import plan_grasp
from episode_generation_job.rim_grasp import plan_rim_grasp
from episode_generation_job.side_grasp import plan_side_grasp
from episode_generation_job.testing import cup_hulls
from genie_sim_export_job.grasps import max_object_width, sampled_grasps
from genie_sim_export_job.raycast import first_hits
from tools.geniesim_format import ROBOTS
from tools.geniesim_format import assets as fmt
from tools.robots import FRANKA_PANDA
from tools.scene_layout import GENIESIM_EXPORT_DIR
from tools.scene_manifest import load_manifest
from tools.tasks.geometry import ObjectBox
from tools.tasks.object_grasps import MAX_DEPTH_BELOW_TOP, SIDE_HEADINGS, object_grasp_poses
from tools.tasks.rims import rim_from_hulls

PANDA = (FRANKA_PANDA.max_grasp_width_m, FRANKA_PANDA.gripper_max_width_m)


def test_first_hits_finds_nearest_face_and_misses() -> None:
    """A ray down onto a unit box hits its top at the right distance; a ray beside it misses."""
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    origins = np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 2.0]])
    down = np.array([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    distances, faces = first_hits(box.vertices, box.faces, origins, down)
    assert np.isclose(distances[0], 1.5) and faces[0] >= 0
    assert np.isinf(distances[1]) and faces[1] == -1


@pytest.mark.parametrize("yaw", [0.0, 0.7])
def test_box_pinch_is_the_episodes_grasp(yaw: float) -> None:
    """A 4x7x10 cm box: the pose is where the episodes' planner puts the TCP (3.5 cm below the
    top, centred), closing along the same (narrow) side, with the same opening."""
    half = (0.02, 0.035, 0.05)
    found = object_grasp_poses(half, "box", *PANDA)
    assert len(found) == 2 and np.allclose(np.linalg.det(found.poses[:, :3, :3]), 1.0)
    pose = found.poses[0]
    assert np.allclose(pose[:3, 0], (0.0, 0.0, -1.0))  # straight down
    assert np.allclose(pose[:3, 3], (0.0, 0.0, half[2] - MAX_DEPTH_BELOW_TOP))
    assert np.allclose(found.poses[1][:3, 1], -pose[:3, 1])  # the other finger order
    box = ObjectBox("box", (0.5, 0.1, 0.80), half, yaw)
    grasp = plan_grasp(box, 0.75, 0.0, robot=FRANKA_PANDA)
    assert grasp is not None
    turn = np.array(
        [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
    )
    assert np.allclose(grasp.position, np.asarray(box.centre) + turn @ pose[:3, 3])
    closing = (math.cos(grasp.yaw - math.pi / 2), math.sin(grasp.yaw - math.pi / 2), 0.0)
    assert abs(float(np.dot(closing, turn @ pose[:3, 1]))) == pytest.approx(1.0)
    assert grasp.opening == pytest.approx(found.openings[0])


def test_wide_objects_get_no_pinch_and_rims_only_when_listed() -> None:
    """A 20 cm cube has no grasp; a 9 cm cup has none without its rim and the rim pinches
    (the episodes' own) with it, moved into the exported frame."""
    assert len(object_grasp_poses((0.1, 0.1, 0.1), "box", *PANDA)) == 0
    rim = rim_from_hulls(cup_hulls((0.09, 0.09, 0.09)))
    assert rim is not None
    half = rim.half_extents
    assert len(object_grasp_poses(half, "cup", *PANDA)) == 0
    origin = (0.001, -0.002, 0.003)
    found = object_grasp_poses(half, "cup", *PANDA, rim, rim_origin=origin)
    rim_poses, _ = rim.grasp_poses(0.012)
    assert len(found) == 2 * len(rim_poses)
    assert np.allclose(found.poses[::2, :3, 3], rim_poses[:, :3, 3] - origin)
    box = ObjectBox("cup", (0.5, 0.2, 0.795), half, 0.0)
    grasp = plan_rim_grasp(box, rim, 0.75, (0.0, 0.0), 0.0, robot=FRANKA_PANDA)
    assert grasp is not None
    world = found.poses[::2, :3, 3] + np.asarray(origin) - rim.centre + np.asarray(box.centre)
    assert np.min(np.linalg.norm(world - np.asarray(grasp.position), axis=1)) < 1e-6


@pytest.mark.parametrize("yaw", [0.0, 0.4])
def test_side_grasps_are_the_episodes_side_grasp(yaw: float) -> None:
    """A 26 cm bottle (too tall to pinch from the top): horizontal approaches all round,
    closing horizontally, 35 % up the bottle; the episodes' side grasp is one of them."""
    half = (0.0325, 0.0325, 0.13)
    found = object_grasp_poses(half, "bottle", *PANDA)
    assert len(found) == 2 * SIDE_HEADINGS
    assert np.allclose(found.poses[:, 2, 0], 0.0) and np.allclose(found.poses[:, 2, 1], 0.0)
    assert np.allclose(found.poses[:, :3, 3], (0.0, 0.0, 0.35 * 0.26 - 0.13))
    box = ObjectBox("bottle", (0.5, 0.2, 0.88), half, yaw)
    grasp = plan_side_grasp(box, 0.75, (0.0, 0.0), FRANKA_PANDA)
    assert grasp is not None
    turn = np.array(
        [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
    )
    world = np.asarray(box.centre) + found.poses[:, :3, 3] @ turn.T
    approach = found.poses[:, :3, 0] @ turn.T
    heading = (math.cos(grasp.heading), math.sin(grasp.heading), 0.0)
    match = np.isclose(approach @ heading, 1.0) & np.all(np.isclose(world, grasp.position), 1)
    assert match.any()
    assert grasp.opening == pytest.approx(found.openings[0])
    carton = object_grasp_poses((0.05, 0.03, 0.12), "carton", *PANDA)  # along its long side
    assert len(carton) == 4 and np.allclose(np.abs(carton.poses[:, 0, 0]), 1.0)


def test_the_exported_pickle_holds_the_episodes_grasps(exported_scene: Path) -> None:
    """Read back: each grasp_pose.pkl starts with exactly the shared source's grasps of the
    object's exported box for the G2 gripper, at 3.5 cm below its top (or its rim) straight
    down, or from the side (horizontal) on a tall object; the sampler's best grasps of its
    hulls follow, in both finger orders; every task's target has them."""
    root = exported_scene / GENIESIM_EXPORT_DIR
    index = json.loads((root / fmt.ASSET_INDEX).read_text())
    manifest = load_manifest(exported_scene)
    robot = ROBOTS[index["robot_id"]]
    read, sampled_seen = set(), 0
    for entry in index["objects"]:
        if entry["grasp_pose"] is None:
            continue
        data = pickle.loads((root / entry["grasp_pose"]).read_bytes())
        poses, widths = np.asarray(data["grasp_pose"]), np.asarray(data["width"])
        size = json.loads((root / entry["object_parameters"]).read_text())["size"]
        obj = manifest.object(entry["object_id"])
        expected = object_grasp_poses(
            np.asarray(size) / 2, obj.category, max_object_width(robot), robot.gripper_max_width_m
        )
        ours = len(expected)  # a pinch across the box; otherwise a rim or side grasp first
        assert np.allclose(poses[:ours], expected.poses, atol=1e-6)
        assert np.allclose(widths[:ours], expected.openings, atol=1e-6)
        down = np.isclose(poses[:ours, 2, 0], -1.0)
        assert np.all(down | np.isclose(poses[:ours, 2, 0], 0.0)), "straight down or horizontal"
        assert np.all(poses[:, 2, 3] < size[2] / 2) and np.all(widths <= robot.gripper_max_width_m)
        sampled = sampled_grasps(exported_scene, obj, robot)
        extra = poses[ours:]
        if ours and sampled is not None and len(extra):
            assert len(extra) <= fmt.MAX_GRASPS - ours and len(extra) % 2 == 0
            # The sampler's ranked grasps in order (those inside the exported box), each
            # followed by its finger swap.
            ranked = iter(sampled.poses[:, :3, :3])
            assert all(
                any(np.allclose(r, p, atol=1e-6) for p in ranked) for r in extra[::2, :3, :3]
            )
            assert np.allclose(extra[1::2, :3, 1], -extra[::2, :3, 1])
            sampled_seen += 1
        read.add(entry["object_id"])
    assert read and {t["target"] for t in index["tasks"]} <= read
    assert sampled_seen > 0
