"""The Isaac Sim script's pxr replay and Replicator graph, exercised without Isaac Sim."""

from __future__ import annotations

import importlib.util
import json
import re
from unittest import mock

import numpy as np
import pytest
from pxr import Usd, UsdGeom, UsdLux, UsdPhysics

from replicator_job.region_checks import compose_with_regions
from tools.randomization import layout
from tools.randomization.lighting import distant_light_direction
from tools.sim import load_scene_model


@pytest.fixture(scope="module")
def script(bundle_scene):
    spec = importlib.util.spec_from_file_location(
        "replicator_randomize", bundle_scene / layout.SCRIPT_PATH
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def episode(bundle_scene):
    samples = json.loads((bundle_scene / layout.samples_path("table_clearing")).read_text())
    return next(e for e in samples["episodes"] if e["distractors"])


def test_script_constants_match_the_bundle_layout(script):
    """The standalone script uses the same event name and distractor root as tools.randomization."""
    assert script.EPISODE_EVENT == layout.EPISODE_EVENT
    assert script.DISTRACTOR_ROOT == layout.DISTRACTOR_ROOT_PRIM


def test_replay_authors_the_recorded_values(script, scene_copy, episode):
    """apply_episode sets poses, light, colours, camera, mass and friction on the stage."""
    # A copy: layers are shared per process, and replay edits the root layer in memory.
    stage = Usd.Stage.Open(str(scene_copy() / "usd" / "scene.usda"))
    script.apply_episode(stage, episode)
    cache = UsdGeom.XformCache()
    for placement in episode["placements"]:
        matrix = cache.GetLocalToWorldTransform(stage.GetPrimAtPath(placement["prim_path"]))
        np.testing.assert_allclose(
            list(matrix.ExtractTranslation()), placement["pose"]["position"], atol=1e-9
        )
    light = episode["light"]
    sun = stage.GetPrimAtPath(light["prim_path"])
    assert UsdLux.LightAPI(sun).GetIntensityAttr().Get() == pytest.approx(light["intensity"])
    direction = cache.GetLocalToWorldTransform(sun).TransformDir((0.0, 0.0, -1.0)).GetNormalized()
    np.testing.assert_allclose(
        list(direction), distant_light_direction(light["rotation_xyz_deg"]), atol=1e-6
    )
    for color in episode["colors"]:
        value = stage.GetPrimAtPath(color["shader_path"]).GetAttribute(color["shader_input"]).Get()
        np.testing.assert_allclose(list(value)[:3], color["rgb"], rtol=1e-6)
    camera = cache.GetLocalToWorldTransform(stage.GetPrimAtPath(episode["camera"]["prim_path"]))
    np.testing.assert_allclose(
        list(camera.ExtractTranslation()), episode["camera"]["pose"]["position"], atol=1e-9
    )
    for physics in episode["physics"]:
        material = UsdPhysics.MaterialAPI(stage.GetPrimAtPath(physics["material_path"]))
        assert material.GetStaticFrictionAttr().Get() == pytest.approx(physics["static_friction"])
        if physics["mass_kg"] is not None:
            mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(physics["prim_path"])).GetMassAttr().Get()
            assert mass == pytest.approx(physics["mass_kg"], rel=1e-6)


def test_replayed_stage_loads_in_mujoco_with_the_same_poses(script, scene_copy, episode):
    """The replayed stage, read by MuJoCo's own USD importer, has the recorded poses and masses."""
    scene_dir = scene_copy()
    stage = Usd.Stage.Open(str(scene_dir / "usd" / "scene.usda"))
    script.apply_episode(stage, episode)
    replayed = scene_dir / "usd" / "replayed.usda"
    stage.GetRootLayer().Export(str(replayed))
    scene = load_scene_model(replayed)
    data = scene.make_data()
    for placement in episode["placements"]:
        body = scene.objects[placement["object_id"]].body_id
        np.testing.assert_allclose(data.xpos[body], placement["pose"]["position"], atol=1e-6)
    for distractor in episode["distractors"]:
        name = f"{layout.DISTRACTOR_ROOT_PRIM}/{distractor['name']}"
        body = next(b for b in range(scene.model.nbody) if scene.model.body(b).name == name)
        np.testing.assert_allclose(data.xpos[body], distractor["pose"]["position"], atol=1e-6)
        assert scene.model.body_mass[body] == pytest.approx(distractor["mass_kg"], rel=1e-6)


def _stage_paths(stage) -> list[str]:
    return [
        str(p.GetPath())
        for p in Usd.PrimRange(stage.GetPseudoRoot(), Usd.TraverseInstanceProxies())
    ]


@pytest.mark.parametrize("policy", ["pick_and_place", "table_clearing"])
def test_native_graph_selects_only_existing_prims(script, bundle_scene, policy):
    """Every rep.get.prims(path_pattern=...) of the native graph matches existing prims only."""
    config = json.loads((bundle_scene / layout.config_path(policy)).read_text())
    rep = mock.MagicMock()
    stage = compose_with_regions(
        bundle_scene / "usd" / "scene.usda", bundle_scene / layout.REGIONS_USD_PATH
    )
    slots = script.define_distractor_slots(stage, config)
    script.build_episode_graph(rep, config, slots)
    script.build_frame_graph(rep, config, ("per_episode", "per_frame"))
    paths = _stage_paths(stage)
    patterns = [c.kwargs["path_pattern"] for c in rep.get.prims.call_args_list]
    assert len(patterns) > 10
    for pattern in patterns:
        wanted = pattern[len("^(?:") : -len(")$")].split("|")
        matched = [p for p in paths if re.match(pattern, p)]
        assert len(matched) == len(wanted), pattern
    scatter_calls = rep.randomizer.scatter_2d.call_args_list
    assert scatter_calls and all(c.kwargs["check_for_collisions"] for c in scatter_calls)
    events = {c.kwargs["event_name"] for c in rep.trigger.on_custom_event.call_args_list}
    assert events == {layout.EPISODE_EVENT}
    # Physics through the USD attributes PhysX reads (5.1's sources never use rep.physics).
    written = {c.args[0] for c in rep.modify.attribute.call_args_list}
    assert {"physics:staticFriction", "physics:dynamicFriction"} <= written
    assert not rep.physics.method_calls
    for path in slots:
        prim = stage.GetPrimAtPath(path)
        assert prim.HasAPI(UsdPhysics.RigidBodyAPI) and prim.HasAPI(UsdPhysics.CollisionAPI)


def test_prim_path_helpers(script):
    """prim_paths finds nested scene paths; exact() escapes and anchors them."""
    found = script.prim_paths(
        {"a": ["/World/Objects/x", "usd/scene.usda"], "b": {"c": "/World/Lights/Sun"}}
    )
    assert found == {"/World/Objects/x", "/World/Lights/Sun"}
    pattern = script.exact(["/World/Objects/a.b", "/World/Objects/c"])
    assert re.match(pattern, "/World/Objects/a.b") and not re.match(pattern, "/World/Objects/aXb")
    assert not re.match(pattern, "/World/Objects/c/child")
