"""Horizontal clearance between a straight TCP path and an obstacle's oriented footprint.

The carry height of a pick and place is set by the obstacles its path passes near. Measuring
"near" from the obstacle's centre with its circumscribed circle makes a long, thin object (a
monitor, a shelf board) count from up to half its length beside it: the carry then rises over
it, which a short arm cannot reach. The distance here is exact for the footprint rectangle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tools.tasks.geometry import ObjectBox

_Vec = Sequence[float]


def _point_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    length2 = float(ab @ ab)
    t = 0.0 if length2 == 0 else float(np.clip((p - a) @ ab / length2, 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def _segments_cross(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    """Whether segments a-b and c-d properly intersect (touching counts as distance 0 anyway)."""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    return d1 * d2 < 0 and d3 * d4 < 0


def segment_box_distance_xy(start: _Vec, end: _Vec, box: ObjectBox) -> float:
    """Horizontal distance from the segment start-end to the box's footprint rectangle.

    Args:
        start: segment start (x, y, ...).
        end: segment end (x, y, ...).
        box: the obstacle.

    Returns:
        0 when the segment touches or crosses the footprint, else the shortest distance.
    """
    a, b = box.local_xy(start), box.local_xy(end)
    hx, hy = box.half_extents[0], box.half_extents[1]
    if (abs(a[0]) <= hx and abs(a[1]) <= hy) or (abs(b[0]) <= hx and abs(b[1]) <= hy):
        return 0.0
    corners = [np.array([sx * hx, sy * hy]) for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1))]
    edges = list(zip(corners, corners[1:] + corners[:1], strict=True))
    if any(_segments_cross(a, b, c, d) for c, d in edges):
        return 0.0
    to_rectangle = [
        float(np.hypot(max(abs(p[0]) - hx, 0.0), max(abs(p[1]) - hy, 0.0))) for p in (a, b)
    ]
    to_segment = [_point_segment(c, a, b) for c in corners]
    return min(to_rectangle + to_segment)
