"""A drawer cabinet's hollow carcass: a box dropped into the open drawer rides in as it closes."""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
import pytest
import trimesh

from tests.usd_assembly.conftest import (
    _box_physics,
    build_articulated_scene,
)
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim import load_scene_model

CABINET = "drawers_1"
POSITION = (-1.2, 1.695, 0.0)  # back against the +Y wall (y = 2), front facing -Y


def _cabinet_mesh() -> trimesh.Trimesh:
    """0.45 x 0.6 x 0.75 m, front at -Y, two drawer pulls."""
    parts = [trimesh.creation.box(bounds=[(-0.225, -0.3, 0.0), (0.225, 0.3, 0.75)])]
    for z in (0.2, 0.55):
        parts.append(
            trimesh.creation.box(bounds=[(-0.06, -0.33, z - 0.006), (0.06, -0.3, z + 0.006)])
        )
    mesh = trimesh.util.concatenate(parts)
    mesh.visual.face_colors = [150, 150, 155, 255]
    return mesh


@pytest.fixture(scope="module")
def cabinet_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The usd tests' scene plus a two-drawer filing cabinet, articulated and assembled."""
    physics = _box_physics(30.0, (0.45, 0.6, 0.75), "steel")
    return build_articulated_scene(
        tmp_path_factory.mktemp("hollow") / "scene",
        CABINET,
        "filing_cabinet",
        _cabinet_mesh(),
        POSITION,
        physics,
    )


def test_body_is_a_shell_of_boards_open_behind_the_drawers(cabinet_scene: Path) -> None:
    """The body's colliders are boards; the carcass's middle is free, its outer box covered."""
    articulation = load_manifest(cabinet_scene).object(CABINET).articulation
    assert articulation is not None
    boards = [trimesh.load(cabinet_scene / p) for p in articulation.body.collision_paths]
    assert len(boards) >= 5 and all(len(b.vertices) == 8 for b in boards)
    lo = np.min([b.bounds[0] for b in boards], axis=0)
    hi = np.max([b.bounds[1] for b in boards], axis=0)
    assert lo == pytest.approx((-0.225, -0.3, 0.0), abs=1e-6)
    assert hi == pytest.approx((0.225, 0.3, 0.75), abs=1e-6)
    inside = np.array([[0.0, 0.0, 0.2], [0.1, 0.2, 0.55], [-0.15, -0.25, 0.4]])
    assert not any(b.contains(inside).any() for b in boards)


def test_box_rests_in_the_open_drawer_and_rides_in_when_it_closes(cabinet_scene: Path) -> None:
    """Dropped into the opened top drawer, the cube settles on its floor and closes with it."""
    scene = load_scene_model(cabinet_scene / SCENE_USD_PATH)
    model, data = scene.model, scene.make_data()
    drawer = scene.joints[f"{CABINET}/drawer_1_slide"]
    opened = 0.9 * drawer.limits[1]
    data.qpos[drawer.qpos_adr] = opened
    cube = scene.objects["cube_1"].body_id
    cube_q = int(model.jnt_qposadr[model.body_jntadr[cube]])
    front_y = POSITION[1] - 0.3 - opened  # the drawer front, world y (front faces -Y)
    data.qpos[cube_q : cube_q + 7] = [POSITION[0], front_y + 0.2, 0.47, 1.0, 0.0, 0.0, 0.0]
    mujoco.mj_forward(model, data)
    for _ in range(round(1.5 / model.opt.timestep)):
        mujoco.mj_step(model, data)
    rest = data.xpos[cube].copy()
    assert abs(data.qpos[drawer.qpos_adr] - opened) < 0.01  # the drawer held open
    # The cube's origin is its bottom face: on the tray floor (0.375 + gap + 12 mm board).
    assert rest[2] == pytest.approx(0.39, abs=0.005)
    assert np.linalg.norm(data.cvel[cube]) < 0.05
    for _ in range(round(6.0 / model.opt.timestep)):
        # Closed at a hand's pace (0.1 m/s): a slammed drawer throws its contents to the back.
        speed = data.qvel[drawer.dof_adr]
        data.qfrc_applied[drawer.dof_adr] = float(np.clip(200.0 * (-0.1 - speed), -30.0, 30.0))
        mujoco.mj_step(model, data)
    closed = data.qpos[drawer.qpos_adr]
    assert closed < 0.05 * drawer.limits[1]
    moved = data.xpos[cube] - rest
    assert moved[1] == pytest.approx(opened - closed, abs=0.02)  # along the slide, into the body
    assert abs(moved[0]) < 0.02 and abs(moved[2]) < 0.02
    assert POSITION[1] - 0.3 < data.xpos[cube][1] < POSITION[1] + 0.3  # inside the carcass
