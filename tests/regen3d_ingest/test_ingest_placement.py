"""Contracts of the physical cleanup and robot placement on small hand-made worlds."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from regen3d_ingest_job.contacts import (
    distances_to_surface,
    penetration_depth,
    surface_heights,
    winding_numbers,
)
from regen3d_ingest_job.placement import (
    FLOOR,
    MAX_PENETRATION_M,
    PlacedObject,
    drop_below_floor,
    max_interpenetration,
    separate,
    settle,
)
from regen3d_ingest_job.robot_base import BASE_RADIUS_M, footprint, place_robot
from tools.robots import DEFAULT_ROBOT, FRANKA_PANDA, XARM6
from tools.rotations import yaw_matrix
from tools.scene_manifest import PoseSource, SimRole


def _box(
    object_id: str,
    size: tuple[float, float, float],
    at: tuple[float, float, float],
    role: SimRole = SimRole.STATIC,
    yaw: float = 0.0,
) -> PlacedObject:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation([0.0, 0.0, size[2] / 2])
    return PlacedObject(
        object_id=object_id,
        source_id=object_id,
        label=object_id,
        category=object_id,
        role=role,
        rotation=yaw_matrix(yaw),
        translation=np.array(at, dtype=float),
        local=np.asarray(mesh.vertices, dtype=float),
        faces=np.asarray(mesh.faces, dtype=np.int64),
        pose_source=PoseSource.SIMILARITY_FIT,
    )


def _shelf(object_id: str, at: tuple[float, float, float]) -> PlacedObject:
    boards = []
    for z in (0.0, 0.6, 1.2):
        board = trimesh.creation.box(extents=(1.0, 0.4, 0.02))
        board.apply_translation([0.0, 0.0, z + 0.01])
        boards.append(board)
    for x in (-0.49, 0.49):
        side = trimesh.creation.box(extents=(0.02, 0.4, 1.22))
        side.apply_translation([x, 0.0, 0.61])
        boards.append(side)
    mesh = trimesh.util.concatenate(boards)
    obj = _box(object_id, (1, 1, 1), at)
    obj.local = np.asarray(mesh.vertices, dtype=float)
    obj.faces = np.asarray(mesh.faces, dtype=np.int64)
    return obj


def test_contact_kernels_on_a_box() -> None:
    """Winding numbers, distances and vertical crossings are exact on a box."""
    box = trimesh.creation.box(extents=(1.0, 2.0, 3.0))
    vertices, faces = np.asarray(box.vertices), np.asarray(box.faces, dtype=np.int64)
    points = np.array([[0.0, 0.0, 0.0], [0.4, 0.9, 1.4], [2.0, 0.0, 0.0]])
    assert np.allclose(winding_numbers(points, vertices, faces), [1.0, 1.0, 0.0], atol=1e-9)
    assert np.allclose(distances_to_surface(points, vertices, faces), [0.5, 0.1, 1.5])
    heights = surface_heights(np.array([[0.1, 0.2]]), vertices, faces)
    assert sorted(set(np.round(heights[~np.isnan(heights)], 9))) == [-1.5, 1.5]
    assert penetration_depth(points[:2], vertices, faces) == pytest.approx(0.5)


def test_settle_snaps_floor_objects_and_supported_objects() -> None:
    """Small gaps and penetrations close along Z: floor at 0, mug on the table top."""
    table = _box("table", (1.2, 0.8, 0.75), (0.0, 0.0, 0.02))
    mug = _box("mug", (0.08, 0.08, 0.1), (0.2, 0.1, 0.79), SimRole.MANIPULABLE)
    sunk = _box("crate", (0.4, 0.3, 0.3), (2.0, 0.0, -0.03))
    settle([mug, table, sunk])
    assert table.support == FLOOR and table.bounds()[0][2] == pytest.approx(0.0)
    assert sunk.support == FLOOR and sunk.bounds()[0][2] == pytest.approx(0.0)
    assert mug.support == "table"
    assert mug.bounds()[0][2] == pytest.approx(table.bounds()[1][2])


def test_settle_uses_the_shelf_board_under_the_object() -> None:
    """An object on a middle shelf rests on that board, not on the shelf's top."""
    shelf = _shelf("shelf", (0.0, 0.0, 0.0))
    book = _box("book", (0.2, 0.15, 0.25), (0.1, 0.0, 0.63), SimRole.MANIPULABLE)
    settle([shelf, book])
    assert book.support == "shelf"
    assert book.bounds()[0][2] == pytest.approx(0.62)


