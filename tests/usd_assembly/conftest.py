"""Fixtures: a simready-like scene folder from trimesh primitives (GLB, OBJ hulls, manifest)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from tools.provenance import sha256_file
from tools.scene_manifest import load_manifest, parse_manifest, save_manifest

TABLE_TOP_Z = 0.75


def _box(extents, center) -> trimesh.Trimesh:
    return trimesh.creation.box(
        extents, transform=trimesh.transformations.translation_matrix(center)
    )


def _room() -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    floor_visual = trimesh.Trimesh(
        [[-2, -2, 0], [2, -2, 0], [2, 2, 0], [-2, 2, 0]], [[0, 1, 2], [0, 2, 3]], process=False
    )
    floor_visual.visual.face_colors = [180, 170, 150, 255]
    walls = [_box((4.0, 0.1, 2.5), (0, 2.05, 1.25)), _box((0.1, 4.0, 2.5), (2.05, 0, 1.25))]
    hulls = [_box((4.0, 4.0, 0.1), (0, 0, -0.05)), *walls]
    return [floor_visual, *walls], hulls


def _table() -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    top = _box((1.0, 0.6, 0.04), (0, 0, TABLE_TOP_Z - 0.02))
    legs = [
        _box((0.04, 0.04, TABLE_TOP_Z - 0.04), (sx * 0.45, sy * 0.25, (TABLE_TOP_Z - 0.04) / 2))
        for sx in (-1, 1)
        for sy in (-1, 1)
    ]
    parts = [top, *legs]
    visual = trimesh.util.concatenate(parts)
    visual.visual.face_colors = [120, 80, 40, 255]
    return [visual], parts


def _textured_cube(size: float) -> trimesh.Trimesh:
    cube = _box((size, size, size), (0, 0, size / 2))
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    uv = (cube.vertices[:, :2] - cube.vertices[:, :2].min(0)) / size
    material = trimesh.visual.material.PBRMaterial(
        baseColorTexture=image, metallicFactor=0.0, roughnessFactor=0.99
    )
    cube.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return cube


def _box_physics(mass: float, extents, material: str = "wood") -> dict[str, Any]:
    x, y, z = extents
    inertia = [
        mass / 12 * (y * y + z * z),
        mass / 12 * (x * x + z * z),
        mass / 12 * (x * x + y * y),
    ]
    return {
        "mass_kg": mass,
        "static_friction": 0.6,
        "dynamic_friction": 0.5,
        "restitution": 0.1,
        "center_of_mass": [0.0, 0.0, z / 2],
        "inertia_diagonal": inertia,
        "material": material,
    }


def _look_at(eye, target) -> list[float]:
    """wxyz quaternion of a camera at `eye` looking at `target` (-Z forward, +Y up, Z-up world)."""
    forward = np.asarray(target, float) - np.asarray(eye, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2] = right, up, -forward
    return [float(v) for v in trimesh.transformations.quaternion_from_matrix(matrix)]


def _z_rotation(deg: float) -> list[float]:
    half = math.radians(deg) / 2
    return [math.cos(half), 0.0, 0.0, math.sin(half)]


def _write_object(scene_dir: Path, oid: str, visuals, hulls) -> dict[str, Any]:
    folder = scene_dir / "assets" / oid
    (folder / "collision").mkdir(parents=True, exist_ok=True)
    trimesh.Scene(visuals).export(folder / "mesh.glb")
    paths = []
    for k, hull in enumerate(hulls):
        hull.export(folder / "collision" / f"hull_{k}.obj")
        paths.append(f"assets/{oid}/collision/hull_{k}.obj")
    bounds = trimesh.util.concatenate(visuals).bounds
    return {
        "mesh_path": f"assets/{oid}/mesh.glb",
        "format": "glb",
        "sha256": sha256_file(folder / "mesh.glb"),
        "collision_paths": paths,
        "dims": [float(v) for v in bounds[1] - bounds[0]],
    }


def _manifest(scene_id: str, objects, room_half_m: float, base_xy, camera) -> dict[str, Any]:
    """A test scene's manifest: a square room, the robot at `base_xy` working at table_1 and a
    320 x 240 camera at `camera` = (eye, target) looking at the target."""
    eye, target = camera
    return {
        "schema_version": "1.0.0",
        "scene_id": scene_id,
        "room_bounds": {
            "min": [-room_half_m, -room_half_m, 0],
            "max": [room_half_m, room_half_m, 2.5],
        },
        "objects": objects,
        "robot": {"base_pose": {"position": [*base_xy, 0.0]}, "work_surface": "table_1"},
        "camera": {
            "width": 320,
            "height": 240,
            "focal_px": 280.0,
            "pose": {"position": list(eye), "rotation_wxyz": _look_at(eye, target)},
        },
        "provenance": {"source": "test", "data_source": "authored", "seed": 0},
    }


def _object(oid, category, role, position, asset, physics=None, rotation=None, on=None):
    asset = dict(asset)
    dims = asset.pop("dims")
    obj: dict[str, Any] = {
        "id": oid,
        "category": category,
        "sim_role": role,
        "transform": {"position": list(position), "rotation_wxyz": rotation or [1.0, 0, 0, 0]},
        "asset": asset,
        "dimensions": dims,
        "semantics": {"label": category, "class_name": category},
        "provenance": {"source_id": f"{category}__(1, 2)", "pose_source": "authored"},
    }
    if physics is not None:
        obj["physics"] = physics
    if on is not None:
        obj["relationships"] = [{"type": "on_top_of", "target": on}]
    return obj


def build_scene(scene_dir: Path, *, lift: dict[str, float] | None = None) -> Path:
    """Write a room, a table, two objects on it and a crate on the floor; `lift` shifts z."""
    lift = lift or {}
    w = lambda oid, v, h: _write_object(scene_dir, oid, v, h)  # noqa: E731
    room_v, room_h = _room()
    table_v, table_h = _table()
    cube = _textured_cube(0.05)
    can = trimesh.creation.cylinder(0.033, 0.12, sections=20)
    can.apply_translation((0, 0, 0.06))
    can.visual.vertex_colors = [200, 30, 30, 255]
    crate = _box((0.3, 0.2, 0.12), (0, 0, 0.06))
    can_physics = _box_physics(0.35, (0.066, 0.066, 0.12), "aluminium")
    objects = [
        _object("room", "room", "background", (0, 0, 0), w("room", room_v, room_h)),
        _object("table_1", "table", "static", (0.4, 0, 0), w("table_1", table_v, table_h)),
        _object(
            "cube_1",
            "cube",
            "manipulable",
            (0.25, 0.1, TABLE_TOP_Z + lift.get("cube_1", 0)),
            w("cube_1", [cube], [cube.copy()]),
            _box_physics(0.1, (0.05,) * 3),
            _z_rotation(20),
            on="table_1",
        ),
        _object(
            "can-2",
            "can",
            "manipulable",
            (0.55, -0.1, TABLE_TOP_Z + lift.get("can-2", 0)),
            w("can-2", [can], [can.convex_hull]),
            can_physics,
            on="table_1",
        ),
        _object(
            "crate_1",
            "crate",
            "distractor",
            (-0.6, 0.9, lift.get("crate_1", 0)),
            w("crate_1", [crate], [crate.copy()]),
            _box_physics(1.5, (0.3, 0.2, 0.12)),
            _z_rotation(30),
        ),
    ]
    eye, target = (-0.9, -1.3, 1.5), (0.3, 0.1, 0.7)
    manifest = _manifest(scene_dir.name, objects, 2.0, (-0.2, 0.0), (eye, target))
    save_manifest(scene_dir, parse_manifest(copy.deepcopy(manifest)))
    return scene_dir


@pytest.fixture
def make_scene(tmp_path: Path) -> Callable[..., Path]:
    """Factory: build_scene in a fresh folder under tmp_path."""

    def factory(name: str = "scene", **kwargs: Any) -> Path:
        return build_scene(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def assembled_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good scene with its USD assembled (shared by the read-only tests)."""
    from usd_assembly_job.assemble import AssemblyOptions, assemble_scene

    scene_dir = build_scene(tmp_path_factory.mktemp("assembled") / "good_scene")
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    assert load_manifest(scene_dir).objects[0].asset.usd_path
    return scene_dir


def build_articulated_scene(
    scene_dir: Path,
    oid: str,
    category: str,
    mesh: trimesh.Trimesh,
    position: tuple[float, float, float],
    physics: dict[str, Any],
    rotation: list[float] | None = None,
) -> Path:
    """The usd tests' scene plus one static piece of furniture, articulated by simready's
    inference (which must find its parts) and assembled into scene.usda."""
    # Imported here: the other usd tests do not need the simready job.
    from simready_job.articulation import infer_articulation, with_articulations
    from usd_assembly_job.assemble import AssemblyOptions, assemble_scene

    scene = build_scene(scene_dir)
    asset = _write_object(scene, oid, [mesh], [mesh.convex_hull])
    data = load_manifest(scene).model_dump(mode="json")
    data["objects"].append(_object(oid, category, "static", position, asset, physics, rotation))
    manifest = parse_manifest(data)
    obj = manifest.object(oid)
    outcome = infer_articulation(scene, obj, manifest.room_bounds, obj.asset.collision_paths)
    assert outcome is not None and outcome.articulation is not None
    save_manifest(scene, with_articulations(manifest, {oid: outcome}))
    assemble_scene(scene, AssemblyOptions(render_preview=False))
    return scene
