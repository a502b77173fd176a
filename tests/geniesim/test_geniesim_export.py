"""The Genie Sim export: task JSONs, asset tree, background, scene graph, index, determinism."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pxr import Usd, UsdGeom, UsdPhysics

from genie_sim_export_job.export import ExportOptions, export_scene
from genie_sim_export_job.settings import GenieSimExportSettings
from genie_sim_export_job.step import STEP
from genie_sim_export_job.validation import export_problems
from tests.geniesim.conftest import rewrite_scene_tasks
from tools.config import load_settings
from tools.errors import ConfigError, InputError
from tools.geniesim_format import ROBOTS, UnsupportedRobotError
from tools.geniesim_format import assets as fmt
from tools.job_runner import execute_step
from tools.scene_layout import GENIESIM_EXPORT_DIR, MANIFEST_PATH
from tools.scene_manifest import SimRole, load_manifest
from tools.steps import StepContext
from tools.storage import LocalStorage
from tools.testing import rewrite_manifest


def _export(scene: Path) -> Path:
    return scene / GENIESIM_EXPORT_DIR


def _index(scene: Path) -> dict[str, Any]:
    index: dict[str, Any] = json.loads((_export(scene) / fmt.ASSET_INDEX).read_text())
    return index


def test_export_validates_against_its_schemas(exported_scene: Path) -> None:
    """Every JSON, pickle and Aligned.usd of the export passes its schema and checks."""
    assert export_problems(_export(exported_scene)) == []


def test_one_task_json_per_supported_task(exported_scene: Path) -> None:
    """Tasks with an object goal are exported (pick, place, reset); region goals are skipped."""
    index = _index(exported_scene)
    surface = load_manifest(exported_scene).robot.work_surface
    assert index["tasks"] and all(t["goal"] != surface for t in index["tasks"])
    assert any("region of table" in reason for reason in index["skipped_tasks"].values())
    task = json.loads((_export(exported_scene) / index["tasks"][0]["file"]).read_text())
    assert [s["action"] for s in task["stages"]] == ["pick", "place", "reset"]
    assert all(s["checker"] for s in task["stages"][:2])
    assert task["robot"]["robot_id"] == "G2"
    assert task["recording_setting"]["camera_list"] == list(ROBOTS["G2"].camera_prims)
    related = {o["object_id"]: o for o in task["objects"]["task_related_objects"]}
    assert set(related) == {index["tasks"][0]["target"], index["tasks"][0]["goal"]}
    for obj in related.values():
        assert (_export(exported_scene) / obj["data_info_dir"] / fmt.ALIGNED_USD).is_file()
        assert obj["workspace_id"] in task["scene"]["function_space_objects"]
        assert obj["mass"] > 0 and obj["english_semantic_name"]


def test_every_placeable_object_has_assets_and_interaction(exported_scene: Path) -> None:
    """Each manipulable object on a support has Aligned.usd, parameters and interaction.json."""
    manifest = load_manifest(exported_scene)
    root = _export(exported_scene)
    placeable = [
        o.id for o in manifest.objects if o.sim_role is SimRole.MANIPULABLE and o.relationships
    ]
    assert placeable
    for object_id in placeable:
        name = fmt.object_dir_name(manifest.scene_id, object_id)
        params = json.loads((root / fmt.object_dir(name) / fmt.OBJECT_PARAMETERS).read_text())
        assert params["scale"] == 1.0 and params["upAxis"] == ["z"]
        interaction = json.loads(
            (root / fmt.interaction_dir(name) / fmt.INTERACTION_JSON).read_text()
        )
        assert "place" in interaction["interaction"]["active"]


def test_aligned_usd_is_centred_metric_and_physical(exported_scene: Path) -> None:
    """Aligned.usd opens with pxr, in metres, centred on its box, with rigid body and mass."""
    for entry in _index(exported_scene)["objects"]:
        stage = Usd.Stage.Open(str(_export(exported_scene) / entry["aligned_usd"]))
        assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
        root = stage.GetDefaultPrim()
        points = np.concatenate(
            [
                np.asarray(UsdGeom.Mesh(p).GetPointsAttr().Get())
                for p in Usd.PrimRange(root)
                if p.IsA(UsdGeom.Mesh) and UsdGeom.Imageable(p).GetPurposeAttr().Get() != "guide"
            ]
        )
        assert np.allclose((points.min(0) + points.max(0)) / 2, 0.0, atol=1e-5)
        assert root.HasAPI(UsdPhysics.RigidBodyAPI)
        assert UsdPhysics.MassAPI(root).GetMassAttr().Get() > 0
        assert any(p.HasAPI(UsdPhysics.CollisionAPI) for p in Usd.PrimRange(root))


def test_grasps_are_in_the_asset_frame_and_fit_the_gripper(exported_scene: Path) -> None:
    """grasp_pose.pkl: at most 60 rigid poses near the object, widths within the opening."""
    root = _export(exported_scene)
    for entry in _index(exported_scene)["objects"]:
        if entry["grasp_pose"] is None:
            continue
        data = pickle.loads((root / entry["grasp_pose"]).read_bytes())
        poses, widths = np.asarray(data["grasp_pose"]), np.asarray(data["width"])
        params = json.loads((root / entry["object_parameters"]).read_text())
        assert poses.shape == (len(widths), 4, 4) and 0 < len(widths) <= fmt.MAX_GRASPS
        assert np.all(np.abs(poses[:, :3, 3]) <= np.asarray(params["size"]) / 2 + 1e-6)
        assert np.all(widths <= ROBOTS["G2"].gripper_max_width_m + 1e-9)
        assert np.allclose(np.linalg.det(poses[:, :3, :3]), 1.0)


def test_background_drops_exported_objects_and_is_self_contained(exported_scene: Path) -> None:
    """The background keeps room and furniture, not task objects, and resolves every file."""
    index = _index(exported_scene)
    stage = Usd.Stage.Open(str(_export(exported_scene) / index["background"]["scene_usd"]))
    ids = {
        p.GetCustomDataByKey("blueprint:objectId")
        for p in stage.Traverse()
        if p.GetCustomDataByKey("blueprint:objectId")
    }
    exported = {o["object_id"] for o in index["objects"]}
    assert "room" in ids and not ids & exported
    assert not stage.GetPrimAtPath("/World/PhysicsScene")
    files = [Path(layer.realPath) for layer in stage.GetUsedLayers() if layer.realPath]
    assert len(files) > 1 and all(f.is_relative_to(_export(exported_scene)) for f in files)


def test_scene_graph_relations_are_measured_in_z_up(exported_scene: Path) -> None:
    """Each supported manipulable is `on` its manifest support; relations name known objects."""
    graph = json.loads((_export(exported_scene) / fmt.SCENE_GRAPH).read_text())
    ids = {n["id"] for n in graph["nodes"]}
    edges = {(e["source"], e["relation"], e["target"]) for e in graph["edges"]}
    target = _index(exported_scene)["tasks"][0]["target"]
    support = load_manifest(exported_scene).object(target).relationships[0].target
    assert (target, "on", support) in edges
    assert all(s in ids and t in ids for s, _, t in edges)


def test_same_scene_gives_same_export(exported_scene: Path, scene_copy: Path) -> None:
    """A second export of the same scene writes the same bytes (file hashes of the index)."""
    export_scene(scene_copy, ExportOptions())
    assert _index(scene_copy)["files"] == _index(exported_scene)["files"]


def test_g1_export_uses_g1_robot(scene_copy: Path) -> None:
    """GENIESIM_ROBOT=G1 writes G1's robot config and cameras."""
    export_scene(scene_copy, ExportOptions(robot_id="G1"))
    task = json.loads((_export(scene_copy) / _index(scene_copy)["tasks"][0]["file"]).read_text())
    assert task["robot"]["robot_cfg"] == ROBOTS["G1"].robot_cfg
    assert task["recording_setting"]["camera_list"] == list(ROBOTS["G1"].camera_prims)


