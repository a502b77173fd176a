"""Small assembled scenes with articulated furniture, shared by the episodes, replicator and
Genie Sim tests: the usd tests' room plus a nightstand with one drawer and a fridge with doors."""

from __future__ import annotations

from pathlib import Path

import trimesh

from simready_job.articulation import ArticulationOutcome, infer_articulation, with_articulations
from tests.usd_assembly.conftest import (
    _box_physics,
    _object,
    _write_object,
    _z_rotation,
    build_scene,
)
from tools.scene_manifest import load_manifest, parse_manifest, save_manifest
from usd_assembly_job.assemble import AssemblyOptions, assemble_scene

NIGHTSTAND = "nightstand_1"
FRIDGE = "fridge_1"


def _nightstand_mesh() -> trimesh.Trimesh:
    """0.5 x 0.45 x 0.6 m, front at -Y, one horizontal bar handle: a one-drawer nightstand."""
    body = trimesh.creation.box(bounds=[(-0.25, -0.225, 0.0), (0.25, 0.225, 0.6)])
    handle = trimesh.creation.box(bounds=[(-0.08, -0.255, 0.44), (0.08, -0.225, 0.47)])
    mesh = trimesh.util.concatenate([body, handle])
    mesh.visual.face_colors = [150, 110, 70, 255]
    return mesh


def fridge_mesh() -> trimesh.Trimesh:
    """0.7 x 0.65 x 1.8 m, front at -Y, two bar handles on the right."""
    parts = [trimesh.creation.box(bounds=[(-0.35, -0.325, 0.0), (0.35, 0.325, 1.8)])]
    for z in (0.7, 1.3):
        parts.append(
            trimesh.creation.box(bounds=[(0.265, -0.355, z - 0.15), (0.295, -0.325, z + 0.15)])
        )
    mesh = trimesh.util.concatenate(parts)
    mesh.visual.face_colors = [230, 230, 235, 255]
    return mesh


def build_articulated_scene(scene_dir: Path, *, fridge: bool = False) -> Path:
    """The usd tests' scene plus a nightstand (and a fridge) backed against the +X wall,
    articulated by simready's inference and assembled into scene.usda."""
    scene = build_scene(scene_dir)
    data = load_manifest(scene).model_dump(mode="json")
    furniture = [(NIGHTSTAND, "nightstand", _nightstand_mesh(), (1.75, 1.2, 0.0), 20.0)]
    if fridge:
        furniture.append((FRIDGE, "refrigerator", fridge_mesh(), (1.665, -1.0, 0.0), 80.0))
    for object_id, category, mesh, position, mass in furniture:
        asset = _write_object(scene, object_id, [mesh], [mesh.convex_hull])
        size = tuple(float(v) for v in mesh.extents)
        physics = _box_physics(mass, size, "wood")
        # Yaw -90 deg: the asset's -Y front faces world -X, its back the wall at x = 2.
        data["objects"].append(
            _object(object_id, category, "static", position, asset, physics, _z_rotation(-90))
        )
    manifest = parse_manifest(data)
    outcomes: dict[str, ArticulationOutcome] = {}
    for object_id, *_ in furniture:
        obj = manifest.object(object_id)
        outcome = infer_articulation(scene, obj, manifest.room_bounds, obj.asset.collision_paths)
        assert outcome is not None and outcome.articulation is not None, outcome
        outcomes[object_id] = outcome
    save_manifest(scene, with_articulations(manifest, outcomes))
    assemble_scene(scene, AssemblyOptions(render_preview=False))
    return scene
