"""Flat bases: hulls stand on a contact patch, so reconstructed objects rest as reconstructed."""

from __future__ import annotations

import mujoco
import numpy as np
import trimesh

from simready_job.convex_pieces import ConvexPiece, hull_piece
from simready_job.flat_base import BASE_BAND_M, flat_base, flat_tops


def _piece(mesh: trimesh.Trimesh, budget: int = 64) -> ConvexPiece:
    piece = hull_piece(np.asarray(mesh.vertices), budget)
    assert piece is not None
    return piece


def _lemon() -> trimesh.Trimesh:
    """A prolate ellipsoid lying on its side (long axis X), resting at z = 0."""
    sphere = trimesh.creation.icosphere(subdivisions=4)
    sphere.vertices *= [0.037, 0.029, 0.029]
    sphere.vertices[:, 2] += 0.029
    return sphere


def _bottom_area(piece: ConvexPiece) -> float:
    tri = piece.vertices[piece.faces]
    lowest = piece.vertices[:, 2].min()
    flat = np.all(np.abs(tri[:, :, 2] - lowest) < 1e-9, axis=1)
    return float(
        np.linalg.norm(
            np.cross(tri[flat, 1] - tri[flat, 0], tri[flat, 2] - tri[flat, 0]), axis=1
        ).sum()
        / 2
    )


def _settled_tilt_deg(piece: ConvexPiece) -> float:
    """Tilt from upright after 3 s on a plane, dropped from 0.5 mm in its asset pose."""
    verts = " ".join(f"{v:.9g}" for v in piece.vertices.ravel())
    xml = f"""<mujoco><option timestep="0.002"/>
      <asset><mesh name="hull" vertex="{verts}"/></asset>
      <worldbody><geom type="plane" size="1 1 0.1"/>
        <body pos="0 0 0.0005"><freejoint/>
          <geom type="mesh" mesh="hull" density="930" condim="6"
                friction="0.6 0.005 0.001"/></body></worldbody></mujoco>"""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    for _ in range(1500):
        mujoco.mj_step(model, data)
    return float(np.degrees(np.arccos(min(1.0, data.xmat[1][8]))))


def test_a_round_hull_gets_a_contact_patch_and_keeps_its_budget():
    piece = _piece(_lemon())
    pressed = flat_base([piece], 64)[0]
    assert _bottom_area(piece) < 1e-6
    assert _bottom_area(pressed) > 5e-5  # a patch of about 1 cm radius
    assert len(pressed.vertices) <= 64
    assert pressed.vertices[:, 2].min() == piece.vertices[:, 2].min()
    # Nothing above the band moves.
    high = piece.vertices[:, 2] > piece.vertices[:, 2].min() + BASE_BAND_M + 1e-9
    kept = {tuple(v) for v in pressed.vertices}
    assert all(tuple(v) in kept for v in piece.vertices[high])


def test_a_bulged_base_is_pressed_flat():
    can = trimesh.creation.cylinder(radius=0.033, height=0.12, sections=48)
    can.vertices[:, 2] += 0.06
    rim = can.vertices[:, 2] < 1e-9
    radial = np.linalg.norm(can.vertices[:, :2], axis=1)
    can.vertices[rim, 2] = 0.002 * (radial[rim] / 0.033) ** 2  # the rim lifted 2 mm
    pressed = flat_base([_piece(can)], 64)[0]
    assert _bottom_area(pressed) > 0.8 * np.pi * 0.033**2


def test_flat_bottoms_and_pieces_above_the_band_are_untouched():
    box = trimesh.creation.box(extents=(0.1, 0.06, 0.2))
    box.vertices[:, 2] += 0.1
    lid = trimesh.creation.box(extents=(0.05, 0.05, 0.02))
    lid.vertices[:, 2] += 0.21
    pieces = [_piece(box), _piece(lid)]
    assert flat_base(pieces, 64) == tuple(pieces)


def test_a_lemon_rests_where_it_was_put_only_with_a_flat_base():
    piece = _piece(_lemon())
    assert _settled_tilt_deg(piece) > 2.0  # a vertex at the bottom: it rocks onto a facet
    assert _settled_tilt_deg(flat_base([piece], 64)[0]) < 0.5


def _noisy_board() -> ConvexPiece:
    """A 1 m shelf board whose top is a millimetre of scan noise (as its 64-vertex hull)."""
    board = trimesh.creation.box(extents=(1.0, 0.4, 0.03)).subdivide_to_size(0.02)
    vertices = np.asarray(board.vertices).copy()
    top = vertices[:, 2] > 0.014
    vertices[top, 2] += np.random.default_rng(0).uniform(-0.001, 0.001, int(top.sum()))
    piece = hull_piece(vertices, 64)
    assert piece is not None
    return piece


def _box_move_mm(board: ConvexPiece) -> tuple[float, int]:
    """How far a 100 g box set on the board moves in 3 s, and its contacts at the end."""
    box = _piece(trimesh.creation.box(extents=(0.11, 0.105, 0.06)))
    board_v, box_v = (" ".join(f"{v:.9g}" for v in p.vertices.ravel()) for p in (board, box))
    z = board.vertices[:, 2].max() + 0.03 + 0.0005
    xml = f"""<mujoco><option timestep="0.002" cone="elliptic" impratio="10"
                     integrator="implicitfast"/>
      <asset><mesh name="board" vertex="{board_v}"/><mesh name="box" vertex="{box_v}"/></asset>
      <worldbody><geom type="mesh" mesh="board"/>
        <body pos="0.1 0.05 {z}" euler="0 0 0.9"><freejoint/>
          <geom type="mesh" mesh="box" mass="0.1" condim="6" friction="0.5 0.005 0.001"/>
        </body></worldbody></mujoco>"""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    start = data.xpos[1].copy()
    for _ in range(1500):
        mujoco.mj_step(model, data)
    return float(np.linalg.norm(data.xpos[1] - start) * 1000), int(data.ncon)


def test_a_noisy_top_is_pressed_flat_so_a_box_on_it_stays():
    """On a top of facets a millimetre apart MuJoCo finds one contact and the box walks (a
    small box slid 6.5 cm along a realistic shelf); on the flat top it has four and stays."""
    board = _noisy_board()
    flat = flat_tops([board], 64)[0]
    top = flat.vertices[:, 2] >= flat.vertices[:, 2].max() - BASE_BAND_M
    assert np.all(flat.vertices[top, 2] == board.vertices[:, 2].max())
    assert len(flat.vertices) <= 64 and flat.volume >= board.volume
    assert np.array_equal(flat.vertices[:, 2].min(), board.vertices[:, 2].min())
    moved, contacts = _box_move_mm(board)
    assert moved > 5.0 and contacts == 1
    moved, contacts = _box_move_mm(flat)
    assert moved < 1.0 and contacts >= 3
