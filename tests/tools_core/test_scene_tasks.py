"""Supports and candidate tasks decided once (`replicator/scene_tasks.json`), one robot filter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools.errors import InputError, ManifestError
from tools.scene_layout import SCENE_TASKS_PATH
from tools.scene_manifest import SceneManifest
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.feasibility import derive_tasks, feasible_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.rest_scene import box_of_points, closed_containers, hull_boxes, open_top_depth
from tools.tasks.scene_tasks import (
    SCHEMA_FILE,
    load_scene_tasks,
    parse_scene_tasks,
    render_schema,
    save_scene_tasks,
)
from tools.tasks.skills import grasp_refusal, grasp_skill
from tools.tasks.supports import resting_supports
from tools.tasks.task_specifier import ArmLimits
from tools.testing import sample_manifest_dict

TABLE_TOP = 0.75
BASE = Pose((-0.6, 0.0, TABLE_TOP))


def _object(oid: str, category: str, role: str, on: str | None = None) -> dict[str, Any]:
    obj = sample_manifest_dict()["objects"][1]
    obj.update(id=oid, category=category, sim_role=role, relationships=[])
    obj["semantics"] = {"label": category, "class_name": category}
    obj["transform"] = {"position": [0.0, 0.0, TABLE_TOP]}
    obj["asset"] = {**obj["asset"], "mesh_path": f"assets/{oid}/mesh.glb"}
    if on is not None:
        obj["relationships"] = [{"type": "on_top_of", "target": on}]
    return obj


def _scene() -> tuple[SceneManifest, dict[str, ObjectBox]]:
    """A table with a mug, a narrow block, a plate, a tissue box and a bowl on it."""
    data = sample_manifest_dict()
    data["objects"] += [
        _object("block_1", "block", "manipulable", on="table_1"),
        _object("plate_1", "plate", "manipulable", on="table_1"),
        _object("tissue_box_1", "box", "static", on="table_1"),
        _object("bowl_1", "bowl", "static", on="plate_1"),  # wrong: it stands on the table
    ]
    manifest = SceneManifest.model_validate(data)
    t = TABLE_TOP

    def box(oid: str, x: float, y: float, half: tuple[float, float, float]) -> ObjectBox:
        return ObjectBox(oid, (x, y, t + half[2]), half, 0.0)

    boxes = {
        "table_1": ObjectBox("table_1", (0.0, 0.0, t / 2), (0.6, 0.4, t / 2), 0.0),
        "mug_1": box("mug_1", 0.0, 0.1, (0.06, 0.045, 0.05)),
        "block_1": box("block_1", 0.0, -0.1, (0.025, 0.025, 0.025)),
        "plate_1": box("plate_1", 0.15, 0.0, (0.1, 0.1, 0.01)),
        "tissue_box_1": box("tissue_box_1", 0.4, 0.25, (0.12, 0.06, 0.025)),
        "bowl_1": box("bowl_1", 0.4, -0.25, (0.08, 0.08, 0.04)),
    }
    return manifest, boxes


def test_supports_keep_on_top_of_that_holds_and_measure_the_rest() -> None:
    """`on_top_of` is kept where it holds at rest (on the top, or on a board inside the box);
    a stale one gives way to the surface under the object; nothing under it: None."""
    manifest, boxes = _scene()
    supports = resting_supports(manifest, boxes)
    assert supports["mug_1"] == "table_1"
    assert supports["bowl_1"] == "table_1"  # the manifest said plate_1: not under it
    assert supports["table_1"] is None
    lifted = {**boxes, "block_1": ObjectBox("block_1", (0.0, -0.1, 1.2), (0.02,) * 3, 0.0)}
    assert resting_supports(manifest, lifted)["block_1"] is None
    inside = {**boxes, "block_1": ObjectBox("block_1", (0.0, -0.1, 0.32), (0.02,) * 3, 0.0)}
    assert resting_supports(manifest, inside)["block_1"] == "table_1"  # on a board inside it


def test_candidates_are_robot_independent_and_each_robot_filters_them() -> None:
    """The contract lists the wide mug's tasks; the Panda's 7.6 cm gripper drops them, a
    9 cm gripper keeps them; a far robot keeps nothing with reach, everything without."""
    manifest, boxes = _scene()
    contract = build_scene_tasks(
        manifest, boxes, resting_supports(manifest, boxes), closed={"tissue_box_1"}, generator="t"
    )
    targets = {c.target_id for c in contract.candidates}
    assert {"mug_1", "block_1"} <= targets
    assert "mug_1-to-plate_1" in {c.task_id for c in contract.candidates}
    relations = {c.goal_id: c.relation for c in contract.candidates if c.goal == "object"}
    assert relations["tissue_box_1"] == "on" and relations["bowl_1"] == "in"
    free = [o.id for o in manifest.objects]
    panda = feasible_tasks(contract, manifest, BASE, free_objects=free, max_tasks=64)
    assert {t.target_id for t in panda} == {"block_1"}
    wide = ArmLimits(0.09, (0.25, 0.75))
    wider = feasible_tasks(contract, manifest, BASE, free_objects=free, limits=wide, max_tasks=64)
    assert "mug_1-to-plate_1" in {t.task_id for t in wider}
    far = Pose((-3.0, 0.0, TABLE_TOP))
    assert feasible_tasks(contract, manifest, far, free_objects=free) == []
    anywhere = ArmLimits(0.09, None)
    assert feasible_tasks(contract, manifest, far, free_objects=free, limits=anywhere)


def test_dropped_candidates_name_their_reason() -> None:
    """Each candidate the filter drops is named with why: too wide for the gripper, not a
    free body, out of reach, a goal out of reach, too tall or too flat to pinch."""
    manifest, boxes = _scene()
    contract = build_scene_tasks(
        manifest, boxes, resting_supports(manifest, boxes), closed={"tissue_box_1"}, generator="t"
    )
    free = [o.id for o in manifest.objects if o.id != "plate_1"]
    dropped: dict[str, str] = {}
    kept = feasible_tasks(contract, manifest, BASE, free_objects=free, dropped=dropped)
    assert kept and not {t.task_id for t in kept} & set(dropped)
    assert dropped["mug_1-to-plate_1"] == "too_wide"  # 9 cm across, the Panda pinches 7.6
    assert dropped["plate_1-to-table_1"] == "not_free"
    near = ArmLimits(0.09, (0.25, 0.65))  # block at 0.6 m, the bowl at 1.03 m: out of reach
    dropped.clear()
    feasible_tasks(contract, manifest, BASE, free_objects=free, limits=near, dropped=dropped)
    assert dropped["block_1-to-bowl_1"] == "goal_out_of_reach"
    far = Pose((-3.0, 0.0, TABLE_TOP))
    dropped.clear()
    assert not feasible_tasks(contract, manifest, far, free_objects=free, dropped=dropped)
    assert set(dropped.values()) == {"target_out_of_reach", "not_free"}
    tall = ObjectBox("bottle", (0.0, 0.0, 1.0), (0.035, 0.035, 0.24), 0.0)  # over 40 cm
    jug = ObjectBox("jug", (0.0, 0.0, 1.0), (0.06, 0.06, 0.14), 0.0)
    flat = ObjectBox("coin", (0.0, 0.0, 1.0), (0.01, 0.01, 0.005), 0.0)
    assert grasp_skill(tall, "bottle", 0.076) is None
    assert grasp_refusal(tall, "bottle", 0.076) == "too_tall"
    assert grasp_refusal(jug, "bottle", 0.076) == "too_wide"
    assert grasp_refusal(flat, "coin", 0.076) == "too_short"


def test_surface_candidates_become_left_and_right_squares_and_the_cap_interleaves() -> None:
    """A work-surface candidate turns into a task per free side; capped tasks cover
    different targets first; `derive_tasks` is the same filter on measured boxes."""
    manifest, boxes = _scene()
    free = [o.id for o in manifest.objects]
    wide = ArmLimits(0.09, (0.25, 0.75))
    tasks = derive_tasks(manifest, boxes, BASE, free_objects=free, limits=wide, max_tasks=64)
    sides = {t.side for t in tasks if t.region is not None}
    assert sides == {"left", "right"}
    left = next(t for t in tasks if t.side == "left")
    assert left.task_id.endswith("-to-table_1-left") and "left side of the table" in (
        left.instruction
    )
    capped = derive_tasks(manifest, boxes, BASE, free_objects=free, limits=wide, max_tasks=2)
    assert len(capped) == 2 and capped[0].target_id != capped[1].target_id
    assert [t.task_id for t in capped] == [t.task_id for t in tasks[:2]]


def test_contract_round_trips_and_names_bad_fields(tmp_path: Path) -> None:
    """Saved then loaded: equal; a support or target without a box, a stale manifest or a
    missing file: an error naming the field or the file."""
    manifest, boxes = _scene()
    contract = build_scene_tasks(manifest, boxes, resting_supports(manifest, boxes), generator="t")
    save_scene_tasks(tmp_path, contract)
    assert load_scene_tasks(tmp_path, manifest) == contract
    data = json.loads((tmp_path / SCENE_TASKS_PATH).read_text())
    data["supports"]["mug_1"] = "ghost_1"
    with pytest.raises(ManifestError, match=r"supports\.mug_1: support ghost_1 has no box"):
        parse_scene_tasks(data)
    data = json.loads((tmp_path / SCENE_TASKS_PATH).read_text())
    data["candidates"][0]["goal"] = "shelf"
    with pytest.raises(ManifestError, match=r"candidates\.0\.goal"):
        parse_scene_tasks(data)
    smaller = manifest.model_copy(update={"objects": manifest.objects[:-1]})
    with pytest.raises(ManifestError, match=r"boxes\.bowl_1: not an object of the manifest"):
        load_scene_tasks(tmp_path, smaller)
    with pytest.raises(InputError, match="did the replicator step run"):
        load_scene_tasks(tmp_path / "elsewhere", manifest)


def test_committed_schema_matches_the_model() -> None:
    """`tools/tasks/scene_tasks.schema.json` is the model's (regenerate: python -m
    tools.tasks.scene_tasks)."""
    assert SCHEMA_FILE.read_text() == render_schema()


def _cube(centre: tuple[float, float, float], half: float) -> np.ndarray:
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    return np.asarray(centre) + half * corners


def test_hull_boxes_and_closed_tops_read_from_hulls() -> None:
    """Boxes around the hulls turn with the object's heading; a ray down a solid box stops at
    its top (closed), down an open cup at its floor (open); a miss: no depth."""
    turned = box_of_points("c", _cube((1.0, 2.0, 0.5), 0.1), 0.3)
    assert turned.yaw == 0.3 and turned.centre == pytest.approx((1.0, 2.0, 0.5))
    assert turned.half_extents[2] == pytest.approx(0.1) and turned.half_extents[0] > 0.1
    solid = [_cube((0.0, 0.0, 0.05), 0.05)]
    box = box_of_points("b", solid[0], 0.0)
    assert open_top_depth(box, solid) == pytest.approx(0.0, abs=1e-9)
    walls = [_cube((x, y, 0.05), 0.01) for x, y in ((0.04, 0), (-0.04, 0), (0, 0.04), (0, -0.04))]
    floor = np.vstack([_cube((0.0, 0.0, 0.005), 0.005)])
    cup = [*walls, floor]
    cup_box = box_of_points("cup", np.vstack(cup), 0.0)
    assert open_top_depth(cup_box, cup) == pytest.approx(0.05)
    assert open_top_depth(box_of_points("x", _cube((5, 5, 0), 0.1), 0.0), solid) is None
    data = sample_manifest_dict()
    data["objects"] += [_object("box_1", "box", "static"), _object("bin_1", "bin", "static")]
    manifest = SceneManifest.model_validate(data)
    hulls = {"box_1": solid, "bin_1": [h + np.array([1.0, 0.0, 0.0]) for h in cup]}
    boxes = hull_boxes(manifest, hulls)
    assert set(boxes) == {"box_1", "bin_1"}
    assert closed_containers(manifest, boxes, hulls) == {"box_1"}


def test_one_max_tasks_setting_for_every_consumer() -> None:
    """MAX_TASKS is declared once (TaskSettings): the episodes and the Genie Sim export read
    the same variable, with the same rule."""
    from episode_generation_job.settings import EpisodeSettings
    from genie_sim_export_job.settings import GenieSimExportSettings
    from tools.config import load_settings
    from tools.errors import ConfigError
    from tools.tasks.settings import TaskSettings

    env = {"SCENE_ID": "s", "SCENE_DIR": "/tmp", "MAX_TASKS": "3"}
    for cls in (EpisodeSettings, GenieSimExportSettings):
        assert issubclass(cls, TaskSettings) and load_settings(cls, env).MAX_TASKS == 3
        with pytest.raises(ConfigError, match="MAX_TASKS"):
            load_settings(cls, {**env, "MAX_TASKS": "0"})
    assert "GENIESIM_MAX_TASKS" not in GenieSimExportSettings.model_fields
    # The retired variable is refused by name, not ignored (which would run with the default).
    with pytest.raises(ConfigError, match="GENIESIM_MAX_TASKS: is no longer read; set MAX_TASKS"):
        load_settings(GenieSimExportSettings, {**env, "GENIESIM_MAX_TASKS": "5"})
