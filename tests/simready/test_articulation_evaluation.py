"""Comparing inferred articulations with a mock's ground truth, in the object's front frame."""

from __future__ import annotations

import math
from typing import Any

import pytest

from simready_job.articulation_evaluation import compare_scene, summary
from tests.tools_core.test_articulation_contract import articulation_dict
from tools.scene_manifest import parse_manifest
from tools.testing import sample_manifest_dict


def _manifest(front: list[float], axis: list[float]) -> Any:
    data = sample_manifest_dict()
    articulation = articulation_dict()
    articulation["front"] = front
    articulation["joints"][0]["axis"] = axis
    data["objects"][0]["articulation"] = articulation
    return parse_manifest(data)


def _truth(hinge: str, axis: list[float], upper: float) -> dict[str, Any]:
    joint = {"part": "door_0", "type": "revolute", "axis_object": axis, "hinge_side": hinge}
    joint["upper"] = upper
    return {"objects": {"table__(10, 20)": {"articulation": {"joints": [joint]}}, "x": {}}}


def test_axes_compare_in_the_front_frame() -> None:
    """An asset frame facing +X with axis -Z is the designed left hinge (axis -Z, front -Y)."""
    manifest = _manifest([1.0, 0.0, 0.0], [0.0, 0.0, -1.0])
    (row,) = compare_scene(manifest, _truth("left", [0.0, 0.0, -1.0], math.radians(120)))
    assert row.ok and row.axis_error_deg == 0.0
    assert math.degrees(row.upper_error) == pytest.approx(10.0)


def test_wrong_hinge_and_missing_objects_fail() -> None:
    """A right-hinged design is not matched by a left hinge; a lost object is 'not found'."""
    manifest = _manifest([0.0, -1.0, 0.0], [0.0, 0.0, -1.0])
    (row,) = compare_scene(manifest, _truth("right", [0.0, 0.0, 1.0], 1.9))
    assert not row.ok and row.axis_error_deg == 180.0
    truth = _truth("left", [0.0, 0.0, -1.0], 1.9)
    truth["objects"]["gone__(1, 1)"] = truth["objects"].pop("table__(10, 20)")
    result = summary(compare_scene(manifest, truth))
    assert result["found"] == 0 and result["ok"] == 0 and result["designed"] == 1
