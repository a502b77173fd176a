"""The mock's designed doors and drawers: recorded in ground_truth.json, never in the meshes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fixtures.generate_mock_regen3d import main
from fixtures.mock_regen3d import generate_mock_scene
from fixtures.mock_regen3d.occupancy import Footprint, separated
from fixtures.mock_regen3d.recipes import FRONT_CLEARANCE_M


def _tree(scene: Path) -> dict[str, bytes]:
    return {
        p.relative_to(scene).as_posix(): p.read_bytes()
        for p in sorted((scene / "regen3d").rglob("*"))
        if p.is_file()
    }


def _designed(scene: Path) -> dict[str, list[dict[str, Any]]]:
    objects = json.loads((scene / "ground_truth.json").read_text())["objects"]
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in objects.values():
        if entry["articulation"] is not None:
            assert entry["articulation"]["front_object"] == [0.0, -1.0, 0.0]
            found.setdefault(entry["label"], []).append(entry["articulation"])
        elif entry["sim_role_hint"] == "manipulable":
            assert entry["articulation"] is None
    return found


def _joints(articulation: dict[str, Any]) -> list[tuple[str, str | None, list[float]]]:
    return [(j["part"], j["hinge_side"], j["axis_object"]) for j in articulation["joints"]]


def test_kitchen_fridge_counters_and_cupboard(tmp_path: Path) -> None:
    """Fridge: two left-hinged doors; counters: a drawer per handle; cupboard: one door."""
    designed = _designed(generate_mock_scene("k", tmp_path, "kitchen", seed=0, articulated=True))
    (fridge,) = designed["refrigerator"]
    down = [0.0, 0.0, -1.0]
    assert _joints(fridge) == [("door_0", "left", down), ("door_1", "left", down)]
    for counter in designed["counter"]:
        assert {j["type"] for j in counter["joints"]} == {"prismatic"}
        assert all(0.4 < j["upper"] < 0.6 for j in counter["joints"])
    assert [_joints(c) for c in designed["cupboard"]] == [[("door_0", "left", down)]]


def test_warehouse_tool_cabinet_and_unchanged_office_meshes(tmp_path: Path) -> None:
    """The warehouse gains a four-drawer tool cabinet; the office's meshes do not change."""
    designed = _designed(generate_mock_scene("w", tmp_path, "warehouse", seed=0, articulated=True))
    (tool,) = designed["tool cabinet"]
    assert [j["part"] for j in tool["joints"]] == [f"drawer_{k}" for k in range(4)]
    plain = generate_mock_scene("plain", tmp_path, "office", seed=0, articulated=False)
    office = generate_mock_scene("art", tmp_path, "office", seed=0, articulated=True)
    assert _tree(plain) == _tree(office)
    assert "filing cabinet" in _designed(office)


def test_appliances_kitchen_oven_dishwasher_microwave(tmp_path: Path) -> None:
    """With appliances: bottom-hinged oven and dishwasher flaps, a left-hinged microwave door."""
    scene = generate_mock_scene("a", tmp_path, "kitchen", seed=61, appliances=True)
    designed = _designed(scene)
    flap = [("door_0", "bottom", [1.0, 0.0, 0.0])]
    assert [_joints(a) for a in designed["oven"]] == [flap]
    assert [_joints(a) for a in designed["dishwasher"]] == [flap]
    assert [_joints(a) for a in designed["microwave"]] == [[("door_0", "left", [0.0, 0.0, -1.0])]]
    objects = json.loads((scene / "ground_truth.json").read_text())["objects"]
    (microwave,) = [o for o in objects.values() if o["label"] == "microwave"]
    assert objects[microwave["support"]]["label"] == "counter"


def test_appliances_office_desk_drawer_and_cupboard(tmp_path: Path) -> None:
    """With appliances: the office desk has a drawer, and a cupboard stands by a wall."""
    designed = _designed(generate_mock_scene("d", tmp_path, "office", seed=61, appliances=True))
    (desk,) = designed["office desk"]
    assert [(j["part"], j["type"]) for j in desk["joints"]] == [("drawer_0", "prismatic")]
    assert [_joints(c) for c in designed["cupboard"]] == [[("door_0", "left", [0.0, 0.0, -1.0])]]


def test_appliances_keep_the_floor_in_front_of_doors_and_drawers_clear(tmp_path: Path) -> None:
    """No floor object stands within 0.7 m in front of furniture that opens."""
    scene = generate_mock_scene("c", tmp_path, "office", seed=62, appliances=True)
    objects = json.loads((scene / "ground_truth.json").read_text())["objects"]
    floor = {k: o for k, o in objects.items() if o["support"] == "floor"}

    def footprint(o: dict[str, Any], ahead: float = 0.0) -> Footprint:
        dx, dy, _ = o["dimensions_m"]
        yaw = math.radians(o["yaw_deg"])
        offset = -(dy + ahead) / 2 if ahead else 0.0
        x = o["position_m"][0] - math.sin(yaw) * offset
        y = o["position_m"][1] + math.cos(yaw) * offset
        half = (dx / 2, (ahead or dy) / 2)
        return Footprint((x, y), half, yaw)

    opening = [k for k, o in floor.items() if o["articulation"] and o["label"] != "office desk"]
    assert len(opening) >= 3
    for key in opening:
        zone = footprint(floor[key], FRONT_CLEARANCE_M)
        for other, o in floor.items():
            assert other == key or separated(zone, footprint(o), 0.0), (key, other)


def test_cli_appliances_flag_matches_the_function(tmp_path: Path) -> None:
    """`--appliances` on the command line writes the same scene as appliances=True."""
    cli = ["--scene-id", "k", "--environment", "kitchen", "--seed", "63", "--appliances"]
    assert main([*cli, "--output-dir", str(tmp_path / "cli")]) == 0
    direct = generate_mock_scene("k", tmp_path / "fn", "kitchen", seed=63, appliances=True)
    assert _tree(tmp_path / "cli" / "k") == _tree(direct)
    assert "oven" in _designed(direct)
