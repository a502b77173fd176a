"""render_lod: dense untextured meshes are drawn simplified, with the same look and depth."""

from __future__ import annotations

import mujoco
import numpy as np
import trimesh

from tools.sim.render import OffscreenRenderer
from tools.sim.render_lod import render_model

SPHERE = trimesh.creation.icosphere(subdivisions=5, radius=0.2)  # 20,480 faces


def _model(textured: bool) -> mujoco.MjModel:
    vertices = " ".join(f"{v:.6f}" for v in SPHERE.vertices.ravel())
    faces = " ".join(str(int(i)) for i in SPHERE.faces.ravel())
    texture = '<texture name="t" type="2d" builtin="checker" width="8" height="8"/>'
    material = '<material name="m" texture="t"/>' if textured else '<material name="m"/>'
    return mujoco.MjModel.from_xml_string(f"""
<mujoco>
  <asset>{texture if textured else ""}{material}
    <mesh name="ball" vertex="{vertices}" face="{faces}"/>
  </asset>
  <worldbody>
    <geom type="plane" size="2 2 0.1"/>
    <geom type="mesh" mesh="ball" material="m" pos="0 0 0.2"/>
    <camera name="top" pos="0 0 1.5" xyaxes="1 0 0 0 1 0" fovy="40"/>
  </worldbody>
</mujoco>""")


def test_a_dense_mesh_is_drawn_from_a_simplified_copy_with_the_same_depth():
    model = _model(textured=False)
    low = render_model(model, 2000)
    assert low is not model and low.mesh_facenum[0] <= 2100
    assert model.mesh_facenum[0] == len(SPHERE.faces)  # the original is untouched
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    frames = []
    for budget in (None, 2000):
        with OffscreenRenderer(model, 64, 64, mesh_face_budget=budget) as renderer:
            frames.append(renderer.render_layers(data, "top", depth=True, segmentation=True))
    full, simplified = frames
    assert full.depth_m is not None and simplified.depth_m is not None
    off = np.abs(full.depth_m - simplified.depth_m) > 0.003  # 3 mm on a 20 cm ball
    assert off.mean() < 0.02  # only silhouette pixels may flip between ball and floor
    assert full.rgb is not None and simplified.rgb is not None
    assert np.abs(full.rgb.astype(int) - simplified.rgb).mean() < 2.0
    assert full.geom_ids is not None and simplified.geom_ids is not None
    assert np.mean(full.geom_ids != simplified.geom_ids) < 0.02


def test_textured_and_light_meshes_are_kept():
    textured = _model(textured=True)
    assert render_model(textured, 2000) is textured
    assert render_model(_model(textured=False), 50_000).mesh_facenum[0] == len(SPHERE.faces)
    assert render_model(textured, None) is textured
