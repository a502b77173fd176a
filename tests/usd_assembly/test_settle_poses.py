"""The usd step settles free bodies before writing the scene: round objects stay, tilted ones
lie flat, the manifest carries the resting pose, and what settling cannot fix is reported."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from pxr import Usd

from tools.provenance import sha256_file
from tools.scene_layout import USD_LAYER_PATH
from tools.scene_manifest import load_manifest, parse_manifest, save_manifest
from tools.sim import load_scene_model
from tools.sim.rolling_friction import (
    ROLLING_FRICTION_KEY,
    ROLLING_FRICTION_M,
    TORSIONAL_FRICTION_M,
)
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene
from usd_assembly_job.settle import run_settle

TABLE_TOP_Z = 0.75  # the conftest table


def _axis_quat(axis: tuple[float, float, float], deg: float) -> list[float]:
    a = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    half = math.radians(deg) / 2
    return [math.cos(half), *(float(v) for v in a * math.sin(half))]


def _add_object(
    scene_dir: Path, oid: str, mesh: trimesh.Trimesh, mass: float, pose: tuple[list[float], ...]
) -> None:
    """Append a manipulable object with one convex hull (the mesh's) to the scene's manifest."""
    folder = scene_dir / "assets" / oid
    (folder / "collision").mkdir(parents=True, exist_ok=True)
    mesh.visual.vertex_colors = [230, 200, 40, 255]
    trimesh.Scene([mesh]).export(folder / "mesh.glb")
    mesh.convex_hull.export(folder / "collision" / "hull_0.obj")
    inertia = np.diag(mesh.moment_inertia) * (mass / mesh.mass)
    manifest = json.loads(load_manifest(scene_dir).model_dump_json())
    manifest["objects"].append(
        {
            "id": oid,
            "category": "lemon",
            "sim_role": "manipulable",
            "transform": {"position": pose[0], "rotation_wxyz": pose[1]},
            "asset": {
                "mesh_path": f"assets/{oid}/mesh.glb",
                "format": "glb",
                "sha256": sha256_file(folder / "mesh.glb"),
                "collision_paths": [f"assets/{oid}/collision/hull_0.obj"],
            },
            "dimensions": [float(v) for v in mesh.extents],
            "semantics": {"label": "lemon", "class_name": "lemon"},
            "provenance": {"source_id": "lemon__(1, 2)", "pose_source": "authored"},
            "physics": {
                "mass_kg": mass,
                "static_friction": 0.6,
                "dynamic_friction": 0.5,
                "restitution": 0.1,
                "center_of_mass": [float(v) for v in mesh.center_mass],
                "inertia_diagonal": [float(v) for v in inertia],
                "material": "organic",
            },
        }
    )
    save_manifest(scene_dir, parse_manifest(manifest))


def _lemon() -> trimesh.Trimesh:
    """An ellipsoid 8 x 6 x 6 cm with its origin at its lowest point."""
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    mesh.apply_scale([0.04, 0.03, 0.03])
    mesh.apply_translation([0.0, 0.0, 0.03])
    return mesh


def _box() -> trimesh.Trimesh:
    mesh = trimesh.creation.box((0.06, 0.04, 0.10))
    mesh.apply_translation([0.0, 0.0, 0.05])
    return mesh


@pytest.fixture
def round_and_tilted(make_scene: Callable[..., Path]) -> Path:
    """The conftest scene plus a lemon turned 25 degrees on its long axis (not its resting
    pose) and a box tilted 12 degrees about x standing 1 cm above the table."""
    scene_dir = make_scene("round_and_tilted")
    _add_object(
        scene_dir,
        "lemon_1",
        _lemon(),
        0.12,
        ([0.3, -0.2, TABLE_TOP_Z + 0.002], _axis_quat((1, 0.3, 0), 25)),
    )
    _add_object(
        scene_dir,
        "box_tilted",
        _box(),
        0.3,
        ([0.7, -0.15, TABLE_TOP_Z + 0.01], _axis_quat((1, 0, 0), 12)),
    )
    return scene_dir


def _settle_check(scene_dir: Path) -> dict[str, tuple[float, float]]:
    report = run_settle(load_scene_model(scene_dir / "usd" / "scene.usda"))
    assert report.ok, report.problems
    return {o.object_id: (o.translation_m, o.rotation_deg) for o in report.objects}


def test_unsettled_round_and_tilted_objects_fail_the_check(round_and_tilted: Path) -> None:
    """Without settling, the tilted box falls flat and the settle check catches it."""
    assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False, settle=False))
    report = run_settle(load_scene_model(round_and_tilted / "usd" / "scene.usda"))
    assert any(p.startswith("box_tilted turned") for p in report.problems)


def test_settled_scene_passes_the_check_and_the_manifest_has_the_resting_pose(
    round_and_tilted: Path,
) -> None:
    """After settling every free object stays within 1 cm / 5 degrees for 2 s, the box stands
    flat on the table, and the manifest's pose is the MuJoCo body pose the scene loads with."""
    result = assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False))
    assert result.settling is not None and result.settling["all_at_rest"]
    assert result.settling["kept_reconstructed_pose"] == []
    assert 10.0 < result.settling["max_rotation_deg"] < 14.0
    moves = _settle_check(round_and_tilted)
    assert max(t for t, _ in moves.values()) <= 0.01
    assert max(r for _, r in moves.values()) <= 5.0
    manifest = {o.id: o for o in load_manifest(round_and_tilted).objects}
    box = manifest["box_tilted"]
    _, x, y, _ = box.transform.rotation_wxyz
    up_z = 1 - 2 * (x * x + y * y)
    assert math.degrees(math.acos(min(1.0, up_z))) < 1.0
    assert box.transform.position[2] == pytest.approx(TABLE_TOP_Z, abs=0.002)
    assert any("settled the pose" in n for n in box.provenance.notes)
    scene = load_scene_model(round_and_tilted / "usd" / "scene.usda")
    body = scene.objects["box_tilted"].body_id
    assert scene.model.body_pos[body] == pytest.approx(np.array(box.transform.position), abs=1e-6)


