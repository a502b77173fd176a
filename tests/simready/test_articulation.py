"""Doors and drawers inferred from one static furniture mesh, written as parts and joints."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from simready_job.articulation import infer_articulation, with_articulations
from simready_job.articulation_mesh import load_textured, split_by_box
from simready_job.simready import SimreadyOptions, run_simready
from tests.simready.conftest import HalvingDecomposer, SceneBuilder
from tools.llm_client.testing import FakeLLMServer, gemini_client
from tools.scene_layout import SIMREADY_LAYER_PATH
from tools.scene_manifest import RoomBounds, SimRole, load_manifest

ROOM = RoomBounds(min=(-2.0, -2.0, 0.0), max=(2.0, 2.0, 2.5))


def box(lo: tuple[float, float, float], hi: tuple[float, float, float]) -> trimesh.Trimesh:
    return trimesh.creation.box(bounds=np.array([lo, hi]))


def furniture(
    width: float, depth: float, height: float, handles: list[tuple[float, float, bool]]
) -> trimesh.Trimesh:
    """A box body (front at -Y) with bar handles at (x, z), vertical when the flag is set."""
    parts = [box((-width / 2, -depth / 2, 0.0), (width / 2, depth / 2, height))]
    for x, z, vertical in handles:
        hw, hh = (0.015, 0.15) if vertical else (0.06, 0.006)
        parts.append(box((x - hw, -depth / 2 - 0.03, z - hh), (x + hw, -depth / 2, z + hh)))
    return trimesh.util.concatenate(parts)


def _scene(
    scene_factory: SceneBuilder,
    category: str,
    mesh: trimesh.Trimesh,
    position: tuple[float, float, float],
) -> Path:
    scene = scene_factory(extra=[("unit_1", category, "static", mesh)])
    path = scene / "assets" / "scene_manifest.json"
    data = json.loads(path.read_text())
    data["objects"][-1]["transform"]["position"] = list(position)
    path.write_text(json.dumps(data))
    return scene


def _run(scene: Path) -> None:
    run_simready(scene, SimreadyOptions(articulation=True), decomposer=HalvingDecomposer())


def test_fridge_two_doors_hinged_opposite_their_handles(scene_factory: SceneBuilder) -> None:
    """Two vertical handles on the right: two stacked doors hinged on the left, axis down."""
    mesh = furniture(0.7, 0.65, 1.8, [(0.28, 0.7, True), (0.28, 1.3, True)])
    scene = _scene(scene_factory, "refrigerator", mesh, (0.0, 1.6, 0.0))
    _run(scene)
    obj = load_manifest(scene).object("unit_1")
    assert obj.sim_role is SimRole.ARTICULATED and obj.articulation is not None
    art = obj.articulation
    assert art.front == (0.0, -1.0, 0.0) and art.source == "handles"
    assert [j.hinge_side for j in art.joints] == ["left", "left"]
    for joint in art.joints:
        assert joint.type == "revolute" and joint.axis == (0.0, 0.0, -1.0)
        assert joint.origin[0] == pytest.approx(-0.35) and joint.upper == pytest.approx(
            math.radians(110)
        )
    lower, upper = (art.part(j.child_part) for j in art.joints)
    assert lower.bounds_max[2] <= upper.bounds_min[2] + 1e-6  # split between the handles
    for part in art.parts:
        assert (scene / part.mesh_path).is_file()
        assert all((scene / p).is_file() for p in part.collision_paths)
    # The carcass is a hollow shell of boards (sides, floor, top, back), not the solid hull.
    assert len(art.body.collision_paths) == 5
    assert all("/parts/body_collision_" in p for p in art.body.collision_paths)


def test_filing_cabinet_drawers_slide_out_of_the_front(scene_factory: SceneBuilder) -> None:
    """Three horizontal handles in a column: three drawers sliding along the front normal."""
    mesh = furniture(0.45, 0.6, 1.2, [(0.0, 0.2, False), (0.0, 0.6, False), (0.0, 1.0, False)])
    scene = _scene(scene_factory, "filing_cabinet", mesh, (1.0, 1.65, 0.0))
    _run(scene)
    art = load_manifest(scene).object("unit_1").articulation
    assert art is not None
    kinds = sorted(p.kind for p in art.parts)
    assert kinds == ["body", "drawer", "drawer", "drawer"]
    for joint in art.joints:
        assert joint.type == "prismatic" and joint.axis == (0.0, -1.0, 0.0)
        assert 0.1 <= joint.upper <= 0.6 and joint.hinge_side is None
    drawer = art.part("drawer_1")
    assert drawer.handle is not None and drawer.handle[2] == pytest.approx(0.6)
    assert len(drawer.collision_paths) == 6  # front, handle and a four-box tray


def test_front_from_the_wall_without_handles(scene_factory: SceneBuilder) -> None:
    """A plain cabinet backed against the +Y wall faces -Y and gets prior doors."""
    mesh = furniture(0.9, 0.55, 0.85, [])
    scene = _scene(scene_factory, "cabinet", mesh, (0.0, 1.7, 0.0))
    _run(scene)
    obj = load_manifest(scene).object("unit_1")
    assert obj.articulation is not None and obj.articulation.source == "priors"
    assert obj.articulation.front == (0.0, -1.0, 0.0)
    assert [j.hinge_side for j in obj.articulation.joints] == ["left", "right"]
    assert any("front by wall" in n for n in obj.provenance.notes)


def test_free_standing_plain_cabinet_stays_static_with_a_reason(
    scene_factory: SceneBuilder,
) -> None:
    """No handles and no wall: the object stays static and the note says why."""
    scene = _scene(scene_factory, "cabinet", furniture(0.9, 0.55, 0.85, []), (0.0, 0.0, 0.0))
    _run(scene)
    obj = load_manifest(scene).object("unit_1")
    assert obj.sim_role is SimRole.STATIC and obj.articulation is None
    assert (
        "simready: articulation: static: front unknown (no handles, not against a wall)"
        in obj.provenance.notes
    )


def test_oven_flap_is_hinged_at_the_bottom_and_counterbalanced(
    scene_factory: SceneBuilder,
) -> None:
    """An oven's horizontal handle makes a bottom-hinged flap with a counterbalance spring."""
    mesh = furniture(0.6, 0.6, 0.9, [(0.0, 0.75, False)])
    scene = _scene(scene_factory, "oven", mesh, (0.0, 1.65, 0.0))
    _run(scene)
    art = load_manifest(scene).object("unit_1").articulation
    assert art is not None
    (joint,) = art.joints
    assert joint.hinge_side == "bottom" and joint.axis == (1.0, 0.0, 0.0)
    door = art.part(joint.child_part)
    weight_torque = door.mass_kg * 9.81 * (door.bounds_max[2] - door.bounds_min[2]) / 2
    assert joint.spring is not None and joint.spring.rest <= 0.0  # pulls towards closed
    # About m g l 2/pi; friction about a quarter of m g l, not more than the weight's torque.
    assert joint.spring.stiffness == pytest.approx(weight_torque * 2 / math.pi, rel=0.3)
    assert 0.2 * weight_torque < joint.friction < 0.4 * weight_torque


