"""How far the objects other than the target moved in an attempt: what `scene_disturbed` names.

A failed attempt used to say only "scene_disturbed". Which object and how much tells a rolling
lemon (the scene was not at rest) from a knocked-over bottle (the motion hit it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tools.tasks.geometry import Pose


@dataclass(frozen=True)
class Disturbance:
    """One object's motion between the start and the end of an attempt.

    Attributes:
        object_id: the object.
        translation_m: distance between its start and end positions.
        rotation_deg: angle of the whole rotation between its start and end orientations.
        tilt_deg: angle between its start and end up axes (what the tilt rule judges).
        drop_m: how much lower it ended (what the drop rule judges).
    """

    object_id: str
    translation_m: float
    rotation_deg: float
    tilt_deg: float
    drop_m: float

    @classmethod
    def between(cls, object_id: str, start: Pose, end: Pose) -> Disturbance:
        """Measure an object's motion from its start pose to its end pose."""
        dot = abs(float(np.dot(start.quat_wxyz, end.quat_wxyz)))
        return cls(
            object_id,
            math.dist(start.position, end.position),
            math.degrees(2.0 * math.acos(min(1.0, dot))),
            math.degrees(end.tilt_from(start)),
            start.position[2] - end.position[2],
        )

    def as_dict(self) -> dict[str, str | float]:
        """JSON-ready figures (0.1 mm, 0.01 degree)."""
        return {
            "object_id": self.object_id,
            "translation_m": round(self.translation_m, 4),
            "rotation_deg": round(self.rotation_deg, 2),
            "tilt_deg": round(self.tilt_deg, 2),
            "drop_m": round(self.drop_m, 4),
        }


def disturbed_objects(
    target_id: str,
    start: Mapping[str, Pose],
    end: Mapping[str, Pose],
    max_tilt_rad: float,
    max_drop_m: float,
) -> tuple[Disturbance, ...]:
    """Objects other than the target that tilted or dropped beyond the limits, most turned first.

    Args:
        target_id: the picked object (it is meant to move).
        start: poses of the free objects after reset.
        end: their poses at the end (objects missing there are skipped).
        max_tilt_rad: an up axis turned more than this was knocked over.
        max_drop_m: an object ending lower than this fell off its support.

    Returns:
        The disturbed objects with their motion.
    """
    moves = [
        Disturbance.between(oid, start[oid], end[oid])
        for oid in start
        if oid != target_id and oid in end
    ]
    over = [d for d in moves if d.tilt_deg > math.degrees(max_tilt_rad) or d.drop_m > max_drop_m]
    return tuple(sorted(over, key=lambda d: (-d.rotation_deg, -d.translation_m, d.object_id)))
