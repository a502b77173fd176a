"""Unit contracts of the ingest's math: floor plane fit, Umeyama, poses and metric scale."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regen3d_ingest_job.floor import fit_floor
from regen3d_ingest_job.poses import (
    GLTF_TO_ZUP,
    pose_from_baked,
    pose_from_fit,
    umeyama,
    yaw_of,
)
from regen3d_ingest_job.scale import (
    Measurement,
    configured,
    from_priors,
    from_reference,
    load_priors,
)
from tools.errors import InputError
from tools.rotations import matrix_to_quat, yaw_matrix
from tools.scene_manifest import PoseSource

SOURCE = "regen3d/output/pointclouds/PLANE_SAMPLED.ply"


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def _plane_points(normal: np.ndarray, offset: float, n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    normal = normal / np.linalg.norm(normal)
    basis = np.linalg.svd(normal[None, :])[2][1:]
    uv = rng.uniform(-3, 3, size=(n, 2))
    return uv @ basis + offset * normal


def _camera_down(pitch_deg: float) -> np.ndarray:
    """World up expressed in a glTF camera frame pitched down by `pitch_deg`."""
    p = math.radians(pitch_deg)
    return np.array([0.0, math.cos(p), math.sin(p)])


def test_plane_fit_aligns_gravity_and_puts_floor_at_zero() -> None:
    """The fitted up axis is the plane normal towards the camera; floor maps to z = 0."""
    up = _camera_down(30.0)
    points = _plane_points(up, -2.5)
    frame = fit_floor(points, SOURCE)
    assert np.degrees(np.arccos(min(1.0, frame.up_in_camera @ up))) < 1e-6
    assert frame.camera_height == pytest.approx(2.5)
    assert np.abs(frame.to_aligned(points)[:, 2]).max() < 1e-9
    assert frame.to_aligned(np.zeros((1, 3)))[0] == pytest.approx([0.0, 0.0, 2.5])
    assert frame.camera_tilt_deg == pytest.approx(30.0)
    assert np.linalg.det(frame.rotation) == pytest.approx(1.0)


def test_plane_fit_orients_normal_towards_the_camera() -> None:
    """Whatever sign SVD returns, up points from the floor to the camera."""
    for sign in (1.0, -1.0):
        up = sign * _camera_down(20.0)
        frame = fit_floor(_plane_points(up, -1.7), SOURCE)
        assert frame.up_in_camera @ up == pytest.approx(1.0)
        assert frame.camera_height == pytest.approx(1.7)


def test_plane_fit_ignores_a_few_outliers() -> None:
    """Up to a few percent of stray samples do not tilt the plane."""
    up = _camera_down(25.0)
    points = _plane_points(up, -2.0, n=1000)
    points[:30] += np.random.default_rng(1).normal(scale=0.5, size=(30, 3))
    frame = fit_floor(points, SOURCE)
    assert np.degrees(np.arccos(min(1.0, frame.up_in_camera @ up))) < 0.05


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        (np.zeros((2, 3)), "at least 3"),
        (np.zeros((50, 3)), "coincide"),
        (np.outer(np.linspace(0, 1, 50), [1.0, -1.0, -2.0]), "collinear"),
        (np.random.default_rng(2).normal(size=(300, 3)) + np.array([0, 0, -5]), "not planar"),
        (_plane_points(np.array([0.0, 1.0, 0.2]), 0.0), "passes through the camera"),
    ],
)
def test_plane_fit_refuses_degenerate_planes(points: np.ndarray, problem: str) -> None:
    """A plane that cannot be fitted names the file and the problem."""
    with pytest.raises(InputError, match=problem) as info:
        fit_floor(points, SOURCE)
    assert info.value.source == SOURCE


def test_plane_fit_refuses_nan() -> None:
    """NaN samples are an input error, not a silent NaN pose."""
    points = _plane_points(_camera_down(20.0), -1.5)
    points[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        fit_floor(points, SOURCE)


def test_umeyama_recovers_a_similarity_exactly() -> None:
    """Scale, rotation and translation come back to machine precision."""
    rng = np.random.default_rng(3)
    source = rng.normal(size=(200, 3))
    rotation, scale, shift = _rotation(rng), 0.37, np.array([1.0, -2.0, 0.5])
    fit = umeyama(source, scale * source @ rotation.T + shift)
    assert fit.scale == pytest.approx(scale, rel=1e-12)
    assert np.allclose(fit.rotation, rotation, atol=1e-12)
    assert np.allclose(fit.translation, shift, atol=1e-12)
    assert fit.rms < 1e-12


def test_umeyama_never_returns_a_reflection() -> None:
    """A mirrored target still yields a proper rotation (det +1) with a residual."""
    rng = np.random.default_rng(4)
    source = rng.normal(size=(100, 3))
    fit = umeyama(source, source * np.array([-1.0, 1.0, 1.0]))
    assert np.linalg.det(fit.rotation) == pytest.approx(1.0)
    assert fit.rms > 0.1


def test_umeyama_rejects_degenerate_input() -> None:
    """Too few or coincident points raise ValueError (the caller falls back)."""
    with pytest.raises(ValueError):
        umeyama(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        umeyama(np.ones((10, 3)), np.zeros((10, 3)))


def _floor_frame(pitch_deg: float = 25.0, height: float = 3.0):
    return fit_floor(_plane_points(_camera_down(pitch_deg), -height), SOURCE)


def test_pose_from_fit_recovers_yaw_scale_and_bottom_centre() -> None:
    """A canonical box posed with a known yaw comes back as that yaw and bottom centre."""
    frame = _floor_frame()
    rng = np.random.default_rng(5)
    box = rng.uniform([-0.4, -0.2, 0.0], [0.4, 0.2, 0.9], size=(300, 3))
    box[:8] = [[x, y, z] for x in (-0.4, 0.4) for y in (-0.2, 0.2) for z in (0.0, 0.9)]
    yaw, bottom = 0.7, np.array([0.5, 4.0, 0.0])
    aligned = box @ yaw_matrix(yaw).T + bottom
    scene = (aligned - frame.offset) @ frame.rotation  # inverse of to_aligned
    gltf = box @ GLTF_TO_ZUP  # inverse map: Z-up to glTF Y-up
    gltf = (gltf - (gltf.min(0) + gltf.max(0)) / 2) * (2.0 / np.ptp(gltf, axis=0).max())
    pose = pose_from_fit(gltf, scene, frame)
    assert pose.source is PoseSource.SIMILARITY_FIT and pose.upright
    assert yaw_of(pose.rotation) == pytest.approx(yaw, abs=1e-9)
    assert np.allclose(pose.translation, bottom, atol=1e-9)
    assert np.allclose(pose.extents, [0.8, 0.4, 0.9], atol=1e-9)
    assert np.allclose(pose.world_vertices(), aligned, atol=1e-9)


def test_pose_from_fit_refuses_mismatched_vertices() -> None:
    """Different vertex counts or scrambled order are no correspondence."""
    frame = _floor_frame()
    rng = np.random.default_rng(6)
    points = rng.normal(size=(50, 3))
    with pytest.raises(ValueError, match="vertex counts differ"):
        pose_from_fit(points, points[:-1], frame)
    with pytest.raises(ValueError, match="residual"):
        pose_from_fit(points, rng.permutation(points), frame)


def test_pose_from_baked_uses_identity_and_bbox_bottom() -> None:
    """Without a normalised mesh the pose is identity at the aligned bbox bottom centre."""
    frame = _floor_frame()
    aligned = np.array([[0.0, 1.0, 0.0], [1.0, 3.0, 0.5]])
    pose = pose_from_baked((aligned - frame.offset) @ frame.rotation, frame, "why")
    assert pose.source is PoseSource.BAKED_GEOMETRY
    assert np.allclose(pose.rotation, np.eye(3))
    assert np.allclose(pose.translation, [0.5, 2.0, 0.0])


def test_quaternion_round_trips_rotations() -> None:
    """matrix_to_quat is unit length, w >= 0, and encodes the same rotation."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        rotation = _rotation(rng)
        w, x, y, z = matrix_to_quat(rotation)
        assert w >= 0 and math.isclose(w * w + x * x + y * y + z * z, 1.0, rel_tol=1e-12)
        back = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        assert np.allclose(back, rotation, atol=1e-12)


