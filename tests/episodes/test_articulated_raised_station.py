"""Raised stations: a handle over a counter (a microwave's) is worked from a pedestal, and the
station's scene stands the robot on it; a side door pressed shut may be pressed slanted."""

from __future__ import annotations

import math
from pathlib import Path

import mujoco
import numpy as np
import pytest

from episode_generation_job import articulated_stations
from episode_generation_job.articulated_motion import presses, wrist_follows
from episode_generation_job.articulated_rollout import station_scene
from episode_generation_job.articulated_stations import STATION_HEIGHTS, choose_station, raised
from episode_generation_job.backends.mujoco_scene import PEDESTAL_NAME
from tests.articulated_scenes import build_articulated_scene
from tools.scene_manifest import load_manifest
from tools.tasks.articulated import ArticulatedTask, JointFrame
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.skills import CLOSE_DOOR, OPEN_DOOR

COUNTER_TOP = 0.9
# A 0.6 m deep counter whose front edge is at y = -0.3; the microwave's front 0.2 m behind it.
COUNTER = ObjectBox("counter", (0.0, 0.0, COUNTER_TOP / 2), (0.8, 0.3, COUNTER_TOP / 2), 0.0)


def _microwave_door() -> ArticulatedTask:
    """A 0.5 m wide, 0.3 m tall door hinged at its left edge, front at -Y, handle at 1.05 m."""
    hinge = np.array([-0.25, -0.1, COUNTER_TOP])
    corners = np.array(
        [(x, y, z) for x in (-0.25, 0.25) for y in (-0.12, -0.1) for z in (0.9, 1.2)]
    )
    frame = JointFrame("revolute", np.array([0.0, 0.0, -1.0]), hinge,
                       np.array([0.19, -0.15, 1.05]), np.array([0.0, -1.0, 0.0]), 0.0,
                       math.radians(100), corners)  # fmt: skip
    return ArticulatedTask("m", OPEN_DOOR, "microwave", "j", "door_0", "open it", 0.0, frame)


def test_raised_bases_come_after_every_floor_base() -> None:
    """Each base at each height, all floor bases first, position and heading kept."""
    facing = (math.cos(0.3), 0.0, 0.0, math.sin(0.3))
    bases = [Pose.of((1.0, 2.0, 0.0), facing), Pose.of((3.0, 4.0, 0.0), facing)]
    out = raised(bases)
    assert len(out) == 2 * len(STATION_HEIGHTS) and STATION_HEIGHTS[0] == 0.0
    assert [b.position[2] for b in out] == [h for h in STATION_HEIGHTS for _ in bases]
    assert all(b.quat_wxyz == pytest.approx(facing) for b in out)
    assert [b.position[:2] for b in out[2:4]] == [(1.0, 2.0), (3.0, 4.0)]


def test_a_microwave_over_a_counter_is_opened_from_a_pedestal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From the floor the handle is out of reach; a raised station reaches the whole open."""
    boxes = {"counter": COUNTER}
    monkeypatch.setattr(articulated_stations, "STATION_HEIGHTS", (0.0,))
    assert choose_station(_microwave_door(), boxes) == "unreachable"
    monkeypatch.undo()
    station = choose_station(_microwave_door(), boxes)
    assert not isinstance(station, str)
    assert station.base.position[2] in STATION_HEIGHTS[1:]
    assert station.plan.phases.count("pull") > 0


def test_a_raised_station_stands_on_a_pedestal(tmp_path: Path) -> None:
    """The pedestal's top is just under the raised base and it stands on the floor; a floor
    station has none."""
    scene = build_articulated_scene(tmp_path / "scene")
    manifest, usd = load_manifest(scene), scene / "usd/scene.usda"
    facing = (1.0, 0.0, 0.0, 0.0)
    floor = station_scene(usd, manifest, Pose.of((0.5, 0.5, 0.0), facing)).spec.compile()
    assert mujoco.mj_name2id(floor, mujoco.mjtObj.mjOBJ_GEOM, PEDESTAL_NAME) < 0
    model = station_scene(usd, manifest, Pose.of((0.5, 0.5, 0.25), facing)).spec.compile()
    geom = model.geom(PEDESTAL_NAME)
    assert geom.pos[2] - geom.size[2] == pytest.approx(0.0, abs=1e-6)
    assert geom.pos[2] + geom.size[2] == pytest.approx(0.25, abs=0.005)
    np.testing.assert_allclose(geom.pos[:2], (0.5, 0.5))


def test_a_side_door_pressed_shut_may_be_pressed_with_a_half_turned_hand() -> None:
    """Held by its handle the hand turns with the door; pressed shut, half as far is tried
    after the full turn."""
    opening = _microwave_door()
    closing = ArticulatedTask("m", CLOSE_DOOR, "microwave", "j", "door_0", "close it", 0.7,
                              opening.frame)  # fmt: skip
    assert presses(closing) and not presses(opening)
    assert wrist_follows(opening) == (1.0,)
    assert wrist_follows(closing) == (1.0, 0.5)