def test_floating_free_objects_fall_and_static_ones_stay() -> None:
    """A mug 30 cm above the table drops onto it; a wall cabinet stays where it is."""
    table = _box("table", (1.2, 0.8, 0.75), (0.0, 0.0, 0.0))
    mug = _box("mug", (0.08, 0.08, 0.1), (0.0, 0.0, 1.05), SimRole.MANIPULABLE)
    cabinet = _box("wall_cabinet", (0.8, 0.35, 0.7), (3.0, 0.0, 1.5))
    settle([table, mug, cabinet])
    assert mug.support == "table" and mug.bounds()[0][2] == pytest.approx(0.75)
    assert cabinet.support is None and cabinet.bounds()[0][2] == pytest.approx(1.5)


def test_objects_far_below_the_floor_are_reported() -> None:
    """Bottoms deeper than 10 cm are dropped; shallower ones are kept."""
    deep = _box("deep", (0.3, 0.3, 0.3), (0.0, 0.0, -0.5))
    shallow = _box("shallow", (0.3, 0.3, 0.3), (1.0, 0.0, -0.07))
    dropped = drop_below_floor([deep, shallow])
    assert list(dropped) == ["deep"] and "below the floor" in dropped["deep"]


def test_separate_pushes_interpenetrating_objects_apart() -> None:
    """Two overlapping boxes end at most 5 mm deep; the free one moves, static stays."""
    cabinet = _box("cabinet", (0.6, 0.6, 0.9), (0.0, 0.0, 0.0))
    crate = _box("crate", (0.4, 0.3, 0.3), (0.45, 0.05, 0.0), SimRole.MANIPULABLE)
    assert max_interpenetration([cabinet, crate]) == pytest.approx(0.05)
    settle([cabinet, crate])
    separate([cabinet, crate])
    assert max_interpenetration([cabinet, crate]) <= MAX_PENETRATION_M
    assert np.allclose(cabinet.translation, 0.0)
    assert crate.translation[0] > 0.45


def test_separate_carries_objects_on_a_moved_support() -> None:
    """A small table pushed out of a cabinet takes the mug on it along."""
    cabinet = _box("cabinet", (1.0, 1.0, 0.9), (0.0, 0.0, 0.0))
    side = _box("side", (0.5, 0.5, 0.6), (0.7, 0.0, 0.0))
    mug = _box("mug", (0.08, 0.08, 0.1), (0.75, 0.0, 0.6), SimRole.MANIPULABLE)
    objects = [cabinet, side, mug]
    settle(objects)
    before = mug.translation - side.translation
    separate(objects)
    assert max_interpenetration(objects) <= MAX_PENETRATION_M
    assert np.allclose(mug.translation - side.translation, before)


def test_robot_stands_beside_the_long_edge_facing_the_surface() -> None:
    """The base is on the floor, clear of the table, facing it, with every item in reach."""
    table = _box("table", (1.6, 0.8, 0.75), (0.0, 0.0, 0.0), yaw=0.3)
    items = [
        _box(f"item{i}", (0.07, 0.07, 0.1), (x, y, 0.75), SimRole.MANIPULABLE)
        for i, (x, y) in enumerate([(0.3, 0.1), (-0.2, -0.1), (0.0, 0.2)])
    ]
    objects = [table, *items]
    settle(objects)
    robot = place_robot(objects, np.array([-5.0, -5.0, 0.0]), np.array([5.0, 5.0, 3.0]))
    assert robot.work_surface == "table"
    assert robot.position[2] == 0.0
    assert robot.reach_fraction == 1.0 and robot.max_reach_m <= DEFAULT_ROBOT.datasheet_reach_m
    rect = footprint(table)
    assert rect.distance(robot.position[None, :2])[0] >= BASE_RADIUS_M - 1e-9
    long_axis = rect.axes[0]  # the table is longer along its own X
    to_table = rect.centre - robot.position[:2]
    heading = np.array([np.cos(robot.yaw), np.sin(robot.yaw)])
    assert abs(heading @ long_axis) < 1e-6
    assert heading @ to_table > 0


