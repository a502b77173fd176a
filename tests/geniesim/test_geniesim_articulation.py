"""Articulated objects in Genie Sim's own form: part_joint_limits, pull/push part elements,
is_articulated; checked against our schemas and, with GENIE_SIM_SRC, Genie Sim's own loader."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import trimesh

from genie_sim_export_job.articulated import add_articulation
from genie_sim_export_job.object_files import interaction, object_parameters
from genie_sim_export_job.task_config import ExportedObject
from genie_sim_export_job.validation import schema_problems
from tests.articulated_scenes import FRIDGE, NIGHTSTAND, build_articulated_scene
from tools.geniesim_format.articulation import IS_ARTICULATED, PART_JOINT_LIMITS, PULL, PUSH
from tools.scene_manifest import SceneManifest, load_manifest


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> SceneManifest:
    """A nightstand (one drawer) and a fridge (two doors), articulated by simready."""
    scene = build_articulated_scene(tmp_path_factory.mktemp("gs_art") / "scene", fridge=True)
    return load_manifest(scene)


def _documents(manifest: SceneManifest, object_id: str) -> tuple[dict, dict, np.ndarray]:
    obj = manifest.object(object_id)
    box = trimesh.creation.box(extents=(0.5, 0.45, 0.6))
    offset = np.array([0.0, 0.0, 0.3])
    parameters = object_parameters(obj, object_id, np.array([0.5, 0.45, 0.6]), 20.0, False)
    elements = interaction(box, False)
    assert add_articulation(obj, offset, parameters, elements)
    return parameters, elements, offset


def test_a_drawer_is_a_prismatic_part_with_a_pull_at_its_handle(manifest: SceneManifest) -> None:
    """part_joint_limits keys the drawer's part prim; pull/push act at its handle, shifted into
    Aligned.usd's frame, along the front's outward normal and against it."""
    parameters, elements, offset = _documents(manifest, NIGHTSTAND)
    articulation = manifest.object(NIGHTSTAND).articulation
    assert articulation is not None
    joint = articulation.joints[0]
    limits = parameters[PART_JOINT_LIMITS]
    assert list(limits) == [f"Parts/{joint.child_part}"]
    entry = limits[f"Parts/{joint.child_part}"]
    assert (entry["type"], entry["lower"], entry["upper"]) == ("prismatic", 0.0, joint.upper)
    handle = np.asarray(articulation.part(joint.child_part).handle) - offset
    pull = elements["interaction"]["passive"][PULL]["handle"][0]
    push = elements["interaction"]["passive"][PUSH]["handle"][0]
    np.testing.assert_allclose(pull["xyz"], handle, atol=1e-6)
    np.testing.assert_allclose(pull["direction"], articulation.front, atol=1e-6)
    np.testing.assert_allclose(push["direction"], -np.asarray(articulation.front), atol=1e-6)
    assert pull["part_id"] == push["part_id"] == f"Parts/{joint.child_part}"


def test_the_documents_match_our_schemas(manifest: SceneManifest) -> None:
    """Both documents of an articulated fridge validate; a task entry says is_articulated."""
    parameters, elements, _ = _documents(manifest, FRIDGE)
    assert {e["type"] for e in parameters[PART_JOINT_LIMITS].values()} == {"revolute"}
    assert all(
        math.isclose(e["upper"], math.radians(110), abs_tol=0.4)
        for e in parameters[PART_JOINT_LIMITS].values()
    )
    assert schema_problems("object_parameters", parameters, "p") == []
    assert schema_problems("interaction", elements, "i") == []
    entry = ExportedObject(FRIDGE, FRIDGE, f"objects/{FRIDGE}/", "w", 80.0, "fridge",
                           (0.3, 0.3, 0.9), 0.9, articulated=True).entry()  # fmt: skip
    assert entry[IS_ARTICULATED] is True
    parameters[PART_JOINT_LIMITS]["Parts/door_0"]["type"] = "ball"
    assert schema_problems("object_parameters", parameters, "p")


def test_a_static_object_is_left_as_it_was(manifest: SceneManifest) -> None:
    """No articulation: add_articulation changes nothing."""
    obj = manifest.object("table_1")
    parameters = object_parameters(obj, "table_1", np.ones(3), 20.0, False)
    elements = interaction(trimesh.creation.box(), False)
    before = json.dumps([parameters, elements], sort_keys=True)
    assert not add_articulation(obj, np.zeros(3), parameters, elements)
    assert json.dumps([parameters, elements], sort_keys=True) == before


_LOADER = textwrap.dedent("""
    import json, os, sys, types
    sys.path.insert(0, sys.argv[1])
    # Stand-ins (as geniesim_upstream_check.py): neither runs on this path.
    sys.modules["grasp_nms"] = types.SimpleNamespace(nms_grasp=None)
    njit = lambda *a, **k: a[0] if a and callable(a[0]) else (lambda f: f)
    sys.modules["numba"] = types.SimpleNamespace(njit=njit)
    from client.layout.object import OmniObject
    os.environ["SIM_ASSETS"] = sys.argv[2]
    params = json.load(open(sys.argv[3]))
    obj = OmniObject.from_obj_dir(sys.argv[4], obj_info=params, is_key_object=True)
    print(json.dumps({"is_articulated": obj.is_articulated, "part_ids": obj.part_ids}))
    """)


def _data_collection() -> Path | None:
    source = os.environ.get("GENIE_SIM_SRC")
    for candidate in (
        Path(source or "/nonexistent") / "source" / "data_collection",
        Path(source or "/nonexistent"),
    ):
        if (candidate / "client" / "layout" / "object.py").is_file():
            return candidate
    return None


def test_genie_sims_loader_finds_the_parts(manifest: SceneManifest, tmp_path: Path) -> None:
    """OmniObject.from_obj_dir (v3.2.0) flags the fridge articulated and lists both door parts."""
    source = _data_collection()
    if source is None:
        pytest.skip("GENIE_SIM_SRC does not point at a Genie Sim checkout")
    parameters, elements, _ = _documents(manifest, FRIDGE)
    (tmp_path / "interaction" / FRIDGE).mkdir(parents=True)
    (tmp_path / "interaction" / FRIDGE / "interaction.json").write_text(json.dumps(elements))
    (tmp_path / "objects" / FRIDGE).mkdir(parents=True)
    params_path = tmp_path / "objects" / FRIDGE / "object_parameters.json"
    params_path.write_text(json.dumps(parameters))
    run = subprocess.run(
        [sys.executable, "-c", _LOADER, str(source), str(tmp_path), str(params_path),
         str(tmp_path / "objects" / FRIDGE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["is_articulated"] is True
    assert sorted(set(found["part_ids"])) == sorted(parameters[PART_JOINT_LIMITS])
