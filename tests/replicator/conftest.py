"""Fixtures: a small assembled scene (room, table, turned shelf, objects) and its bundle."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import trimesh

from tests.usd_assembly.conftest import _box, _box_physics, _manifest, _write_object, _z_rotation
from tools.scene_manifest import parse_manifest, save_manifest

TABLE_TOP = 0.75
SHELF_BOARDS = (0.02, 0.42, 0.82)  # tops of the boards; the shelf's top board is at 1.22
SHELF_TOP = 1.22
SHELF_YAW_DEG = 30.0


def _room():
    floor = trimesh.Trimesh(
        [[-3, -3, 0], [3, -3, 0], [3, 3, 0], [-3, 3, 0]], [[0, 1, 2], [0, 2, 3]], process=False
    )
    walls = [_box((6.0, 0.1, 2.5), (0, 3.05, 1.25)), _box((0.1, 6.0, 2.5), (-3.05, 0, 1.25))]
    return [floor, *walls], [_box((6.0, 6.0, 0.1), (0, 0, -0.05)), *walls]


def _table():
    parts = [_box((1.0, 0.6, 0.04), (0, 0, TABLE_TOP - 0.02))]
    leg = TABLE_TOP - 0.04
    parts += [
        _box((0.04, 0.04, leg), (sx * 0.45, sy * 0.25, leg / 2)) for sx in (-1, 1) for sy in (-1, 1)
    ]
    return [trimesh.util.concatenate(parts)], parts


def _shelf():
    parts = [_box((0.02, 0.3, SHELF_TOP), (sx * 0.39, 0, SHELF_TOP / 2)) for sx in (-1, 1)]
    parts.append(_box((0.76, 0.02, SHELF_TOP), (0, 0.14, SHELF_TOP / 2)))
    parts += [
        _box((0.76, 0.28, 0.02), (0, -0.01, top - 0.01)) for top in (*SHELF_BOARDS, SHELF_TOP)
    ]
    return [trimesh.util.concatenate(parts)], parts


def _write(scene_dir: Path, oid: str, visuals, hulls) -> dict[str, Any]:
    for mesh in visuals:
        mesh.visual.face_colors = [150, 120, 90, 255]
    return _write_object(scene_dir, oid, visuals, hulls)


def _physics(mass: float, extents, ranges: dict | None = None) -> dict[str, Any]:
    """The usd tests' solid box physics, without a material, with randomization ranges."""
    physics = _box_physics(mass, extents)
    del physics["material"]
    return {**physics, "ranges": ranges or {}}


def _object(oid, category, role, position, asset, physics=None, yaw=0.0, on=None) -> dict[str, Any]:
    asset = dict(asset)
    dims = asset.pop("dims")
    obj = {
        "id": oid,
        "category": category,
        "sim_role": role,
        "transform": {"position": list(position), "rotation_wxyz": _z_rotation(yaw)},
        "asset": asset,
        "dimensions": dims,
        "semantics": {"label": category, "class_name": category},
        "provenance": {"source_id": f"{category}__(1, 2)", "pose_source": "authored"},
        "relationships": [{"type": "on_top_of", "target": on}] if on else [],
    }
    if physics is not None:
        obj["physics"] = physics
    return obj