def test_unsupported_robot_is_refused_with_the_supported_list(tmp_path: Path) -> None:
    """Any robot but G1/G2 fails configuration, naming the supported robots."""
    env = {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path), "GENIESIM_ROBOT": "franka_panda"}
    with pytest.raises(ConfigError) as info:
        load_settings(GenieSimExportSettings, env)
    assert info.value.variable == "GENIESIM_ROBOT" and "G1, G2" in str(info.value)
    with pytest.raises(UnsupportedRobotError, match="G1, G2"):
        export_scene(tmp_path, ExportOptions(robot_id="franka_panda"))


def test_scene_without_object_goal_exports_pick_up_tasks(scene_copy: Path) -> None:
    """No object to put things on: each graspable target becomes a pick-up task (pick, then
    Genie Sim's 'lifted' rule), as in Genie Sim's own pick_* templates."""
    export_scene(scene_copy, ExportOptions(robot_id="G1"))
    manifest = load_manifest(scene_copy)
    goals = {t["goal"] for t in _index(scene_copy)["tasks"]}
    objects = tuple(o for o in manifest.objects if o.id not in goals)
    rewrite_manifest(scene_copy, manifest.model_copy(update={"objects": objects}))
    rewrite_scene_tasks(scene_copy)
    export_scene(scene_copy, ExportOptions(robot_id="G1"))
    index = _index(scene_copy)
    assert index["tasks"] and {t["shape"] for t in index["tasks"]} == {"pick_up"}
    task = json.loads((_export(scene_copy) / index["tasks"][0]["file"]).read_text())
    assert [s["action"] for s in task["stages"]] == ["pick"]
    rules = {r["rule_name"]: r["params"] for r in task["task_metric"]["filter_rules"]}
    assert rules["is_object_end_higher_than_start"]["objects"] == [index["tasks"][0]["target"]]
    assert task["robot"]["init_arm_pose"] == dict(ROBOTS["G1"].init_arm_pose)
    assert export_problems(_export(scene_copy)) == []


