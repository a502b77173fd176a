"""Rotations as [w, x, y, z] quaternions, 3x3 matrices and USD rotateXYZ angles.

The one place the pipeline converts between rotation forms (column vectors, Z-up world).
The formulas are written out rather than taken from scipy's `Rotation` so that outputs
(manifest quaternions, export files) stay bit-identical to what earlier runs wrote.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Quat = tuple[float, float, float, float]
Matrix = NDArray[np.float64]


def quat_multiply(a: Sequence[float], b: Sequence[float]) -> Quat:
    """Hamilton product a * b (apply b, then a).

    Args:
        a: [w, x, y, z].
        b: [w, x, y, z].

    Returns:
        The normalized product.
    """
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    product = np.array(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ]
    )
    product /= np.linalg.norm(product)
    if product[0] < 0:  # one canonical sign: the same rotation serializes the same way
        product = -product
    return (float(product[0]), float(product[1]), float(product[2]), float(product[3]))


def quat_from_axis_angle(axis: Sequence[float], angle: float) -> Quat:
    """Rotation about an axis.

    Args:
        axis: rotation axis (normalized here).
        angle: radians.

    Returns:
        The quaternion [w, x, y, z].
    """
    vector = np.asarray(axis, dtype=np.float64)
    vector = vector / np.linalg.norm(vector)
    half = angle / 2.0
    s = math.sin(half)
    return (math.cos(half), float(vector[0] * s), float(vector[1] * s), float(vector[2] * s))


def yaw_quat(yaw: float) -> Quat:
    """Rotation about world z.

    Args:
        yaw: radians.

    Returns:
        The quaternion [w, x, y, z].
    """
    return (math.cos(yaw / 2.0), 0.0, 0.0, math.sin(yaw / 2.0))


def quat_to_matrix(q: Sequence[float]) -> Matrix:
    """Rotation matrix of a unit quaternion.

    Args:
        q: [w, x, y, z].

    Returns:
        The 3x3 matrix acting on column vectors.
    """
    w, x, y, z = (float(v) for v in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def matrix_to_quat(rotation: Matrix) -> Quat:
    """Unit quaternion [w, x, y, z] of a rotation matrix (Shepperd's method, w >= 0).

    Args:
        rotation: (3, 3) proper rotation.

    Returns:
        The quaternion, normalised.
    """
    m = np.asarray(rotation, dtype=np.float64)
    trace = float(m[0, 0] + m[1, 1] + m[2, 2])
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = np.array([0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, 0.0])
        q[3] = (m[1, 0] - m[0, 1]) / s
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(max(1.0 + m[i, i] - m[j, j] - m[k, k], 1e-300))
        q = np.zeros(4)
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    if q[0] < 0:
        q = -q
    q /= np.linalg.norm(q)
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))


def yaw_matrix(yaw: float) -> Matrix:
    """(3, 3) rotation about +Z by `yaw` radians."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _axis_matrix(axis: int, degrees: float) -> Matrix:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    matrix = np.eye(3)
    matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
    return matrix


def matrix_from_rotate_xyz(angles_deg: Sequence[float]) -> Matrix:
    """Rotation of a USD `xformOp:rotateXYZ` (about X, then Y, then Z, fixed axes).

    Args:
        angles_deg: X, Y, Z angles in degrees.

    Returns:
        Rz @ Ry @ Rx.
    """
    x, y, z = angles_deg
    return _axis_matrix(2, z) @ _axis_matrix(1, y) @ _axis_matrix(0, x)


def rotate_xyz_from_quat(q: Sequence[float]) -> tuple[float, float, float]:
    """USD rotateXYZ angles of a quaternion (inverse of `matrix_from_rotate_xyz`).

    Args:
        q: [w, x, y, z].

    Returns:
        X, Y, Z angles in degrees.
    """
    m = quat_to_matrix(q)
    y = math.degrees(math.asin(max(-1.0, min(1.0, -m[2, 0]))))
    x = math.degrees(math.atan2(m[2, 1], m[2, 2]))
    z = math.degrees(math.atan2(m[1, 0], m[0, 0]))
    return (x, y, z)


def random_small_rotation(rng: np.random.Generator, max_angle_rad: float) -> Quat:
    """A rotation about a uniformly random axis by an angle uniform in [0, max_angle_rad].

    Args:
        rng: the generator.
        max_angle_rad: largest angle.

    Returns:
        The rotation.
    """
    axis = rng.normal(size=3)
    if not np.any(axis):
        axis = np.array([0.0, 0.0, 1.0])
    angle = float(rng.uniform(0.0, max_angle_rad))
    return quat_from_axis_angle([float(v) for v in axis], angle)
