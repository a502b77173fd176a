"""The replicator's tasks contract agrees with MuJoCo, which the episodes step runs on."""

from __future__ import annotations

from pathlib import Path

import pytest

from episode_generation_job.backends import open_backend
from episode_generation_job.episode_session import closed_containers
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.tasks.feasibility import derive_tasks, feasible_tasks
from tools.tasks.rest_scene import scene_rims
from tools.tasks.scene_tasks import load_scene_tasks


def test_contract_boxes_closed_tops_and_tasks_match_the_mujoco_backend(
    kitchen_scene: Path,
) -> None:
    """Boxes from the settled stage's hulls are MuJoCo's at the authored poses, the closed
    containers are the ones its ray finds, and the Panda's tasks from the contract are the
    tasks derived on MuJoCo's boxes."""
    manifest = load_manifest(kitchen_scene)
    contract = load_scene_tasks(kitchen_scene, manifest)
    backend = open_backend("mujoco", kitchen_scene / SCENE_USD_PATH, manifest, None)
    try:
        boxes = backend.object_boxes()
        assert set(contract.boxes) == set(boxes)
        for oid, record in contract.boxes.items():
            assert record.centre == pytest.approx(boxes[oid].centre, abs=1e-6), oid
            assert record.half_extents == pytest.approx(boxes[oid].half_extents, abs=1e-6), oid
        closed = closed_containers(backend, manifest)
        assert set(contract.closed_containers) == closed
        free = backend.free_objects()
        rims = scene_rims(kitchen_scene, manifest)
        engine = derive_tasks(
            manifest, boxes, backend.robot_base, free_objects=free, closed=closed, rims=rims
        )
        written = feasible_tasks(
            contract, manifest, backend.robot_base, free_objects=free, rims=rims
        )
        assert engine and [t.task_id for t in written] == [t.task_id for t in engine]
        assert [t.skill for t in written] == [t.skill for t in engine]
    finally:
        backend.close()
