"""The bundle: every file, configs per policy, scripts that compile and name only existing prims."""

from __future__ import annotations

import json
import logging
import py_compile

from pxr import Usd

from replicator_job.bundle import StepOptions, build_bundle
from replicator_job.policy_configs import BundleOptions
from replicator_job.region_checks import collect_prim_paths, script_prim_literals
from replicator_job.validation import validate_bundle
from tools.provenance import sha256_file
from tools.randomization import load_bundle_config
from tools.randomization.layout import (
    METADATA_PATH,
    README_PATH,
    REGIONS_JSON_PATH,
    REGIONS_USD_PATH,
    SCRIPT_PATH,
    config_path,
    samples_path,
)
from tools.randomization.samples import EpisodeSamples
from tools.steps import StepContext

POLICIES = ("pick_and_place", "table_clearing")


def test_bundle_has_every_file_and_both_policies(bundle_scene):
    """Regions (json, usda), a config and samples per policy, the script, README and metadata."""
    for relative in (REGIONS_JSON_PATH, REGIONS_USD_PATH, SCRIPT_PATH, README_PATH, METADATA_PATH):
        assert (bundle_scene / relative).stat().st_size > 0, relative
    metadata = json.loads((bundle_scene / METADATA_PATH).read_text())
    assert metadata["policies"] == list(POLICIES)
    for policy in POLICIES:
        config = load_bundle_config(bundle_scene, policy)
        assert config.policy == policy and config.task.work_surface == "table_1"
        assert {o.object_id for o in config.randomizers.object_scatter.objects} == {
            "cube_1",
            "can-2",
            "box_1",
        }
        samples = EpisodeSamples.model_validate_json(
            (bundle_scene / samples_path(policy)).read_text()
        )
        assert len(samples.episodes) == 3
    clearing = load_bundle_config(bundle_scene, "table_clearing")
    assert all(clearing.region(r).support_id != "table_1" for r in clearing.task.place_regions)


def test_scripts_compile(bundle_scene):
    """The bundled Replicator script byte-compiles (py_compile) and is valid Python 3."""
    py_compile.compile(
        str(bundle_scene / SCRIPT_PATH), doraise=True, cfile=str(bundle_scene / "script.pyc")
    )
    compile((bundle_scene / SCRIPT_PATH).read_text(), SCRIPT_PATH, "exec")


def test_every_prim_path_of_scripts_and_configs_exists_in_the_scene(bundle_scene):
    """Scene prims the configs and the script name exist in scene.usda; regions in their layer."""
    scene = Usd.Stage.Open(str(bundle_scene / "usd" / "scene.usda"))
    regions = Usd.Stage.Open(str(bundle_scene / REGIONS_USD_PATH))
    paths = script_prim_literals((bundle_scene / SCRIPT_PATH).read_text())
    for policy in POLICIES:
        paths |= collect_prim_paths(json.loads((bundle_scene / config_path(policy)).read_text()))
        samples = json.loads((bundle_scene / samples_path(policy)).read_text())
        paths |= collect_prim_paths(samples)
    region_paths = {p for p in paths if p.startswith("/World/PlacementRegions/")}
    assert region_paths and len(paths - region_paths) > 20
    assert sorted(p for p in paths - region_paths if not scene.GetPrimAtPath(p).IsValid()) == []
    assert sorted(p for p in region_paths if not regions.GetPrimAtPath(p).IsValid()) == []
    assert not any(
        scene.GetPrimAtPath(p).IsValid() for p in region_paths
    )  # no clash with the scene


def test_same_seed_same_bytes_other_seed_other_samples(usd_scene, bundle_scene, scene_copy):
    """A rebuild with seed 0 writes identical files; seed 5 changes the samples, not the regions."""
    again = scene_copy("again")
    build_bundle(again, StepOptions(sample_episodes=3))
    for relative in (
        REGIONS_JSON_PATH,
        REGIONS_USD_PATH,
        config_path("pick_and_place"),
        samples_path("table_clearing"),
        METADATA_PATH,
    ):
        assert (again / relative).read_bytes() == (bundle_scene / relative).read_bytes(), relative
    other = scene_copy("other")
    build_bundle(other, StepOptions(bundle=BundleOptions(seed=5), sample_episodes=3))
    assert (other / REGIONS_JSON_PATH).read_bytes() == (
        bundle_scene / REGIONS_JSON_PATH
    ).read_bytes()
    assert (other / samples_path("pick_and_place")).read_bytes() != (
        bundle_scene / samples_path("pick_and_place")
    ).read_bytes()


def test_metadata_records_inputs_outputs_and_seed(bundle_scene):
    """bundle_metadata.json has the seed, versions and the sha256 of inputs and bundle files."""
    metadata = json.loads((bundle_scene / METADATA_PATH).read_text())
    assert metadata["seed"] == 0 and metadata["llm"] is None
    assert {"usd-core", "mujoco", "shapely"} <= set(metadata["tool_versions"])
    assert metadata["inputs_sha256"]["usd/scene.usda"] == sha256_file(
        bundle_scene / "usd" / "scene.usda"
    )
    for relative, digest in metadata["files_sha256"].items():
        assert sha256_file(bundle_scene / relative) == digest
    assert SCRIPT_PATH in metadata["files_sha256"] and METADATA_PATH not in metadata["files_sha256"]


def test_step_validation_passes_on_the_bundle(bundle_scene):
    """validate_bundle: regions on supports, prims exist, script compiles, samples settle."""
    report = validate_bundle(StepContext(bundle_scene, None, None, logging.getLogger("test")))  # type: ignore[arg-type]
    failing = {c["name"]: c["problems"] for c in report["checks"] if not c["ok"]}
    assert report["ok"] and not failing
    names = {c["name"] for c in report["checks"]}
    assert {"placement_regions", "prims_and_script", "physics_pick_and_place", "metadata"} <= names


def test_validation_reports_a_tampered_bundle(scene_copy):
    """A region moved 5 cm up and an edited file fail validation with named problems."""
    scene_dir = scene_copy("tampered")
    build_bundle(scene_dir, StepOptions(sample_episodes=1))
    path = scene_dir / REGIONS_JSON_PATH
    data = json.loads(path.read_text())
    data["regions"][0]["height_m"] += 0.05
    data["regions"][0]["contact_height_m"] += 0.05
    path.write_text(json.dumps(data))
    report = validate_bundle(StepContext(scene_dir, None, None, logging.getLogger("test")))  # type: ignore[arg-type]
    checks = {c["name"]: c for c in report["checks"]}
    assert not report["ok"]
    assert not checks["placement_regions"]["ok"] and "cm from the region height" in " ".join(
        checks["placement_regions"]["problems"]
    )
    assert not checks["metadata"]["ok"]