def _measure(category: str, height: float, length: float | None = None) -> Measurement:
    return Measurement(category, category, category, height, length)


def _typical(size_range: tuple[float, float] | None) -> float:
    assert size_range is not None
    return math.sqrt(size_range[0] * size_range[1])


def test_scale_from_priors_is_exact_for_typical_objects() -> None:
    """Objects exactly at their typical size give the scale used to shrink them."""
    priors = load_priors()
    truth = 0.4
    items = [
        _measure("counter", _typical(priors["counter"].height_m) / truth),
        _measure("mug", _typical(priors["mug"].height_m) / truth),
        _measure("can", _typical(priors["can"].height_m) / truth),
    ]
    estimate = from_priors(items, priors)
    assert estimate is not None and estimate.method == "priors"
    assert estimate.metric_scale == pytest.approx(truth, rel=1e-9)
    assert estimate.spread < 1e-9 and estimate.inliers == 3


def test_scale_from_priors_ignores_a_mislabelled_object() -> None:
    """One object three times too big does not move the estimate."""
    priors = load_priors()
    truth = 0.25
    items = [
        _measure(name, _typical(priors[name].height_m) / truth)
        for name in ("counter", "table", "desk", "mug", "can", "refrigerator")
    ]
    items.append(_measure("mug", 3 * _typical(priors["mug"].height_m) / truth))
    estimate = from_priors(items, priors)
    assert estimate is not None
    assert estimate.metric_scale == pytest.approx(truth, rel=1e-9)
    assert estimate.inliers == estimate.samples - 1


