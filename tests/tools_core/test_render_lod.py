"""render_lod: dense untextured meshes are drawn simplified, with the same look and depth."""

from __future__ import annotations

import mujoco
import numpy as np
import trimesh

from tools.sim.render import OffscreenRenderer
from tools.sim.render_lod import collision_duplicates, face_budget, render_model

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


CUBE = "-1 -1 -1  1 -1 -1  1 1 -1  -1 1 -1  -1 -1 1  1 -1 1  1 1 1  -1 1 1"
# A URDF-style link (visual mesh in group 1, collision hull in group 0, both drawn by default)
# beside a body whose only mesh collides: only the first hull doubles a visual mesh.
HULLS = f"""
<mujoco>
  <asset>
    <mesh name="link_visual" vertex="{CUBE}" scale="0.05 0.05 0.05"/>
    <mesh name="link_hull" vertex="{CUBE}" scale="0.1 0.1 0.1"/>
    <mesh name="crate" vertex="{CUBE}" scale="0.1 0.1 0.1"/>
  </asset>
  <worldbody>
    <body name="link" pos="-0.3 0 0.1">
      <geom type="mesh" mesh="link_visual" group="1" contype="0" conaffinity="0"/>
      <geom type="mesh" mesh="link_hull" group="0"/>
    </body>
    <body name="crate" pos="0.3 0 0.1">
      <geom type="mesh" mesh="crate" group="0"/>
    </body>
    <camera name="top" pos="0 0 1.5" xyaxes="1 0 0 0 1 0" fovy="60"/>
  </worldbody>
</mujoco>"""


def test_collision_hulls_that_double_a_visual_mesh_are_not_drawn():
    model = mujoco.MjModel.from_xml_string(HULLS)
    assert collision_duplicates(model) == [1]  # link_hull; the crate's mesh is its only look
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    pixels = {}
    for budget in (None, "auto"):
        with OffscreenRenderer(model, 64, 64, mesh_face_budget=budget) as renderer:
            frame = renderer.render_layers(data, "top", segmentation=True)
        assert frame.body_ids is not None
        pixels[budget] = {b: int((frame.body_ids == b).sum()) for b in (1, 2)}
    link, crate = (mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, n) for n in ("link", "crate"))
    assert pixels["auto"][crate] == pixels[None][crate] > 0
    # the visual cube is half the hull's size: a quarter of its pixels
    assert 0.15 < pixels["auto"][link] / pixels[None][link] < 0.35
    assert model.mesh_facenum[1] == 12  # the physics model keeps its hull


def test_the_face_budget_follows_the_frame_size():
    assert face_budget(128, 128) == 1024
    assert face_budget(256, 192) == 2048
    assert face_budget(32, 32) == 500


def test_small_frames_draw_coarser_spheres_and_the_model_keeps_its_quality():
    """At 64 px a sphere made with 16 slices and 8 stacks covers the same pixels within a
    silhouette's worth; the model's own subdivision is back after the context is made."""
    model = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><geom type="sphere" size="0.2" pos="0 0 0.2"/>'
        '<camera name="c" pos="0 -1 0.4" xyaxes="1 0 0 0 0.4 1"/></worldbody></mujoco>'
    )
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    ids = []
    for budget in (None, "auto"):
        with OffscreenRenderer(model, 64, 64, mesh_face_budget=budget) as renderer:
            ids.append(renderer.render_layers(data, "c", segmentation=True).geom_ids)
        assert (model.vis.quality.numslices, model.vis.quality.numstacks) == (28, 16)
    full, coarse = ids
    assert full is not None and coarse is not None
    assert (full == 0).sum() > 400 and np.mean(full != coarse) < 0.02
