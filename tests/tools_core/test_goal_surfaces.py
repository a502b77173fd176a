"""Goal surfaces on furniture other than the work surface: tops and shelf boards measured on
the colliders, their free squares, and the tasks onto them (`tools.tasks.surfaces`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools.errors import ManifestError
from tools.scene_layout import SCENE_TASKS_PATH
from tools.scene_manifest import SceneManifest
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.feasibility import feasible_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.receptacles import is_stack_base
from tools.tasks.rest_scene import hull_boxes
from tools.tasks.scene_tasks import parse_scene_tasks, save_scene_tasks
from tools.tasks.skills import PLACE_AT_HEIGHT, PLACE_ON
from tools.tasks.supports import resting_supports
from tools.tasks.surfaces import box_surfaces, hull_surfaces, top_faces
from tools.tasks.task_specifier import ArmLimits, free_squares
from tools.testing import sample_manifest_dict

TABLE_TOP = 0.75
BASE = Pose((0.0, 0.0, TABLE_TOP))  # heading +x; the table ahead, the shelf to its left
LIMITS = ArmLimits(0.08, (0.25, 0.80), (0.35, 0.65))
BOARDS = (0.30, 0.95, 1.40)  # the shelf's boards (tops); its posts rise to 1.40


def _slab(lo: tuple[float, float, float], hi: tuple[float, float, float]) -> np.ndarray:
    return np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )


def _object(oid: str, category: str, role: str, label: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = sample_manifest_dict()["objects"][1]
    obj.update(id=oid, category=category, sim_role=role, relationships=[])
    obj["semantics"] = {"label": label or category, "class_name": category}
    obj["asset"] = {**obj["asset"], "mesh_path": f"assets/{oid}/mesh.glb"}
    return obj


def _scene() -> tuple[SceneManifest, dict[str, list[np.ndarray]]]:
    """A table ahead of the robot with a block and a tall bottle on it, a three-board shelf
    to its left (a divider rising through its middle board), a chair, and a small box."""
    data = sample_manifest_dict()
    data["objects"] = [
        _object("table_1", "table", "static"),
        _object("shelf_1", "bookshelf", "static"),
        _object("chair_1", "chair", "static"),
        _object("block_1", "block", "manipulable", "toy block"),
        _object("bottle_1", "bottle", "manipulable"),
    ]
    data["robot"]["work_surface"] = "table_1"
    manifest = SceneManifest.model_validate(data)
    t = TABLE_TOP
    posts = [
        _slab((x, y, 0.0), (x + 0.03, y + 0.03, 1.40)) for x in (0.0, 0.57) for y in (0.35, 0.57)
    ]
    boards = [_slab((0.0, 0.35, z - 0.02), (0.60, 0.60, z)) for z in BOARDS]
    hulls = {
        "table_1": [
            _slab((0.3, -0.5, t - 0.04), (1.0, 0.3, t)),
            _slab((0.3, -0.5, 0), (0.34, -0.46, t)),
        ],
        "shelf_1": [*posts, *boards, _slab((0.28, 0.35, 0.95), (0.32, 0.60, 1.38))],
        "chair_1": [_slab((-1.0, -1.0, 0.0), (-0.6, -0.6, 0.45))],
        "block_1": [_slab((0.45, -0.05, t), (0.50, 0.0, t + 0.05))],
        "bottle_1": [_slab((0.45, -0.30, t), (0.52, -0.23, t + 0.30))],
    }
    return manifest, hulls


def test_tops_and_boards_come_from_the_colliders_with_headroom_and_posts() -> None:
    """Each board's top is a surface (the highest named after the furniture, the others
    `-shelf<k>` from the floor), its headroom up to the next board; what rises through a
    board (posts, a divider) is its obstacle; a chair offers none; faces at one level that
    touch are one.
    """
    manifest, hulls = _scene()
    surfaces = {s.surface_id: s for s in hull_surfaces(manifest, hulls)}
    assert set(surfaces) == {"table_1", "shelf_1", "shelf_1-shelf1", "shelf_1-shelf2"}
    assert surfaces["shelf_1-shelf2"].level == pytest.approx(0.95)
    assert surfaces["shelf_1-shelf2"].headroom == pytest.approx(0.43)
    assert surfaces["shelf_1-shelf2"].shelf == 2 and surfaces["shelf_1"].shelf is None
    assert surfaces["shelf_1"].headroom is None and surfaces["table_1"].level == TABLE_TOP
    assert len(surfaces["shelf_1-shelf2"].obstacles) == 5  # its 4 corner posts, the divider
    deck = [_slab((0, 0, 0), (0.5, 0.1, 0.14)), _slab((0, 0.11, 0), (0.5, 0.3, 0.14))]
    (face,) = top_faces("pallet", deck, 0.0)
    assert face.half_extents[:2] == pytest.approx((0.25, 0.15))
    low = {**hulls, "shelf_1": [*hulls["shelf_1"], _slab((0, 0.35, 0.36), (0.6, 0.6, 0.38))]}
    assert "shelf_1-shelf1" not in {s.surface_id for s in hull_surfaces(manifest, low)}
    boxes = hull_boxes(manifest, hulls)
    assert {s.surface_id for s in box_surfaces(manifest, boxes)} == {"table_1", "shelf_1"}


def test_tasks_onto_a_board_at_another_height_name_the_shelf_and_need_headroom() -> None:
    """The block on the table goes up onto the shelf's middle board (place_at_height, the
    instruction names the shelf) and onto the table's sides (place_on); the 30 cm bottle
    does not fit under the board above (no_headroom); an object on the board above does
    not bar its squares."""
    manifest, hulls = _scene()
    boxes = hull_boxes(manifest, hulls)
    contract = build_scene_tasks(
        manifest,
        boxes,
        resting_supports(manifest, boxes),
        surfaces=hull_surfaces(manifest, hulls),
        generator="t",
    )
    free = ["block_1", "bottle_1"]
    dropped: dict[str, str] = {}
    tasks = feasible_tasks(
        contract, manifest, BASE, free_objects=free, limits=LIMITS, max_tasks=64, dropped=dropped
    )
    by_id = {t.task_id: t for t in tasks}
    up = by_id["block_1-to-shelf_1-shelf2-left"]
    assert up.skill == PLACE_AT_HEIGHT and up.goal_id == "shelf_1"
    assert up.height_change == pytest.approx(0.95 - TABLE_TOP)
    assert up.region is not None and up.region.surface_z == pytest.approx(0.95)
    assert (
        up.instruction
        == "move the toy block up onto the left side of the second shelf of the bookshelf"
    )
    assert by_id["block_1-to-table_1-right"].skill == PLACE_ON
    assert dropped["bottle_1-to-shelf_1-shelf2"] == "no_headroom"
    assert dropped["block_1-to-shelf_1-shelf1"] == "goal_out_of_reach"  # 45 cm below
    surface = contract.goal_surfaces()["shelf_1-shelf2"]
    above = ObjectBox("box_9", (0.3, 0.47, 1.45), (0.3, 0.12, 0.05), 0.0)
    assert free_squares(surface, {**boxes, "box_9": above}, BASE, LIMITS.goal_band)
    on_board = ObjectBox("box_9", (0.15, 0.47, 1.0), (0.3, 0.12, 0.05), 0.0)
    assert not free_squares(surface, {**boxes, "box_9": on_board}, BASE, LIMITS.goal_band)


def test_a_surface_candidate_must_name_a_surface_of_its_goal(tmp_path: Path) -> None:
    """The contract refuses a surface candidate whose surface is unknown or another object's,
    naming the field."""
    manifest, hulls = _scene()
    boxes = hull_boxes(manifest, hulls)
    contract = build_scene_tasks(
        manifest,
        boxes,
        resting_supports(manifest, boxes),
        surfaces=hull_surfaces(manifest, hulls),
        generator="t",
    )
    save_scene_tasks(tmp_path, contract)
    data = json.loads((tmp_path / SCENE_TASKS_PATH).read_text())
    index = next(i for i, c in enumerate(data["candidates"]) if c["goal"] == "surface")
    data["candidates"][index]["surface_id"] = "chair_1"
    with pytest.raises(ManifestError, match=rf"candidates\.{index}\.surface_id: chair_1 is not"):
        parse_scene_tasks(data)


def test_a_target_on_a_board_stays_on_its_board_within_the_unit() -> None:
    """A box on the shelf's middle board may go to another free square of that board or onto
    the table, not to the unit's other boards (the carry would cross the boards between)."""
    manifest, hulls = _scene()
    data = manifest.model_dump(mode="json")
    box = _object("box_1", "box", "manipulable", "small box")
    box["relationships"] = [{"type": "on_top_of", "target": "shelf_1"}]
    data["objects"].append(box)
    manifest = SceneManifest.model_validate(data)
    hulls["box_1"] = [_slab((0.10, 0.42, 0.95), (0.16, 0.48, 1.00))]
    boxes = hull_boxes(manifest, hulls)
    contract = build_scene_tasks(
        manifest,
        boxes,
        resting_supports(manifest, boxes),
        surfaces=hull_surfaces(manifest, hulls),
        generator="t",
    )
    goals = {c.surface_id for c in contract.candidates if c.target_id == "box_1"}
    assert goals == {"shelf_1-shelf2", "table_1"}


