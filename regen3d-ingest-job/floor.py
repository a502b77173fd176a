"""Floor-plane fit and the gravity alignment of 3D-RE-GEN's camera frame (Z-up, floor z = 0)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.errors import InputError

_MIN_POINTS = 3
_COLLINEAR_RATIO = 1e-3  # second / first singular value below this: no plane
_MAX_RELATIVE_RMS = 0.02  # plane residual / extent above this: not a plane
_MIN_INLIER_FRACTION = 0.5
_TRIM_ROUNDS = 3
_TRIM_SIGMAS = 3.0
_CAMERA_CLEARANCE = 1e-6  # camera distance to the plane / extent below this: on the plane

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class FloorFrame:
    """The rigid map from 3D-RE-GEN's scene frame to the aligned frame (still scene units).

    The aligned frame is Z-up with the floor at z = 0 and the camera on the Z axis; +Y is the
    camera's viewing direction projected on the floor and +X its right. Multiplying aligned
    coordinates by the metric scale gives the world frame in metres.

    Attributes:
        rotation: (3, 3) aligned_from_scene rotation.
        offset: (3,) translation, scene units.
        up_in_camera: the floor normal (world up) in the camera frame.
        camera_height: the camera's height above the floor, scene units.
        rms: the plane fit's RMS residual, scene units.
        inliers: how many plane samples the fit kept.
    """

    rotation: NDArray[np.float64]
    offset: Vector
    up_in_camera: Vector
    camera_height: float
    rms: float
    inliers: int

    def to_aligned(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map (N, 3) scene-frame points to the aligned frame."""
        result: NDArray[np.float64] = points @ self.rotation.T + self.offset
        return result

    @property
    def camera_tilt_deg(self) -> float:
        """Angle between the camera's up axis (+Y) and world up, degrees."""
        return float(np.degrees(np.arccos(np.clip(self.up_in_camera[1], -1.0, 1.0))))


def fit_floor(points: NDArray[np.float64], source: str) -> FloorFrame:
    """Fit the floor plane to 3D-RE-GEN's sampled plane and build the gravity alignment.

    The normal is oriented towards the camera (the camera is above the floor).

    Args:
        points: (N, 3) samples of the floor plane, scene frame.
        source: the file the points came from, named in errors.

    Returns:
        The alignment.

    Raises:
        InputError: too few or non-finite points, collinear or coincident points, points that
            do not lie on a plane, or a camera lying on the plane.
    """
    if points.ndim != 2 or points.shape[1] != 3 or len(points) < _MIN_POINTS:
        raise InputError(source, f"needs at least {_MIN_POINTS} 3D points, found {len(points)}")
    if not np.isfinite(points).all():
        raise InputError(source, "contains NaN or Inf coordinates")
    keep = np.ones(len(points), dtype=bool)
    centroid, normal, singular = _plane(points)
    extent = float(singular[0]) / np.sqrt(len(points))
    if extent <= 0.0 or not np.isfinite(extent):
        raise InputError(source, "degenerate floor plane: all points coincide")
    if singular[1] < _COLLINEAR_RATIO * singular[0]:
        raise InputError(source, "degenerate floor plane: the points are collinear")
    for _ in range(_TRIM_ROUNDS):
        distance = np.abs((points - centroid) @ normal)
        spread = 1.4826 * float(np.median(distance[keep]))
        new_keep = distance <= max(_TRIM_SIGMAS * spread, 1e-9 * extent)
        if new_keep.sum() < max(_MIN_POINTS, _MIN_INLIER_FRACTION * len(points)):
            break
        keep = new_keep
        centroid, normal, singular = _plane(points[keep])
    residual = (points[keep] - centroid) @ normal
    rms = float(np.sqrt(np.mean(residual**2)))
    if rms > _MAX_RELATIVE_RMS * extent or singular[1] < _COLLINEAR_RATIO * singular[0]:
        raise InputError(source, f"degenerate floor plane: points are not planar (rms {rms:.3g})")
    camera_side = float(-centroid @ normal)
    if abs(camera_side) <= _CAMERA_CLEARANCE * extent:
        raise InputError(source, "degenerate floor plane: it passes through the camera")
    if camera_side < 0:
        normal = -normal
    return _alignment(normal, centroid, rms, int(keep.sum()))


def _plane(points: NDArray[np.float64]) -> tuple[Vector, Vector, Vector]:
    centroid = points.mean(axis=0)
    _, singular, vt = np.linalg.svd(points - centroid, full_matrices=False)
    return centroid, vt[2] / np.linalg.norm(vt[2]), singular


def _alignment(up: Vector, on_plane: Vector, rms: float, inliers: int) -> FloorFrame:
    forward = _project(np.array([0.0, 0.0, -1.0]), up)
    if forward is None:  # camera looking straight down: fall back on its up axis
        forward = _project(np.array([0.0, 1.0, 0.0]), up)
    assert forward is not None
    right = np.cross(forward, up)
    rotation = np.stack([right, forward, up])
    height = float(-on_plane @ up)
    offset = np.array([0.0, 0.0, height])
    return FloorFrame(rotation, offset, up.copy(), height, rms, inliers)


def _project(direction: Vector, normal: Vector) -> Vector | None:
    flat = direction - (direction @ normal) * normal
    norm = float(np.linalg.norm(flat))
    return None if norm < 1e-6 else flat / norm