def test_scene_without_graspable_object_fails_and_keeps_previous_export(
    scene_copy: Path,
) -> None:
    """No task Genie Sim can run: InputError (exit 2); an earlier export stays untouched."""
    export_scene(scene_copy, ExportOptions())
    before = _index(scene_copy)["files"]
    manifest = load_manifest(scene_copy)
    objects = tuple(
        (
            o.model_copy(update={"sim_role": SimRole.STATIC})
            if o.sim_role is SimRole.MANIPULABLE
            else o
        )
        for o in manifest.objects
    )
    rewrite_manifest(scene_copy, manifest.model_copy(update={"objects": objects}))
    rewrite_scene_tasks(scene_copy)
    with pytest.raises(InputError, match="no task Genie Sim can run") as info:
        export_scene(scene_copy, ExportOptions())
    assert info.value.exit_code == 2 and info.value.source == MANIFEST_PATH
    assert _index(scene_copy)["files"] == before
    assert not (scene_copy / "geniesim" / ".export-staging").exists()


def test_step_runs_through_the_job_runner(scene_copy: Path) -> None:
    """The registered step writes geniesim/export/, a completion marker, and validates."""
    settings = load_settings(
        STEP.settings_cls, {"SCENE_ID": scene_copy.name, "SCENE_DIR": str(scene_copy)}
    )
    outcome = execute_step(STEP, settings)
    assert outcome.status == "completed" and outcome.result["tasks"]
    assert (scene_copy / ".markers" / "geniesim-export.complete.json").is_file()
    assert STEP.validate is not None
    ctx = StepContext(scene_copy, settings, LocalStorage(scene_copy), logging.getLogger("t"))
    assert STEP.validate(ctx)["ok"]