def test_a_tall_box_measured_closed_is_a_stack_base_an_unmeasured_crate_is_not() -> None:
    """A 30 cm cereal box 13 cm deep, closed on top, takes a stacked object; as deep as a
    third of its height it would topple (not a base); a 28 cm crate is not measured closed
    (an open one would swallow the target): 15 cm at most, as before."""
    data = sample_manifest_dict()
    data["objects"] += [
        _object("cereal_1", "box", "manipulable", "cereal box"),
        _object("crate_1", "crate", "manipulable", "plastic crate"),
    ]
    manifest = SceneManifest.model_validate(data)
    cereal = ObjectBox("cereal_1", (0, 0, 0.9), (0.10, 0.064, 0.15), 0.0)
    thin = ObjectBox("cereal_1", (0, 0, 0.9), (0.10, 0.05, 0.15), 0.0)
    crate = ObjectBox("crate_1", (0, 0, 0.9), (0.22, 0.16, 0.14), 0.0)
    box, crate_obj = manifest.object("cereal_1"), manifest.object("crate_1")
    assert is_stack_base(box, cereal, closed={"cereal_1"})
    assert not is_stack_base(box, thin, closed={"cereal_1"})
    assert not is_stack_base(box, cereal)  # not measured closed: a container, not a base
    assert not is_stack_base(crate_obj, crate, closed={"cereal_1"})