def test_robot_counts_its_targets_with_the_chosen_arms_reach() -> None:
    """Reach comes from the robot description (default: the default ROBOT's): two items 0.9 m
    apart near a table's edge are both within the Panda's 0.855 m of one spot, not within the
    xArm6's 0.70 (its shoulder is lower, too)."""
    table = _box("table", (1.6, 0.8, 0.75), (0.0, 0.0, 0.0))
    items = [
        _box(f"item{i}", (0.07, 0.07, 0.1), (x, -0.3, 0.75), SimRole.MANIPULABLE)
        for i, x in enumerate((-0.45, 0.45))
    ]
    objects = [table, *items]
    settle(objects)
    low, high = np.array([-5.0, -5.0, 0.0]), np.array([5.0, 5.0, 3.0])
    assert DEFAULT_ROBOT is FRANKA_PANDA
    assert place_robot(objects, low, high).reach_fraction == 1.0
    xarm = place_robot(objects, low, high, XARM6)
    assert xarm.reach_fraction == 0.5 and xarm.max_reach_m > XARM6.datasheet_reach_m


def test_robot_avoids_furniture_next_to_the_table() -> None:
    """A cabinet against one long side sends the robot to the other side."""
    table = _box("table", (1.6, 0.8, 0.75), (0.0, 0.0, 0.0))
    blocker = _box("cabinet", (2.0, 0.6, 0.9), (0.0, -0.75, 0.0))
    mug = _box("mug", (0.08, 0.08, 0.1), (0.0, 0.0, 0.75), SimRole.MANIPULABLE)
    objects = [table, blocker, mug]
    settle(objects)
    robot = place_robot(objects, np.array([-5.0, -5.0, 0.0]), np.array([5.0, 5.0, 3.0]))
    assert robot.position[1] > 0.4


def test_robot_stays_inside_the_walls_of_a_room_turned_on_the_floor() -> None:
    """A room turned 8 degrees: the corners of its axis-aligned bounds lie behind its walls.
    A desk against one wall, its items near that edge: the base goes to the room side, not
    into the gap behind the wall that the bounds alone would allow."""
    yaw = np.radians(8.0)
    turn = yaw_matrix(yaw)[:2, :2]

    def world(x: float, y: float) -> tuple[float, float, float]:
        wx, wy = turn @ np.array([x, y])
        return (float(wx), float(wy), 0.0)

    room = _box("room", (6.0, 6.0, 2.7), (0.0, 0.0, 0.0), SimRole.BACKGROUND, yaw=yaw)
    desk = _box("desk", (1.4, 0.7, 0.75), world(-1.5, 2.6), yaw=yaw)  # back edge 5 cm off
    items = [
        _box(
            f"item{i}", (0.07, 0.07, 0.1), (*world(-1.5 + dx, 2.65)[:2], 0.75), SimRole.MANIPULABLE
        )
        for i, dx in enumerate((-0.3, 0.0, 0.3))
    ]
    objects = [room, desk, *items]
    settle(objects)
    low, high = room.bounds()
    robot = place_robot(objects, low, high)
    along_wall_normal = (turn.T @ robot.position[:2])[1]
    assert along_wall_normal <= 3.0 - BASE_RADIUS_M + 1e-9
    assert robot.work_surface == "desk" and robot.reach_fraction == 1.0
