"""Surface goal squares next to the task's own target: its spot is vacated before the set-down."""

from __future__ import annotations

from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.task_specifier import REGION_HALF, free_squares, nearest_free_square

BASE = Pose((0.0, 0.0, 0.9))  # heading +x: "left" is +y


def _scene(bottle_xy: tuple[float, float]) -> dict[str, ObjectBox]:
    table = ObjectBox("table", (0.5, 0.0, 0.45), (0.4, 0.4, 0.45), 0.0)
    bottle = ObjectBox("bottle", (*bottle_xy, 1.04), (0.038, 0.038, 0.14), 0.0)
    return {"table": table, "bottle": bottle}


def test_the_target_bars_only_the_squares_it_stands_in() -> None:
    boxes = _scene((0.5, 0.2))
    as_neighbour = free_squares("table", boxes, BASE, (0.35, 0.65))
    as_target = free_squares("table", boxes, BASE, (0.35, 0.65), moving_id="bottle")
    assert len(as_target) > len(as_neighbour)
    bottle = boxes["bottle"]
    for _, region in as_target:  # the target never starts inside its goal square
        gap_x = abs(region.centre[0] - bottle.centre[0]) - REGION_HALF - bottle.half_extents[0]
        gap_y = abs(region.centre[1] - bottle.centre[1]) - REGION_HALF - bottle.half_extents[1]
        assert max(gap_x, gap_y) > 0


def test_a_side_filled_by_its_own_target_still_has_a_goal() -> None:
    boxes = _scene((0.5, 0.21))  # the tall bottle stands in the middle of the left side
    near, band = (0.5, 0.21), (0.4, 0.6)
    assert nearest_free_square("table", boxes, BASE, "left", near, band) is None
    region = nearest_free_square("table", boxes, BASE, "left", near, band, "bottle")
    assert region is not None and region.centre[1] >= 0.1
    neighbour = ObjectBox("box", (*region.centre, 0.95), (0.03, 0.03, 0.05), 0.0)
    crowded = {**boxes, "box": neighbour}  # a neighbour still needs its 2 cm clearance
    assert nearest_free_square("table", crowded, BASE, "left", near, band, "bottle") != region
