"""Scenes over MuJoCo's renderer material limit: the smallest objects get flat colours."""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
import pytest
from pxr import Usd, UsdShade

from tools.sim import LoaderOptions, load_scene_model
from tools.sim.material_budget import flat_colour, importable_scene
from tools.sim.render import OffscreenRenderer, RenderError


def _geom_rgba(spec: mujoco.MjSpec, fragment: str) -> tuple[str, np.ndarray]:
    geom = next(g for g in spec.geoms if fragment in g.name and "/Visual/" in g.name)
    return geom.material, np.asarray(geom.rgba)


def test_within_the_budget_the_scene_itself_is_imported(assembled_scene: Path):
    """No overlay, no note, every material kept."""
    scene = assembled_scene / "usd" / "scene.usda"
    notes: list[str] = []
    with importable_scene(Usd.Stage.Open(str(scene)), scene, notes) as path:
        assert path == scene
    assert notes == []


def test_over_the_budget_the_smallest_objects_get_their_mean_colour(assembled_scene: Path):
    """Budget 2: the room and table keep materials; the 5 cm textured cube becomes the mean
    colour of its texture; the scene file is untouched and the overlay is removed."""
    scene = assembled_scene / "usd" / "scene.usda"
    before = scene.read_bytes()
    stage = Usd.Stage.Open(str(scene))
    full = mujoco.MjSpec.from_file(str(scene))
    notes: list[str] = []
    with importable_scene(stage, scene, notes, budget=2) as path:
        assert path != scene and path.is_file()
        spec = mujoco.MjSpec.from_file(str(path))
    assert not path.exists()
    assert scene.read_bytes() == before
    assert len(spec.materials) == 2 < len(full.materials)
    assert len(notes) == 1 and "mean texture colour" in notes[0]
    material, rgba = _geom_rgba(spec, "cube_1")
    assert material == ""
    assert np.allclose(rgba[:3], 0.5, atol=0.1)  # its texture: uniform random pixels
    kept = {m.name for m in spec.materials}
    assert all("cube_1" not in name for name in kept)


def test_flat_colour_of_an_untextured_material_is_its_diffuse_colour(assembled_scene: Path):
    """The red can: diffuse colour 200/255, 30/255, 30/255."""
    stage = Usd.Stage.Open(str(assembled_scene / "usd" / "scene.usda"))
    can = next(
        p
        for p in stage.Traverse()
        if "/Objects/can" in str(p.GetPath()) and p.GetName() == "mesh_0"
    )
    material, _ = UsdShade.MaterialBindingAPI(can).ComputeBoundMaterial()
    assert flat_colour(material) == pytest.approx((200 / 255, 30 / 255, 30 / 255), abs=0.02)


def test_the_loader_applies_the_budget(assembled_scene: Path):
    """load_scene_model goes through the budget and records it among its completions."""
    loaded = load_scene_model(
        assembled_scene / "usd" / "scene.usda", LoaderOptions(material_budget=1)
    )
    assert loaded.model.nmat == 1
    assert any("mean texture colour" in note for note in loaded.completed)


def test_a_model_the_renderer_cannot_hold_is_a_render_error():
    """More materials than MuJoCo's renderer takes: RenderError (a preview is then skipped)."""
    spec = mujoco.MjSpec()
    for index in range(1001):
        spec.add_material(name=f"m{index}")
    model = spec.compile()
    with pytest.raises(RenderError, match="refused the model"):
        OffscreenRenderer(model, 32, 32)
