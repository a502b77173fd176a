"""Inferred articulations against a mock scene's `ground_truth.json` (bench and tests).

Objects are matched by source id; parts in order (bottom row first, left to right, as both
the generator and the inference list them). Axes are compared in the object's front frame
(front = -Y, the viewer's right = +X, Z up), where the ground truth states them, so neither
the asset frame's yaw nor its scale matters.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tools.scene_manifest import Articulation, SceneManifest


@dataclass(frozen=True)
class JointComparison:
    """One designed part against the inferred one at the same place in the order.

    Attributes:
        source_id: the object's upstream id.
        part: the designed part's name.
        found: whether the inference made a part at this place.
        type_ok: same joint type.
        axis_error_deg: angle between the axes (180 when missing).
        hinge_ok: same hinge side (True for drawers).
        upper_error: |inferred - designed| upper limit (rad or m; inf when missing).
    """

    source_id: str
    part: str
    found: bool
    type_ok: bool
    axis_error_deg: float
    hinge_ok: bool
    upper_error: float

    @property
    def ok(self) -> bool:
        """Type, hinge side and an axis within 10 degrees."""
        return self.found and self.type_ok and self.hinge_ok and self.axis_error_deg <= 10.0


def front_frame_axis(articulation: Articulation, axis: tuple[float, float, float]) -> np.ndarray:
    """An asset-frame direction in the front frame (front = -Y, right = +X, up = +Z)."""
    normal = np.array(articulation.front)
    right = np.cross([0.0, 0.0, 1.0], normal)
    vector = np.array(axis)
    return np.array([vector @ right, -(vector @ normal), vector[2]])


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cosine = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def compare_scene(manifest: SceneManifest, truth: dict[str, Any]) -> list[JointComparison]:
    """Compare every designed joint of the truth with the manifest's articulations.

    Args:
        manifest: the manifest after simready.
        truth: the parsed ground_truth.json (written with articulation).

    Returns:
        One comparison per designed joint (objects dropped by the pipeline count as missing).
    """
    by_source = {o.provenance.source_id: o for o in manifest.objects}
    rows: list[JointComparison] = []
    for source_id, entry in sorted(truth["objects"].items()):
        designed = (entry.get("articulation") or {}).get("joints", [])
        obj = by_source.get(source_id)
        articulation = obj.articulation if obj is not None else None
        inferred = list(articulation.joints) if articulation is not None else []
        for k, joint in enumerate(designed):
            if articulation is None or k >= len(inferred):
                rows.append(
                    JointComparison(source_id, joint["part"], False, False, 180.0, False, math.inf)
                )
                continue
            mine = inferred[k]
            axis = front_frame_axis(articulation, mine.axis)
            rows.append(
                JointComparison(
                    source_id=source_id,
                    part=joint["part"],
                    found=True,
                    type_ok=mine.type == joint["type"],
                    axis_error_deg=_angle_deg(axis, np.array(joint["axis_object"])),
                    hinge_ok=mine.hinge_side == joint["hinge_side"],
                    upper_error=abs(mine.upper - float(joint["upper"])),
                )
            )
    return rows


def summary(rows: list[JointComparison]) -> dict[str, Any]:
    """Counts and worst errors over comparisons (JSON-ready)."""
    found = [r for r in rows if r.found]
    hinges = [r.upper_error for r in found if r.axis_error_deg <= 10 and r.part.startswith("door")]
    slides = [r.upper_error for r in found if r.part.startswith("drawer")]
    return {
        "designed": len(rows),
        "found": len(found),
        "ok": sum(r.ok for r in rows),
        "max_axis_error_deg": max((r.axis_error_deg for r in found), default=0.0),
        "max_hinge_limit_error_deg": math.degrees(max(hinges, default=0.0)),
        "max_slide_limit_error_m": max(slides, default=0.0),
        "rows": [asdict(r) for r in rows],
    }
