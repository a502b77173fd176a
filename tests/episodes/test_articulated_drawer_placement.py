"""Pick-and-place into an opened drawer: the goal is the tray where it stands out of the
carcass, and the verdict reads the object's box against the part's volume at the joint."""

from __future__ import annotations

import numpy as np
import pytest

from tools.tasks.articulated import JointFrame
from tools.tasks.drawer_placement import (
    PANEL_M,
    WALL_M,
    exposed_region,
    judge_in_drawer,
    part_extents,
)
from tools.tasks.geometry import ObjectBox

FRONT = np.array([-1.0, 0.0, 0.0])


def _drawer() -> JointFrame:
    """A 0.46 m deep, 0.5 m wide tray under a panel at x = 1.525 (front -X), 0.36 m of travel;
    the part box reaches the handle bar at 1.495."""
    corners = np.array(
        [(x, y, z) for x in (1.495, 1.955) for y in (0.95, 1.45) for z in (0.31, 0.6)]
    )
    return JointFrame("prismatic", FRONT, np.zeros(3), np.array([1.507, 1.2, 0.45]), FRONT,
                      0.0, 0.36, corners)  # fmt: skip


def _cube(x: float, y: float, bottom: float) -> ObjectBox:
    return ObjectBox("cube", (x, y, bottom + 0.025), (0.025, 0.025, 0.025), 0.0)


def test_the_goal_is_the_tray_out_of_the_carcass() -> None:
    """Open 0.3 m: the footprint lies between the carcass's face and the panel's back, inside
    the side walls, a container whose rim is the part's top and bottom the tray floor."""
    frame = _drawer()
    region = exposed_region(frame, 0.3)
    assert region.relation == "in"
    assert region.surface_z == pytest.approx(0.6) and region.floor_z == pytest.approx(0.31 + WALL_M)
    assert region.centre[1] == pytest.approx(1.2)
    near, far = region.centre[0] + region.half_extents[0], region.centre[0] - region.half_extents[0]
    assert near < 1.525 - 0.012 and far > 1.495 - 0.3 + PANEL_M  # face minus bar, panel's back
    assert region.half_extents[1] < 0.25 - WALL_M
    with pytest.raises(ValueError, match="exposes no footprint"):
        exposed_region(frame, 0.02)


def test_the_part_volume_moves_with_the_joint() -> None:
    """Along the outward direction (-X) the box shifts by the joint position."""
    closed, opened = part_extents(_drawer(), 0.0), part_extents(_drawer(), 0.3)
    assert opened[0][0] == pytest.approx(closed[0][0] + 0.3)
    assert opened[1] == closed[1] and opened[2] == closed[2]


@pytest.mark.parametrize(
    ("box", "speeds", "held", "reason"),
    [
        (_cube(1.35, 1.2, 0.322), (0.0, 0.0), False, "ok"),
        (_cube(1.35, 1.2, 0.322), (0.0, 0.0), True, "held"),
        (_cube(1.35, 1.2, 0.322), (0.1, 0.0), False, "moving"),
        (_cube(1.1, 1.2, 0.0), (0.0, 0.0), False, "outside"),  # on the floor in front
        (_cube(1.35, 1.2, 0.6), (0.0, 0.0), False, "not_in_tray"),  # lying across the rim
    ],
)
def test_the_verdict_reads_the_object_against_the_drawer(
    box: ObjectBox, speeds: tuple[float, float], held: bool, reason: str
) -> None:
    """Inside the footprint, bottom on the tray floor, at rest and let go: ok; else why."""
    success, why, checks = judge_in_drawer(_drawer(), 0.3, box, speeds, held)
    assert (success, why) == (reason == "ok", reason)
    assert checks["drawer_position"] == 0.3