def build_scene(scene_dir: Path) -> Path:
    """Room, table (work surface with objects), turned shelf (a box on a middle board), crate."""
    w = lambda oid, v, h: _write(scene_dir, oid, v, h)  # noqa: E731
    room_v, room_h = _room()
    table_v, table_h = _table()
    shelf_v, shelf_h = _shelf()
    cube = _box((0.05, 0.05, 0.05), (0, 0, 0.025))
    can = trimesh.creation.cylinder(0.033, 0.12, sections=16)
    can.apply_translation((0, 0, 0.06))
    box = _box((0.08, 0.05, 0.15), (0, 0, 0.075))
    crate = _box((0.3, 0.2, 0.12), (0, 0, 0.06))
    cube_ranges = {
        "mass_kg": (0.08, 0.12),
        "static_friction": (0.5, 0.7),
        "dynamic_friction": (0.4, 0.55),
    }
    shelf_xy = (-0.9, 1.3)
    board = (
        shelf_xy[0] + 0.01 * math.sin(math.radians(SHELF_YAW_DEG)),
        shelf_xy[1] - 0.01 * math.cos(math.radians(SHELF_YAW_DEG)),
    )
    objects = [
        _object("room", "room", "background", (0, 0, 0), w("room", room_v, room_h)),
        _object(
            "table_1",
            "table",
            "static",
            (0.6, 0, 0),
            w("table_1", table_v, table_h),
            _physics(20.0, (1, 0.6, 0.75)),
        ),
        _object(
            "shelf_1",
            "shelf",
            "static",
            (*shelf_xy, 0),
            w("shelf_1", shelf_v, shelf_h),
            yaw=SHELF_YAW_DEG,
        ),
        _object(
            "cube_1",
            "cube",
            "manipulable",
            (0.45, 0.1, TABLE_TOP),
            w("cube_1", [cube], [cube.copy()]),
            _physics(0.1, (0.05,) * 3, cube_ranges),
            20.0,
            "table_1",
        ),
        _object(
            "can-2",
            "can",
            "manipulable",
            (0.6, -0.15, TABLE_TOP),
            w("can-2", [can], [can.convex_hull]),
            _physics(0.35, (0.066, 0.066, 0.12)),
            0.0,
            "table_1",
        ),
        _object(
            "box_1",
            "box",
            "manipulable",
            (0.4, -0.1, TABLE_TOP),
            w("box_1", [box], [box.copy()]),
            _physics(0.3, (0.08, 0.05, 0.15)),
            -15.0,
            "table_1",
        ),
        _object(
            "box_2",
            "box",
            "manipulable",
            (*board, SHELF_BOARDS[1]),
            w("box_2", [box.copy()], [box.copy()]),
            _physics(0.3, (0.08, 0.05, 0.15)),
            SHELF_YAW_DEG,
            "shelf_1",
        ),
        _object(
            "crate_1",
            "crate",
            "distractor",
            (1.2, 1.4, 0),
            w("crate_1", [crate], [crate.copy()]),
            _physics(1.5, (0.3, 0.2, 0.12)),
            30.0,
        ),
    ]
    eye, target = (1.6, -1.4, 1.6), (0.5, 0.0, 0.75)
    manifest = _manifest(scene_dir.name, objects, 3.0, (0.0, 0.0), (eye, target))
    save_manifest(scene_dir, parse_manifest(manifest))
    return scene_dir


def assembled(scene_dir: Path) -> Path:
    """build_scene plus the usd step's outputs."""
    from usd_assembly_job.assemble import AssemblyOptions, assemble_scene

    build_scene(scene_dir)
    assemble_scene(scene_dir, AssemblyOptions(render_preview=False))
    return scene_dir


@pytest.fixture(scope="session")
def usd_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An assembled scene without a bundle (read-only; copy it to modify)."""
    return assembled(tmp_path_factory.mktemp("replicator") / "rep_scene")


@pytest.fixture(scope="session")
def bundle_scene(usd_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the assembled scene with its replicator bundle (seed 0, 3 samples per policy)."""
    from replicator_job.bundle import StepOptions, build_bundle

    scene_dir = tmp_path_factory.mktemp("bundle") / "rep_scene"
    shutil.copytree(usd_scene, scene_dir)
    build_bundle(scene_dir, StepOptions(sample_episodes=3))
    return scene_dir


@pytest.fixture
def scene_copy(usd_scene: Path, tmp_path: Path):
    """Factory: a fresh copy of the assembled scene under tmp_path."""

    def factory(name: str = "rep_scene") -> Path:
        target = tmp_path / name
        shutil.copytree(usd_scene, target)
        return target

    return factory


@pytest.fixture(scope="session")
def layout_facts() -> dict[str, Any]:
    """The built scene's dimensions the tests compare against."""
    return {
        "table_top": TABLE_TOP,
        "shelf_boards": SHELF_BOARDS,
        "shelf_top": SHELF_TOP,
        "shelf_yaw_deg": SHELF_YAW_DEG,
    }
