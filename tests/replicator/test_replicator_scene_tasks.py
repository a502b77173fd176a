"""The replicator writes the scene's tasks contract: supports decided once, at rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from replicator_job.bundle import StepOptions, build_bundle
from tools.randomization.layout import METADATA_PATH
from tools.scene_layout import SCENE_TASKS_PATH
from tools.scene_manifest import Relationship, load_manifest
from tools.tasks.scene_tasks import load_scene_tasks
from tools.testing import rewrite_manifest


def test_bundle_writes_supports_and_candidates(bundle_scene: Path) -> None:
    """Objects on the table, the box on the turned shelf's board, the crate on the floor; the
    candidates' targets are the manipulable objects; the metadata lists the file."""
    manifest = load_manifest(bundle_scene)
    contract = load_scene_tasks(bundle_scene, manifest)
    assert contract.generator == "replicator-job"
    supports = contract.supports
    assert {supports[o] for o in ("cube_1", "can-2", "box_1")} == {"table_1"}
    assert supports["box_2"] == "shelf_1" and supports["crate_1"] is None
    manipulable = {o.id for o in manifest.objects if o.sim_role.value == "manipulable"}
    assert contract.candidates and {c.target_id for c in contract.candidates} <= manipulable
    metadata = json.loads((bundle_scene / METADATA_PATH).read_text())
    assert SCENE_TASKS_PATH in json.dumps(metadata)


def test_stale_on_top_of_gives_way_to_the_support_at_rest(
    scene_copy: Callable[[str], Path],
) -> None:
    """A manifest claiming the cube rests on the shelf: the contract measures the table."""
    scene = scene_copy("stale")
    manifest = load_manifest(scene)
    wrong = (Relationship(type="on_top_of", target="shelf_1"),)
    objects = tuple(
        o.model_copy(update={"relationships": wrong}) if o.id == "cube_1" else o
        for o in manifest.objects
    )
    rewrite_manifest(scene, manifest.model_copy(update={"objects": objects}))
    build_bundle(scene, StepOptions(sample_episodes=1))
    assert load_scene_tasks(scene, load_manifest(scene)).supports["cube_1"] == "table_1"
