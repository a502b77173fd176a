"""The antipodal sampler on primitive hulls: what it finds, what it rejects, how it ranks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import trimesh

from episode_generation_job.testing import cup_hulls
from tools.grasps.antipodal import TOP, SamplerSettings, sample_grasps, scene_clear
from tools.grasps.gripper_model import FRANKA_GRIPPER, XARM_GRIPPER, generic_gripper
from tools.grasps.hulls import build_hulls, contains, ray_exits

QUICK = SamplerSettings(surface_points=160, approaches=8, max_grasps=24, check_points=600)


def _box(size: tuple[float, float, float], centre: tuple[float, float, float] = (0, 0, 0)):
    return trimesh.creation.box(size).vertices + np.asarray(centre)


def _mug() -> list[np.ndarray]:
    """A 9 cm cup (`cup_hulls`) with a handle: a 1.2 cm bar 2.6 cm out from its wall, held by
    two arms."""
    handle = [
        _box((0.012, 0.012, 0.05), (0.071, 0.0, 0.0)),
        _box((0.03, 0.012, 0.01), (0.055, 0.0, 0.02)),
        _box((0.03, 0.012, 0.01), (0.055, 0.0, -0.02)),
    ]
    return [*cup_hulls((0.09, 0.09, 0.09)), *handle]


def _contacts(grasps, k: int) -> np.ndarray:
    pose = grasps.poses[k]
    half = pose[:3, 1] * grasps.widths[k] / 2
    return np.array([pose[:3, 3] - half, pose[:3, 3] + half])


def test_box_is_pinched_across_its_narrow_side_from_the_top_first() -> None:
    """A 4 x 7 x 10 cm box: the best grasp comes from above, closing across the 4 cm side;
    every pose is a proper frame, its contacts on the box's faces; 7 cm pinches exist too."""
    grasps = sample_grasps([_box((0.04, 0.07, 0.10))], FRANKA_GRIPPER, settings=QUICK)
    assert len(grasps) > 0 and np.all(np.diff(grasps.scores) <= 1e-12)
    assert np.allclose(np.linalg.det(grasps.poses[:, :3, :3]), 1.0)
    assert grasps.kinds[0] == TOP and grasps.poses[0][2, 0] == pytest.approx(-1.0)
    assert abs(grasps.poses[0][0, 1]) == pytest.approx(1.0)  # closing along x, the 4 cm side
    assert grasps.widths[0] == pytest.approx(0.04)
    for k in range(len(grasps)):
        ends = _contacts(grasps, k)
        on_face = np.isclose(np.abs(ends), (0.02, 0.035, 0.05), atol=1e-6).any(axis=1)
        assert on_face.all()
    assert np.any(np.isclose(grasps.widths, 0.07))
    assert np.all(grasps.openings <= FRANKA_GRIPPER.max_opening)


def test_too_wide_box_has_no_grasp_and_a_wider_gripper_takes_it() -> None:
    """A 12 cm cube fits neither arm; a 14 cm gripper pinches it."""
    cube = [_box((0.12, 0.12, 0.12))]
    assert len(sample_grasps(cube, FRANKA_GRIPPER, settings=QUICK)) == 0
    assert len(sample_grasps(cube, XARM_GRIPPER, settings=QUICK)) == 0
    wide = generic_gripper("wide", 0.14, 0.01)
    assert len(sample_grasps(cube, wide, settings=QUICK)) > 0


def test_cylinder_gets_top_and_side_grasps_through_its_axis() -> None:
    """A 6 cm x 20 cm cylinder: side grasps exist, and every closing line passes near its
    axis (antipodal contacts on a round body), at its diameter."""
    cylinder = [trimesh.creation.cylinder(0.03, 0.2, sections=32).vertices]
    grasps = sample_grasps(cylinder, FRANKA_GRIPPER, settings=QUICK)
    assert grasps.counts()["side"] > 0
    round_body = np.abs(grasps.poses[:, 2, 1]) < 0.1  # horizontal closing
    origins = grasps.poses[round_body][:, :2, 3]
    assert np.all(np.linalg.norm(origins, axis=1) < 0.004)
    assert np.allclose(grasps.widths[round_body], 0.06, atol=0.002)


def test_mug_is_held_by_rim_and_handle_and_never_through_the_wall() -> None:
    """A mug: pinches of its 6 mm wall (one finger in the cavity) and of its handle bar; the
    fingers never end inside the solid."""
    mug = _mug()
    grasps = sample_grasps(mug, FRANKA_GRIPPER, settings=SamplerSettings(surface_points=400))
    assert np.any(np.isclose(grasps.widths, 0.006, atol=0.001) & (grasps.kinds == TOP))
    handle = grasps.poses[:, 0, 3] > 0.06
    assert handle.any() and np.allclose(grasps.widths[handle], 0.012, atol=0.001)
    hulls = build_hulls(mug)
    for k in range(len(grasps)):
        boxes = FRANKA_GRIPPER.boxes(float(grasps.openings[k]))
        centres = (boxes[:, 0] + boxes[:, 1]) / 2 @ grasps.poses[k][:3, :3].T
        assert not contains(hulls, centres + grasps.poses[k][:3, 3]).any()


