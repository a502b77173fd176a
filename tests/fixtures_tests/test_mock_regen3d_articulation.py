"""The mock's designed doors and drawers: recorded in ground_truth.json, never in the meshes."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.mock_regen3d import generate_mock_scene


def _tree(scene: Path) -> dict[str, bytes]:
    return {
        p.relative_to(scene).as_posix(): p.read_bytes()
        for p in sorted((scene / "regen3d").rglob("*"))
        if p.is_file()
    }


def test_truth_lists_each_furniture_joint_and_meshes_stay_static(tmp_path: Path) -> None:
    """Fridge: two left-hinged doors; counters: a drawer per handle; regen3d/ unchanged."""
    plain = generate_mock_scene("plain", tmp_path, "kitchen", seed=0)
    scene = generate_mock_scene("art", tmp_path, "kitchen", seed=0, articulated=True)
    assert _tree(plain) == _tree(scene)
    objects = json.loads((scene / "ground_truth.json").read_text())["objects"]
    assert all(
        "articulation" not in o
        for o in json.loads((plain / "ground_truth.json").read_text())["objects"].values()
    )
    by_label: dict[str, list[dict]] = {}
    for entry in objects.values():
        if entry["articulation"] is not None:
            by_label.setdefault(entry["label"], []).append(entry["articulation"])
    (fridge,) = by_label["refrigerator"]
    assert fridge["front_object"] == [0.0, -1.0, 0.0]
    assert [(j["part"], j["hinge_side"], j["axis_object"]) for j in fridge["joints"]] == [
        ("door_0", "left", [0.0, 0.0, -1.0]),
        ("door_1", "left", [0.0, 0.0, -1.0]),
    ]
    for counter in by_label["counter"]:
        assert {j["type"] for j in counter["joints"]} == {"prismatic"}
        assert all(0.4 < j["upper"] < 0.6 for j in counter["joints"])
    assert all(
        o["articulation"] is None for o in objects.values() if o["sim_role_hint"] == "manipulable"
    )
