"""Flat bases: hulls stand on a contact patch, so reconstructed objects rest as reconstructed."""

from __future__ import annotations

import mujoco
import numpy as np
import trimesh

from simready_job.convex_pieces import ConvexPiece, hull_piece
from simready_job.flat_base import BASE_BAND_M, flat_base


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
