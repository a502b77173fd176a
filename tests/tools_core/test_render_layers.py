"""OffscreenRenderer's depth and segmentation layers against the scene's known geometry."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from tools.sim.render import OffscreenRenderer

# A camera 1.5 m above the floor looking straight down at a 0.2 m cube resting on it.
SCENE = """
<mujoco>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 0.1"/>
    <body name="cube" pos="0 0 0.1">
      <geom type="box" size="0.1 0.1 0.1" rgba="0.8 0.2 0.2 1"/>
    </body>
    <body name="ball" pos="0.5 0.5 0.05">
      <geom type="sphere" size="0.05"/>
    </body>
    <camera name="top" pos="0 0 1.5" xyaxes="1 0 0 0 1 0" fovy="60"/>
  </worldbody>
</mujoco>
"""
SIZE = 64


@pytest.fixture(scope="module")
def frames():
    """The model and its frames: plain, depth, segmentation, both (one GL context)."""
    model = mujoco.MjModel.from_xml_string(SCENE)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    with OffscreenRenderer(model, SIZE, SIZE) as renderer:
        return model, {
            "plain": renderer.render_layers(data, "top"),
            "depth": renderer.render_layers(data, "top", depth=True),
            "segmentation": renderer.render_layers(data, "top", segmentation=True),
            "both": renderer.render_layers(data, "top", depth=True, segmentation=True),
            "no_rgb": renderer.render_layers(data, "top", depth=True, segmentation=True, rgb=False),
        }


def test_depth_is_metric_within_a_millimetre(frames):
    """The cube's top face is 1.3 m from the camera, the floor beside it 1.5 m."""
    frame = frames[1]["depth"]
    assert frame.depth_m is not None and frame.depth_m.shape == (SIZE, SIZE)
    centre = frame.depth_m[SIZE // 2 - 2 : SIZE // 2 + 2, SIZE // 2 - 2 : SIZE // 2 + 2]
    assert np.all(np.abs(centre - 1.3) < 1e-3), centre
    assert abs(float(frame.depth_m[2, 2]) - 1.5) < 1e-3
    assert frame.body_ids is None and frame.rgb.shape == (SIZE, SIZE, 3)


def test_segmentation_gives_each_pixel_its_body(frames):
    """Centre pixels belong to the cube, a corner to the floor (world body 0)."""
    model, frame = frames[0], frames[1]["segmentation"]
    assert frame.body_ids is not None and frame.depth_m is None
    cube = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "cube")
    ball = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "ball")
    assert frame.body_ids[SIZE // 2, SIZE // 2] == cube
    assert frame.body_ids[2, 2] == 0
    assert ball in set(np.unique(frame.body_ids).tolist())


def test_rgb_is_unchanged_by_the_extra_layers(frames):
    """Asking for depth and segmentation leaves the RGB frame as a plain render draws it."""
    plain, layered = frames[1]["plain"], frames[1]["both"]
    np.testing.assert_array_equal(plain.rgb, layered.rgb)
    np.testing.assert_array_equal(layered.depth_m, frames[1]["depth"].depth_m)
    np.testing.assert_array_equal(layered.body_ids, frames[1]["segmentation"].body_ids)


def test_depth_and_segmentation_without_rgb_come_from_one_pass(frames):
    """The flat pass alone gives the same depth and ids as the two passes."""
    model, both, alone = frames[0], frames[1]["both"], frames[1]["no_rgb"]
    assert alone.rgb is None
    np.testing.assert_array_equal(alone.depth_m, both.depth_m)
    np.testing.assert_array_equal(alone.geom_ids, both.geom_ids)
    floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, "floor")
    assert alone.geom_ids is not None and alone.geom_ids[2, 2] == floor


def test_nothing_asked_for_is_refused(frames):
    model = frames[0]
    with OffscreenRenderer(model, 16, 16) as renderer, pytest.raises(ValueError):
        renderer.render_layers(mujoco.MjData(model), "top", rgb=False)


def test_segmentation_ids_past_255_geoms_are_decoded_from_all_three_channels():
    """A scene with 300 geoms: ids beyond the red channel's range still map to their geoms."""
    tiles = "".join(
        f'<geom name="t{i}" type="box" size="0.024 0.024 0.01" pos="{(i % 20 - 9.5) * 0.05:.3f}'
        f' {(i // 20 - 7) * 0.05:.3f} 0.01"/>'
        for i in range(300)
    )
    xml = f'<mujoco><worldbody>{tiles}<camera name="top" pos="0 0 1.2" xyaxes="1 0 0 0 1 0"'
    model = mujoco.MjModel.from_xml_string(xml + ' fovy="60"/></worldbody></mujoco>')
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    with OffscreenRenderer(model, 128, 128) as renderer:
        ids = renderer.render_layers(data, "top", rgb=False, segmentation=True).geom_ids
    assert ids is not None
    seen = set(np.unique(ids).tolist())
    assert -1 in seen and max(seen) > 255 and len(seen) > 250
    # the tile under the image centre: columns 9/10, rows 7 -> geom 7 * 20 + 9 or + 10
    assert ids[64, 64] in (149, 150)