def test_an_articulated_counters_worktop_hides_the_top_of_its_carcass():
    """The work surface is a counter with drawers (articulated); its worktop hull hangs 3 cm
    over its carcass's top, which is no shelf (kitchen 221 offered it, and every set-down
    there landed on the worktop)."""
    data = sample_manifest_dict()
    data["objects"] = [_object("counter_1", "counter", "articulated")]
    data["robot"]["work_surface"] = "counter_1"
    try:
        manifest = SceneManifest.model_validate(data)
    except ManifestError:  # the contract may want parts for an articulated object
        pytest.skip("an articulated object needs its parts in this contract version")
    hulls = {
        "counter_1": [
            _slab((0.0, 0.0, 0.0), (1.2, 0.6, 0.83)),  # the carcass
            _slab((0.0, -0.02, 0.86), (1.2, 0.62, 0.90)),  # the worktop over it
        ]
    }
    surfaces = hull_surfaces(manifest, hulls)
    assert [round(s.level, 2) for s in surfaces] == [0.9]


def _articulated_counter(drawer_top: float) -> dict[str, Any]:
    obj = _object("counter_2", "counter", "articulated")
    obj["transform"] = {"position": [2.0, 0.0, 0.0], "rotation_wxyz": [1, 0, 0, 0]}
    obj["articulation"] = {
        "front": [0.0, -1.0, 0.0],
        "source": "handles",
        "parts": [
            {"name": "body", "kind": "body", "mesh_path": "assets/counter_2/parts/body.glb",
             "collision_paths": ["assets/counter_2/parts/body_collision_0.obj"],
             "mass_kg": 90.0, "bounds_min": [-0.6, -0.3, 0.0], "bounds_max": [0.6, 0.3, 0.9]},
            {"name": "drawer_0", "kind": "drawer", "mesh_path": "assets/counter_2/parts/d.glb",
             "collision_paths": ["assets/counter_2/parts/d_collision_0.obj"],
             "mass_kg": 1.5, "bounds_min": [-0.5, -0.3, 0.6], "bounds_max": [0.0, -0.1, drawer_top],
             "handle": [-0.25, -0.31, 0.7]},
        ],
        "joints": [
            {"name": "drawer_0_slide", "type": "prismatic", "parent_part": "body",
             "child_part": "drawer_0", "axis": [0.0, -1.0, 0.0], "origin": [-0.25, -0.3, 0.7],
             "lower": 0.0, "upper": 0.4, "damping": 5.0, "friction": 2.0},
        ],
    }  # fmt: skip
    return obj


@pytest.mark.parametrize("drawer_top, levels", [(0.85, [0.9]), (0.897, [0.9]), (0.9, [])])
def test_a_counter_with_drawers_offers_its_worktop_not_what_its_drawers_hold(
    drawer_top: float, levels: list[float]
) -> None:
    """A counter with drawers that is not the work surface offers the top over its doors and
    drawers (fresh kitchens offered no goal on any of theirs), never a drawer's floor, and
    nothing when a door or drawer reaches its top."""
    data = sample_manifest_dict()
    data["objects"] = [_object("table_1", "table", "static"), _articulated_counter(drawer_top)]
    data["robot"]["work_surface"] = "table_1"
    try:
        manifest = SceneManifest.model_validate(data)
    except ManifestError as err:
        pytest.fail(f"test counter rejected: {err}")
    hulls = {
        "table_1": [_slab((0.3, -0.5, 0.71), (1.0, 0.3, 0.75))],
        "counter_2": [
            _slab((1.4, -0.3, 0.0), (2.6, 0.3, 0.1)),  # carcass floor
            _slab((1.5, -0.3, 0.6), (2.0, -0.1, 0.62)),  # the drawer's floor
            _slab((1.4, -0.3, 0.86), (2.6, 0.3, 0.9)),  # the worktop
        ],
    }
    surfaces = hull_surfaces(manifest, hulls)
    own = [round(s.level, 2) for s in surfaces if s.object_id == "counter_2"]
    assert own == levels