def test_centre_of_mass_and_friction_change_the_ranking() -> None:
    """A heavy end: the best grasp moves towards the centre of mass. A frustum whose sides
    lean 27 degrees: with friction 0.5 only its top and bottom make a pair (the sides' normals
    are 53 degrees apart), with 1.5 its sides do too."""
    bar = [_box((0.03, 0.2, 0.04))]
    assert abs(sample_grasps(bar, FRANKA_GRIPPER, settings=QUICK).poses[0][1, 3]) < 0.04
    near_end = sample_grasps(bar, FRANKA_GRIPPER, (0.0, 0.08, 0.0), QUICK)
    assert near_end.poses[0][1, 3] > 0.04
    angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)])
    frustum = [
        np.vstack(
            [np.c_[0.035 * ring, np.full(24, -0.015)], np.c_[0.02 * ring, np.full(24, 0.015)]]
        )
    ]
    slick = sample_grasps(frustum, FRANKA_GRIPPER, settings=QUICK)
    assert len(slick) > 0 and np.allclose(np.abs(slick.poses[:, 2, 1]), 1.0)
    grippy = SamplerSettings(surface_points=160, approaches=8, max_grasps=200, friction=1.5)
    assert np.any(
        np.abs(sample_grasps(frustum, FRANKA_GRIPPER, settings=grippy).poses[:, 2, 1]) < 0.9
    )


def test_same_seed_same_grasps_other_seed_other_samples() -> None:
    """Deterministic from the seed."""
    box = [_box((0.05, 0.06, 0.08))]
    first = sample_grasps(box, XARM_GRIPPER, settings=QUICK)
    again = sample_grasps(box, XARM_GRIPPER, settings=QUICK)
    assert np.array_equal(first.poses, again.poses) and np.array_equal(first.scores, again.scores)
    other = sample_grasps(box, XARM_GRIPPER, settings=SamplerSettings(seed=7, surface_points=160))
    assert not np.array_equal(first.poses, other.poses[: len(first)])


def test_scene_clear_drops_grasps_into_the_support_neighbours_or_out_of_reach() -> None:
    """On a table the side grasps low on a box go (the fingers would enter the table); a
    neighbour beside it removes the grasps whose fingers reach it; an IK check refusing
    everything leaves none."""
    grasps = sample_grasps([_box((0.04, 0.07, 0.10))], FRANKA_GRIPPER, settings=QUICK)
    pose = np.eye(4)
    pose[:3, 3] = (0.5, 0.0, 0.85)  # stands on a table top at 0.80
    none = np.zeros((0, 3))
    on_table = scene_clear(grasps, FRANKA_GRIPPER, pose, none, 0.80)
    assert 0 < len(on_table) <= len(grasps)
    world = pose @ on_table.poses
    for k in range(len(on_table)):
        corners = FRANKA_GRIPPER.boxes(float(on_table.openings[k])).reshape(-1, 3)
        assert np.all((corners @ world[k][:3, :3].T + world[k][:3, 3])[:, 2] >= 0.80)
    neighbour = np.random.default_rng(0).uniform((0.525, -0.05, 0.80), (0.54, 0.05, 0.90), (600, 3))
    crowded = scene_clear(grasps, FRANKA_GRIPPER, pose, neighbour, 0.80)
    assert 0 < len(crowded) < len(on_table)
    assert np.all(np.abs(crowded.poses[:, 0, 1]) < 0.5)  # no finger towards the neighbour
    assert len(scene_clear(grasps, FRANKA_GRIPPER, pose, none, 0.80, lambda p: False)) == 0


def test_ray_exits_follow_overlapping_hulls_and_miss_outside() -> None:
    """Two overlapping 4 cm cubes side by side: a ray from the left face runs 7 cm; from
    outside it runs nowhere."""
    hulls = build_hulls([_box((0.04, 0.04, 0.04)), _box((0.04, 0.04, 0.04), (0.03, 0, 0))])
    origins = np.array([[-0.02, 0.0, 0.0], [-0.1, 0.0, 0.0]])
    right = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    distances, normals = ray_exits(hulls, origins, right)
    assert distances[0] == pytest.approx(0.07) and np.allclose(normals[0], (1, 0, 0))
    assert np.isinf(distances[1])


def test_bad_gripper_or_settings_name_the_field() -> None:
    """A zero size or fingers shorter than their reach past the grasp point, and empty or
    frictionless settings, are refused with the field named."""
    with pytest.raises(ValueError, match="pad_half_width must be > 0"):
        replace(FRANKA_GRIPPER, pad_half_width=0.0)
    with pytest.raises(ValueError, match="finger_length must exceed tip_ahead"):
        replace(FRANKA_GRIPPER, finger_length=0.01)
    with pytest.raises(ValueError, match="friction must be > 0"):
        SamplerSettings(friction=0.0)
    with pytest.raises(ValueError, match="surface_points"):
        SamplerSettings(surface_points=0)
    assert sample_grasps([np.zeros((3, 3))], FRANKA_GRIPPER, settings=QUICK).counts() == {
        "top": 0,
        "angled": 0,
        "side": 0,
    }


def test_heavy_wide_container_loses_its_rim_pinches_light_one_keeps_them() -> None:
    """A 16 cm bowl-like cup pinched at its rim holds its weight 8 cm off the pads: at 0.55 kg
    (the bowls that slipped in simulation) no rim pinch is kept, at 0.1 kg they are; a light
    or unknown mass changes nothing for a can pinched through its axis."""
    cup = cup_hulls((0.16, 0.16, 0.08))
    light = sample_grasps(cup, FRANKA_GRIPPER, settings=replace(QUICK, mass_kg=0.1))
    heavy = sample_grasps(cup, FRANKA_GRIPPER, settings=replace(QUICK, mass_kg=0.55))
    rim = np.isclose(light.widths, 0.006, atol=0.002)
    assert rim.any()
    assert not np.isclose(heavy.widths, 0.006, atol=0.002).any()
    can = [trimesh.creation.cylinder(0.033, 0.12, sections=24).vertices]
    top = sample_grasps(can, FRANKA_GRIPPER, settings=replace(QUICK, mass_kg=0.4))
    assert top.counts()["top"] > 0