def test_objects_already_at_rest_keep_their_bytes(round_and_tilted: Path) -> None:
    """Settling leaves objects at rest untouched (only the settled ones get a pose in usd's
    layer), and a rerun, which reads the manifest without that layer, writes the same bytes."""
    files = ("usd/scene.usda", USD_LAYER_PATH)
    once = assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False))
    first = {f: (round_and_tilted / f).read_bytes() for f in files}
    again = assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False))
    assert {f: (round_and_tilted / f).read_bytes() for f in files} == first
    assert once.settling is not None and again.settling == once.settling
    layer = json.loads(first[USD_LAYER_PATH])
    moved = [i for i, changes in layer["objects"].items() if "transform" in changes]
    assert len(moved) == once.settling["settled"] and once.settling["already_at_rest"] > 0


def test_a_fall_beyond_the_cap_keeps_the_pose_and_is_reported(
    make_scene: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A cube 12 cm above the table would move more than the 5 cm cap: its pose is kept, a
    WARNING names it, and the settle check still shows the problem."""
    scene_dir = make_scene("floating", lift={"cube_1": 0.12})
    with caplog.at_level(logging.WARNING, logger="bp.usd.settle"):
        result = assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    assert result.settling is not None
    kept = {o["object_id"]: o for o in result.settling["kept_reconstructed_pose"]}
    assert "would move" in str(kept["cube_1"]["reason"])
    assert any("cube_1" in r.getMessage() for r in caplog.records)
    cube = next(o for o in load_manifest(scene_dir).objects if o.id == "cube_1")
    assert cube.transform.position[2] == pytest.approx(TABLE_TOP_Z + 0.12)
    assert not run_settle(load_scene_model(scene_dir / "usd" / "scene.usda")).ok


def test_rolling_friction_is_authored_in_the_usd_and_loaded_for_free_bodies(
    round_and_tilted: Path,
) -> None:
    """Free bodies' physics materials record rolling friction; MuJoCo gives their hulls contact
    dimension 6 with it, static colliders keep the default (their contacts take the max)."""
    assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False))
    stage = Usd.Stage.Open(str(round_and_tilted / "usd" / "scene.usda"))
    lemon_material = stage.GetPrimAtPath("/World/PhysicsMaterials/lemon_1")
    assert lemon_material.GetCustomDataByKey(ROLLING_FRICTION_KEY) == ROLLING_FRICTION_M
    table_material = stage.GetPrimAtPath("/World/PhysicsMaterials/table_1")
    assert table_material.GetCustomDataByKey(ROLLING_FRICTION_KEY) is None
    scene = load_scene_model(round_and_tilted / "usd" / "scene.usda")
    model = scene.model
    for geom in scene.objects["lemon_1"].collision_geoms:
        assert model.geom_condim[geom] == 6
        assert model.geom_friction[geom][1:] == pytest.approx(
            [TORSIONAL_FRICTION_M, ROLLING_FRICTION_M]
        )
    assert all(model.geom_condim[g] == 3 for g in scene.objects["table_1"].collision_geoms)


def test_a_pushed_lemon_stops_with_rolling_friction(round_and_tilted: Path) -> None:
    """Rolling at 10 cm/s, the settled lemon stops within a few cm (rolling resistance)."""
    import mujoco

    assemble_scene(round_and_tilted, AssemblyOptions(render_preview=False))
    scene = load_scene_model(round_and_tilted / "usd" / "scene.usda")
    model, data = scene.model, scene.make_data()
    body = scene.objects["lemon_1"].body_id
    dof = model.jnt_dofadr[model.body_jntadr[body]]
    start = data.xpos[body].copy()
    rotation = data.xmat[body].reshape(3, 3)
    data.qvel[dof : dof + 3] = [0.0, 0.1, 0.0]
    data.qvel[dof + 3 : dof + 6] = rotation.T @ np.array([-0.1 / 0.03, 0.0, 0.0])
    mujoco.mj_step(model, data, nstep=round(3.0 / model.opt.timestep))
    assert np.linalg.norm(data.qvel[dof : dof + 3]) < 1e-3
    assert np.linalg.norm(data.xpos[body] - start) < 0.05


def test_a_sunk_can_is_lifted_out_and_dropped_not_shot_out(
    make_scene: Callable[..., Path],
) -> None:
    """A can authored 6 mm into the table is lifted out before the drop: it ends standing on
    the table, and the settle check then passes without deep contacts."""
    scene_dir = make_scene("sunk", lift={"can-2": -0.006})
    result = assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    assert result.settling is not None
    assert result.settling["lifted_out_of_contacts_m"]["can-2"] == pytest.approx(0.006, abs=5e-4)
    can = next(o for o in load_manifest(scene_dir).objects if o.id == "can-2")
    assert can.transform.position[2] == pytest.approx(TABLE_TOP_Z, abs=0.001)
    report = run_settle(load_scene_model(scene_dir / "usd" / "scene.usda"))
    assert report.ok, report.problems
    assert report.max_penetration_m < 0.001
