"""Engine-neutral scene geometry: poses and upright oriented boxes measured in the simulator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.rotations import yaw_quat as yaw_quat  # re-exported: the episode job imports it here

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Pose:
    """A rigid pose in the Z-up world: position (m) and unit quaternion [w, x, y, z]."""

    position: tuple[float, float, float]
    quat_wxyz: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)

    @classmethod
    def of(cls, position: Sequence[float], quat_wxyz: Sequence[float]) -> Pose:
        """Build from any float sequences (normalizing the quaternion)."""
        q = np.asarray(quat_wxyz, dtype=float)
        q = q / np.linalg.norm(q)
        p = [float(v) for v in position]
        return cls((p[0], p[1], p[2]), (float(q[0]), float(q[1]), float(q[2]), float(q[3])))

    def as_array(self) -> FloatArray:
        """[x, y, z, qw, qx, qy, qz]."""
        return np.array([*self.position, *self.quat_wxyz], dtype=float)

    @property
    def yaw(self) -> float:
        """Heading of the body's x axis about world z, radians."""
        w, x, y, z = self.quat_wxyz
        return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))

    @property
    def up_axis(self) -> FloatArray:
        """The body's z axis in the world."""
        w, x, y, z = self.quat_wxyz
        return np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])

    def tilt_from(self, other: Pose) -> float:
        """Angle between this pose's and `other`'s z axes, radians."""
        cos = float(np.clip(self.up_axis @ other.up_axis, -1.0, 1.0))
        return math.acos(cos)


@dataclass(frozen=True)
class ObjectBox:
    """An object's bounding box, upright, in a frame turned by `yaw` about world z.

    Attributes:
        object_id: manifest id.
        centre: (x, y, z) of the box centre in the world.
        half_extents: half sizes along the box's own x, y and world z.
        yaw: heading of the box's x axis, radians.
    """

    object_id: str
    centre: tuple[float, float, float]
    half_extents: tuple[float, float, float]
    yaw: float

    @property
    def top(self) -> float:
        """Height of the top face."""
        return self.centre[2] + self.half_extents[2]

    @property
    def bottom(self) -> float:
        """Height of the bottom face."""
        return self.centre[2] - self.half_extents[2]

    @property
    def footprint_radius(self) -> float:
        """Radius of the circle around the footprint."""
        return math.hypot(self.half_extents[0], self.half_extents[1])

    def local_xy(self, point: Sequence[float]) -> FloatArray:
        """A world point's (x, y) in the box frame, relative to the centre."""
        dx, dy = point[0] - self.centre[0], point[1] - self.centre[1]
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        return np.array([c * dx + s * dy, -s * dx + c * dy])

    def contains_xy(self, point: Sequence[float], margin: float = 0.0) -> bool:
        """Whether a world point's (x, y) lies inside the footprint shrunk by `margin`."""
        local = np.abs(self.local_xy(point))
        return bool(
            local[0] <= self.half_extents[0] - margin and local[1] <= self.half_extents[1] - margin
        )

    def moved_to(self, pose: Pose, reference: Pose) -> ObjectBox:
        """This box carried along when its body moves from `reference` to `pose` (upright)."""
        shift = np.asarray(self.centre) - np.asarray(reference.position)
        turn = pose.yaw - reference.yaw
        c, s = math.cos(turn), math.sin(turn)
        rotated = np.array([c * shift[0] - s * shift[1], s * shift[0] + c * shift[1], shift[2]])
        centre = np.asarray(pose.position) + rotated
        return ObjectBox(
            self.object_id,
            (float(centre[0]), float(centre[1]), float(centre[2])),
            self.half_extents,
            self.yaw + turn,
        )


def distance_to_segment_xy(
    point: Sequence[float], start: Sequence[float], end: Sequence[float]
) -> float:
    """Horizontal distance from `point` to the segment start-end."""
    p, a, b = (np.asarray(v, dtype=float)[:2] for v in (point, start, end))
    ab = b - a
    length2 = float(ab @ ab)
    t = 0.0 if length2 == 0 else float(np.clip((p - a) @ ab / length2, 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def rectangles_overlap(
    centre_a: Sequence[float],
    half_a: Sequence[float],
    yaw_a: float,
    centre_b: Sequence[float],
    half_b: Sequence[float],
    yaw_b: float,
) -> bool:
    """Whether two oriented rectangles in the horizontal plane overlap (separating axes)."""
    axes = []
    for yaw in (yaw_a, yaw_b):
        c, s = math.cos(yaw), math.sin(yaw)
        axes.append(np.array([[c, s], [-s, c]]))
    delta = np.asarray(centre_b[:2], dtype=float) - np.asarray(centre_a[:2], dtype=float)
    for frame in axes:
        for axis in frame:
            reach_a = sum(abs(axis @ a) * h for a, h in zip(axes[0], half_a[:2], strict=True))
            reach_b = sum(abs(axis @ b) * h for b, h in zip(axes[1], half_b[:2], strict=True))
            if abs(axis @ delta) > reach_a + reach_b:
                return False
    return True