def test_scale_from_priors_narrows_to_what_every_object_allows() -> None:
    """Objects anywhere inside their ranges pin the scale to their common interval."""
    priors = load_priors()
    truth = 0.5
    rng = np.random.default_rng(8)
    names = ("counter", "table", "can", "refrigerator", "chair", "mug", "bottle") * 2
    items = [_measure(name, float(rng.uniform(*priors[name].height_m)) / truth) for name in names]
    estimate = from_priors(items, priors)
    assert estimate is not None and estimate.inliers == len(names)
    assert estimate.metric_scale == pytest.approx(truth, rel=estimate.stderr + 1e-9)
    assert 0 < estimate.stderr < 0.02


def test_scale_from_priors_without_known_categories_is_none() -> None:
    """No object with a prior: no estimate (the caller asks for an override)."""
    assert from_priors([_measure("spaceship", 1.0)], load_priors()) is None


def test_scale_from_reference_and_configured() -> None:
    """A reference height gives the median scale; a configured scale has no spread."""
    estimate = from_reference([_measure("table", 1.5), _measure("table", 1.52)], 0.75)
    assert estimate.metric_scale == pytest.approx(0.75 / math.sqrt(1.5 * 1.52), rel=1e-9)
    assert estimate.method == "reference" and estimate.spread > 0
    assert configured(0.3).metric_scale == 0.3 and configured(0.3).spread == 0.0


def test_every_prior_has_a_source_and_a_positive_size() -> None:
    """The priors table is well formed (sources are documented in docs/SIZE_PRIORS.md)."""
    for name, prior in load_priors().items():
        assert prior.source, name
        assert prior.height_m is not None or prior.length_m is not None, name
        for size_range in (prior.height_m, prior.length_m):
            assert size_range is None or 0 < size_range[0] <= size_range[1], name