def test_rerun_writes_the_same_manifest(scene_factory: SceneBuilder) -> None:
    """Running simready twice gives the same bytes (notes replaced, not appended)."""
    mesh = furniture(0.7, 0.65, 1.8, [(0.28, 0.7, True)])
    scene = _scene(scene_factory, "refrigerator", mesh, (0.0, 1.6, 0.0))
    _run(scene)
    first = (scene / SIMREADY_LAYER_PATH).read_bytes()
    _run(scene)
    assert (scene / SIMREADY_LAYER_PATH).read_bytes() == first


def test_desk_without_handles_and_unknown_categories_are_left_alone(
    scene_factory: SceneBuilder,
) -> None:
    """A desk needs visible pulls; a table is not furniture that opens."""
    scene = _scene(scene_factory, "desk", furniture(1.4, 0.7, 0.75, []), (0.0, 1.6, 0.0))
    manifest = load_manifest(scene)
    desk = manifest.object("unit_1").model_copy(
        update={"physics": manifest.object("table_1").physics}
    )
    assert infer_articulation(scene, manifest.object("table_1"), ROOM, ()) is None
    _run(scene)
    notes = load_manifest(scene).object("unit_1").provenance.notes
    assert "simready: articulation: static: no handles on this desk" in notes
    assert desk.articulation is None
    assert with_articulations(load_manifest(scene), {}).object("unit_1").provenance.notes == tuple(
        n for n in notes if "articulation" not in n
    )


def test_cut_keeps_texture_coordinates(tmp_path: Path) -> None:
    """A door cut from one textured quad keeps UVs interpolated on the cut line."""
    quad = trimesh.Trimesh(
        vertices=[[-0.5, 0, 0], [0.5, 0, 0], [0.5, 0, 1], [-0.5, 0, 1]],
        faces=[[0, 1, 2], [0, 2, 3]],
    )
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.new("RGB", (4, 4)))
    quad.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    path = tmp_path / "quad.glb"
    path.write_bytes(quad.export(file_type="glb"))
    (loaded,) = load_textured(path, "quad.glb")
    inside, outside = split_by_box([loaded], (np.array([0.0, -1, -1]), np.array([1.0, 1, 2])))
    piece = trimesh.util.concatenate(inside)
    assert piece.bounds[0][0] == pytest.approx(0.0)
    assert piece.visual.uv[:, 0].min() == pytest.approx(0.5)
    assert sum(m.area for m in inside + outside) == pytest.approx(1.0)


