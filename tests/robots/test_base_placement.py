"""A shorter arm's base is moved near the ingest pose until the work surface is in its reach."""

from __future__ import annotations

import math

import mujoco

from episode_generation_job.backends.base_choice import checked_base
from episode_generation_job.backends.mujoco_scene import measure_boxes, object_ids
from episode_generation_job.testing import TABLE_ID, TABLE_TOP, tabletop_scene
from tools.robots import XARM6
from tools.scene_manifest import SceneManifest
from tools.sim.robots.registry import sim_robot
from tools.tasks.base_placement import FOOTPRINT_HALF_M, reachable_base
from tools.tasks.geometry import ObjectBox, Pose


def _boxes() -> tuple[SceneManifest, dict[str, ObjectBox]]:
    scene = tabletop_scene()
    model = scene.spec.copy().compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    return scene.manifest, measure_boxes(data, object_ids(model, scene.objects, scene.manifest))


def _in_band(base: Pose, box: ObjectBox) -> bool:
    low, high = XARM6.target_band_m
    return low <= math.dist(base.position[:2], box.centre[:2]) <= high


def test_a_base_out_of_reach_moves_beside_the_table() -> None:
    """35 cm back from the table nothing is in reach; the chosen spot reaches objects and
    keeps the pedestal off the table."""
    manifest, boxes = _boxes()
    far = Pose.of((-0.35, 0.0, TABLE_TOP), (1.0, 0.0, 0.0, 0.0))  # mounted at the table top
    assert not any(_in_band(far, b) for k, b in boxes.items() if k != TABLE_ID)
    moved = reachable_base(manifest, boxes, far, XARM6)
    assert moved.position != far.position and moved.quat_wxyz == far.quat_wxyz
    assert any(_in_band(moved, b) for k, b in boxes.items() if k != TABLE_ID)
    table = boxes[TABLE_ID]
    assert moved.position[0] + FOOTPRINT_HALF_M <= table.centre[0] - table.half_extents[0] + 1e-9


def test_a_base_with_something_in_reach_stays() -> None:
    """The ingest pose is kept when it already reaches a graspable object."""
    manifest, boxes = _boxes()
    nominal = Pose.of((0.0, 0.0, TABLE_TOP), (1.0, 0.0, 0.0, 0.0))
    assert reachable_base(manifest, boxes, nominal, XARM6) == nominal


def test_a_checked_base_that_reaches_nothing_is_moved_in_the_scene() -> None:
    """The in-scene check scores the free spots when the ingest pose reaches nothing (it used
    to stop at the ingest pose, whose empty band ended the search before any spot was scored);
    far along the table's side, a spot up to 80 cm sideways is found."""
    robot = sim_robot("xarm6")
    scene = tabletop_scene()
    manifest, boxes = _boxes()
    far = Pose.of((-0.35, 0.0, TABLE_TOP), (1.0, 0.0, 0.0, 0.0))
    moved = checked_base(scene.spec, robot, manifest, boxes, far)
    assert moved != far and any(_in_band(moved, b) for k, b in boxes.items() if k != TABLE_ID)
    aside = Pose.of((0.1, -0.95, TABLE_TOP), (1.0, 0.0, 0.0, 0.0))  # beside the table's end
    assert not any(_in_band(aside, b) for k, b in boxes.items() if k != TABLE_ID)
    shifted = reachable_base(manifest, boxes, aside, XARM6)
    assert abs(shifted.position[1] - aside.position[1]) > 0.3  # beyond the old 30 cm search
    assert any(_in_band(shifted, b) for k, b in boxes.items() if k != TABLE_ID)
