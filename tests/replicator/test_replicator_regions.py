"""Placement regions are computed from the meshes: on the supports' tops, inside, with clearance."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from replicator_job.region_checks import footprint_near, region_problems, surface_below
from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
from tools.randomization.layout import REGIONS_JSON_PATH
from tools.randomization.regions import RegionsFile


@pytest.fixture(scope="module")
def regions(bundle_scene):
    return RegionsFile.model_validate_json((bundle_scene / REGIONS_JSON_PATH).read_text())


@pytest.fixture(scope="module")
def geometry(bundle_scene):
    stage = open_scene_stage(bundle_scene / "usd" / "scene.usda")
    return {g.object_id: g for g in read_object_geometry(stage)}


def test_every_region_lies_on_the_top_of_its_support(regions, geometry):
    """Probes straight down hit the support's mesh within 1 cm of the region's height."""
    problems = [p for r in regions.regions for p in region_problems(r, geometry[r.support_id])]
    assert not problems


def test_every_region_is_inside_its_support_footprint(regions, geometry):
    """Each region polygon is covered by the projection of its support's triangles."""
    for region in regions.regions:
        triangles = geometry[region.support_id].triangles
        shadow = shapely.union_all(
            [Polygon(t[:, :2]) for t in triangles if Polygon(t[:, :2]).area > 1e-12]
        )
        assert shadow.buffer(1e-3).covers(Polygon(region.exterior, region.holes)), region.id


def test_every_shelf_board_is_a_region_with_the_gap_above_as_clearance(regions, layout_facts):
    """Three boards bounded by the next board above, the top board by the room."""
    boards, top = layout_facts["shelf_boards"], layout_facts["shelf_top"]
    shelf = sorted(
        (r for r in regions.regions if r.support_id == "shelf_1"), key=lambda r: r.height_m
    )
    assert [round(r.height_m, 3) for r in shelf] == [*boards, top]
    for lower, upper in itertools.pairwise(shelf):
        assert lower.clearance_m == pytest.approx(upper.height_m - 0.02 - lower.height_m, abs=1e-3)
        assert lower.clearance_source == "shelf_1"
    assert shelf[-1].clearance_m == pytest.approx(2.5 - top, abs=1e-3)
    assert "box_2" in shelf[1].resting_objects


def test_turned_shelf_boards_follow_the_turn(regions, layout_facts):
    """The boards' oriented boxes are 0.76 x 0.28 m and turned by the shelf's 30 degrees."""
    board = next(r for r in regions.regions if r.support_id == "shelf_1" and r.kind == "support")
    size = sorted(board.oriented_box.size)
    assert size == pytest.approx([0.28, 0.76], abs=2e-3)
    yaw = math.degrees(board.oriented_box.yaw_rad) % 90.0  # either edge of a rectangle
    assert yaw == pytest.approx(layout_facts["shelf_yaw_deg"], abs=0.5)


def test_floor_is_split_by_what_stands_above_it(regions, layout_facts):
    """Under the table the clearance is the top's underside; legs and robot base are holes."""
    floor = [r for r in regions.regions if r.kind == "floor"]
    under = next(r for r in floor if r.clearance_source == "table_1")
    assert under.clearance_m == pytest.approx(layout_facts["table_top"] - 0.04, abs=1e-3)
    assert len(under.holes) == 4  # the legs
    open_floor = next(r for r in floor if r.clearance_source == "room")
    polygon = open_floor.polygon
    robot = np.array([[0.0, 0.0], [0.1, 0.05], [-0.15, 0.0]])
    assert not polygon.contains_points(robot).any()
    assert polygon.contains_points(np.array([[2.0, -2.0]])).all()


def test_table_region_matches_the_top_and_lists_its_objects(regions, layout_facts):
    """The table top region is the 1.0 x 0.6 m top at 0.75 m with the three objects on it."""
    table = next(r for r in regions.regions if r.support_id == "table_1" and r.kind == "support")
    assert table.height_m == pytest.approx(layout_facts["table_top"], abs=1e-6)
    assert table.area_m2 == pytest.approx(0.6, rel=1e-3)
    assert set(table.resting_objects) == {"cube_1", "can-2", "box_1"}


def test_workspace_regions_stay_within_reach(regions):
    """Workspace parts lie in the robot's 0.25-0.8 m annulus and inside their parent region."""
    parents = {r.id: r for r in regions.regions}
    workspace = [r for r in regions.regions if r.kind == "workspace"]
    assert {parents[r.parent_region].support_id for r in workspace} >= {"table_1", "room"}
    for region in workspace:
        radii = np.linalg.norm(np.asarray(region.exterior), axis=1)
        assert radii.max() <= 0.8 + 1e-6 and region.area_m2 <= parents[region.parent_region].area_m2


def test_categories_respect_clearance(regions):
    """Every listed category fits under the clearance; a 0.38 m gap takes the 0.15 m boxes."""
    board = next(r for r in regions.regions if r.support_id == "shelf_1" and r.height_m < 0.5)
    assert {"box", "cube", "can", "distractor"} <= set(board.categories)


def test_surface_probe_finds_the_highest_triangle_below():
    """surface_below returns the top of stacked triangles under the start height, NaN outside."""
    low = [[0, 0, 0.0], [1, 0, 0.0], [0, 1, 0.0]]
    high = [[0, 0, 0.5], [1, 0, 0.5], [0, 1, 0.5]]
    triangles = np.array([low, high], dtype=float)
    points = np.array([[0.2, 0.2], [2.0, 2.0]])
    assert surface_below(triangles, points, 1.0)[0] == pytest.approx(0.5)
    assert surface_below(triangles, points, 0.4)[0] == pytest.approx(0.0)
    assert np.isnan(surface_below(triangles, points, 1.0)[1])


def test_the_footprint_near_a_region_answers_like_the_whole_one():
    """Uniting only the shadows that reach a region's box gives the same coverage verdicts as
    uniting every triangle (a 1 m plate of 2 cm triangles with a 20 cm hole)."""
    cells = np.arange(0.0, 1.0, 0.02)
    triangles = []
    for x, y in itertools.product(cells, cells):
        if 0.4 <= x < 0.6 and 0.4 <= y < 0.6:
            continue  # the hole
        a, b, c, d = [x, y, 0], [x + 0.02, y, 0], [x + 0.02, y + 0.02, 0], [x, y + 0.02, 0]
        triangles += [[a, b, c], [a, c, d]]
    plate = np.array(triangles, dtype=float)
    whole = shapely.union_all(shapely.polygons(plate[:, :, :2])).buffer(1e-3)
    for box in [
        (0.1, 0.1, 0.3, 0.3),
        (0.3, 0.3, 0.5, 0.5),
        (0.9, 0.1, 1.1, 0.2),
        (0.0, 0.0, 1.0, 1.0),
    ]:
        region = shapely.box(*box)
        near = footprint_near(plate, region.bounds)
        assert near.covers(region) == whole.covers(region)
    assert footprint_near(plate, (0.1, 0.1, 0.3, 0.3)).covers(shapely.box(0.1, 0.1, 0.3, 0.3))
    assert footprint_near(plate, (5.0, 5.0, 6.0, 6.0)).is_empty


def test_region_lookup_by_id(regions):
    """Each region is found by its id; an unknown id raises KeyError naming it."""
    first = regions.regions[0]
    assert regions.region(first.id) is first
    with pytest.raises(KeyError, match="no_such_region"):
        regions.region("no_such_region")