def test_cut_drops_pieces_mujoco_cannot_compile() -> None:
    """A lone debris triangle (3 vertices, as noisy scans carry) is not kept as a piece: MuJoCo
    refuses meshes of fewer than 4 vertices (a realistic fridge's body failed the usd step)."""
    debris = trimesh.Trimesh(vertices=[[0.1, 0, 0], [0.2, 0, 0], [0.1, 0, 0.1]], faces=[[0, 1, 2]])
    cube = trimesh.creation.box(extents=(0.4, 0.4, 0.4))
    cube.apply_translation((0.5, 0, 0.5))
    inside, outside = split_by_box([debris, cube], (np.array([0.4, -1, -1]), np.array([1.0, 1, 2])))
    pieces = inside + outside
    assert pieces and all(len(np.unique(p.faces)) >= 4 for p in pieces)
    assert sum(p.area for p in pieces) == pytest.approx(cube.area)


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(model_version="gemini-test-001") as fake:
        yield fake


def test_llm_layout_is_clamped_recorded_and_reused(
    scene_factory: SceneBuilder, llm_server: FakeLLMServer
) -> None:
    """Without handles the LLM's answer decides, bounded by the facade; a rerun reuses it."""
    scene = _scene(scene_factory, "cabinet", furniture(0.8, 0.55, 0.85, []), (0.0, 1.7, 0.0))
    physics = {"material": "ceramic", "mass_kg": 0.3, "static_friction": 0.6}
    llm_server.reply_json({**physics, "dynamic_friction": 0.5, "restitution": 0.2})  # the mug
    llm_server.reply_json({"doors": 9, "drawers": 1, "hinge": "left"})
    options = SimreadyOptions(articulation=True)
    for _ in range(2):
        run_simready(
            scene,
            options,
            decomposer=HalvingDecomposer(),
            llm_client=gemini_client(llm_server, attempts=2, breaker="t"),
        )
    assert len(llm_server.requests) == 2  # the mug's physics and the layout, once each
    obj = load_manifest(scene).object("unit_1")
    assert obj.articulation is not None and obj.articulation.source == "llm:gemini-test"
    kinds = [p.kind for p in obj.articulation.parts]
    assert kinds.count("door") == 3 and kinds.count("drawer") == 1  # 0.8 m holds 3 doors
    assert any("llm doors 9 clamped to 3" in n for n in obj.provenance.notes)


def test_llm_failure_falls_back_to_priors(
    scene_factory: SceneBuilder, llm_server: FakeLLMServer
) -> None:
    """A malformed answer leaves the category priors in charge."""
    scene = _scene(scene_factory, "cabinet", furniture(0.8, 0.55, 0.85, []), (0.0, 1.7, 0.0))
    llm_server.reply_text("two doors, I think", times=5)
    run_simready(
        scene,
        SimreadyOptions(articulation=True),
        decomposer=HalvingDecomposer(),
        llm_client=gemini_client(llm_server, attempts=2, breaker="t"),
    )
    art = load_manifest(scene).object("unit_1").articulation
    assert art is not None and art.source == "priors"


def test_furniture_in_front_cuts_the_drawer_travel(scene_factory: SceneBuilder) -> None:
    """A box standing 0.25 m in front of the lower drawer limits it; the upper one is free."""
    mesh = furniture(0.45, 0.6, 0.9, [(0.0, 0.25, False), (0.0, 0.7, False)])
    scene = _scene(scene_factory, "filing_cabinet", mesh, (0.0, 1.65, 0.0))
    path = scene / "assets" / "scene_manifest.json"
    data = json.loads(path.read_text())
    table = data["objects"][0]  # the sample table: move it in front, low enough for one drawer
    table["transform"]["position"] = [0.0, 1.35 - 0.25 - 0.3, 0.0]
    table["dimensions"] = [0.6, 0.6, 0.45]
    path.write_text(json.dumps(data))
    _run(scene)
    art = load_manifest(scene).object("unit_1").articulation
    assert art is not None
    lower, upper = (j.upper for j in art.joints)
    assert lower == pytest.approx(0.25 - 0.05, abs=0.01)
    assert upper == pytest.approx(0.75 * 0.63)  # 3/4 of the depth, handle included
