"""Scripted pick-and-place motion: Cartesian key poses with collision-aware clearance heights."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from episode_generation_job.container_descent import (
    ContainerInside,
    fingers_clear_at,
    release_height_inside,
)
from episode_generation_job.grasp import (
    FINGERTIP_BELOW_TCP,
    HAND_BOTTOM_ABOVE_TCP,
    Grasp,
    hand_collides,
)
from episode_generation_job.path_clearance import segment_box_distance_xy
from tools.tasks.geometry import ObjectBox
from tools.tasks.task_specifier import GoalRegion

CLOSED = 0.0
APPROACH_ABOVE = 0.10  # pre-grasp and pre-place heights above the grasp/place TCP
OBSTACLE_MARGIN = 0.05  # vertical clearance kept over anything under the path
CORRIDOR_MARGIN = 0.06  # horizontal half-width added around the carried object's path
# The approach starts above neighbours whose footprint is this close to the grasp point: the
# hand's half-length along the fingers (0.11 m) and a centimetre.
NEAR_GRASP = 0.12
PLACE_ABOVE = 0.008  # release the object this far above the goal surface
INNER_FLOOR = 0.02  # "in": lower the target's bottom to this above a container's outer bottom
RIM_CLEARANCE = 0.01  # "in": the fingertips stay this far above a container's rim
INSIDE_CLEARANCE = 0.008  # "in": fingertips and object this far above the inside measured
FREE_SPEED = 0.5  # m/s, peak TCP speed without a load
CARRY_SPEED = 0.45  # m/s, peak TCP speed with the object: tall objects swing otherwise
_MIN_JERK_PEAK = 1.875  # peak speed of a minimum-jerk move = 1.875 * distance / duration


def _place_height(grasp: Grasp, region: GoalRegion, inside: ContainerInside | None) -> float:
    """TCP height at release: just above a flat goal; lowered into a container as far as the
    fingertips and the object can go without touching it (measured `inside`; without it,
    fingertips above the rim), so the target drops a short way, upright."""
    above_surface = region.surface_z + grasp.drop + PLACE_ABOVE
    if region.relation != "in":
        return above_surface
    if inside is None:
        into = max(
            region.floor_z + INNER_FLOOR + grasp.drop,
            region.surface_z + FINGERTIP_BELOW_TCP + RIM_CLEARANCE,
        )
    else:
        into = max(
            release_height_inside(grasp, inside, INSIDE_CLEARANCE),
            region.surface_z + RIM_CLEARANCE - HAND_BOTTOM_ABOVE_TCP,  # the palm over the rim
        )
    return min(above_surface, into)


def _duration(
    start: tuple[float, float, float], end: tuple[float, float, float], speed: float, floor: float
) -> float:
    """Time for a minimum-jerk move whose peak speed stays below `speed`, at least `floor`."""
    return max(floor, _MIN_JERK_PEAK * math.dist(start, end) / speed)


@dataclass(frozen=True)
class Segment:
    """One phase: move the TCP to `position` with `yaw` over `duration`, gripper at `gripper`."""

    phase: str
    position: tuple[float, float, float]
    yaw: float
    gripper: float
    duration: float


def _cruise_height(
    grasp: Grasp,
    place_xy: tuple[float, float],
    target_radius: float,
    obstacles: Mapping[str, ObjectBox],
) -> float:
    """TCP height that carries the object over every obstacle near the straight path."""
    highest = -1.0
    for box in obstacles.values():
        reach = target_radius + CORRIDOR_MARGIN
        if segment_box_distance_xy(grasp.position, place_xy, box) <= reach:
            highest = max(highest, box.top)
    return highest + grasp.drop + OBSTACLE_MARGIN


def _place_pose(
    grasp: Grasp,
    target: ObjectBox,
    region: GoalRegion,
    place_z: float,
    obstacles: Mapping[str, ObjectBox],
) -> tuple[float, float, float]:
    """TCP (x, y) and yaw at release that put the target's centre on the region's centre:
    the grasp yaw, or the nearest turn of it by 45-degree steps that keeps the hand clear.

    The TCP holds the object off its centre by the grasp's offset (a rim pinch holds it by
    the wall), which turns with the hand.
    """
    dx, dy = grasp.position[0] - target.centre[0], grasp.position[1] - target.centre[1]
    first: tuple[float, float, float] | None = None
    for turn in (0.0, math.pi / 4, -math.pi / 4, math.pi / 2, -math.pi / 2):
        c, s = math.cos(turn), math.sin(turn)
        x = region.centre[0] + c * dx - s * dy
        y = region.centre[1] + s * dx + c * dy
        pose = (x, y, grasp.yaw + turn)
        first = first or pose
        if not hand_collides((x, y, place_z), pose[2], grasp.opening, obstacles):
            return pose
    assert first is not None
    return first


def _release_opening(
    grasp: Grasp,
    region: GoalRegion,
    place: tuple[float, float, float],
    yaw: float,
    obstacles: Mapping[str, ObjectBox],
    inside: ContainerInside | None,
    widest: float | None,
) -> float:
    """The opening to let go with: `widest` where the open fingers stay clear, else the
    grasp's. Opened just past the object, a rim-held cup that had turned 14 degrees in the
    pads stayed wedged between them and rose with the hand (kitchen 200, not_released)."""
    if widest is None or widest <= grasp.opening:
        return grasp.opening
    if region.relation == "in":
        clear = inside is not None and fingers_clear_at(
            inside.under_wide_fingers, place[2], INSIDE_CLEARANCE
        )
    else:
        clear = not hand_collides(place, yaw, widest, obstacles)
    return widest if clear else grasp.opening


def plan_pick_place(
    grasp: Grasp,
    target: ObjectBox,
    region: GoalRegion,
    obstacles: Mapping[str, ObjectBox],
    *,
    support_top: float,
    inside: ContainerInside | None = None,
    widest: float | None = None,
) -> list[Segment]:
    """Key poses of a top-down pick and place.

    Args:
        grasp: the chosen grasp.
        target: the target's box now.
        region: where the object must end.
        obstacles: boxes of everything the carried object must clear (not its support,
            not the work surface).
        support_top: height of the surface the target stands on.
        inside: a container goal's inner surfaces (`container_descent`), measured.
        widest: the gripper's full opening: the release opens this wide where the fingers
            stay clear of the neighbours (and of a container's inside, measured).

    Returns:
        Segments in order: approach, descend, close, lift, transport, lower, release, retreat.
    """
    gx, gy, gz = grasp.position
    place_z = _place_height(grasp, region, inside)
    px, py = region.centre
    near_grasp = [
        b.top for b in obstacles.values()
        if segment_box_distance_xy(grasp.position, grasp.position, b) <= NEAR_GRASP
    ]  # fmt: skip
    above_neighbours = max([*near_grasp, support_top])
    approach_z = max(gz + APPROACH_ABOVE, above_neighbours + 0.03 + 0.012)
    cruise = max(
        approach_z,
        place_z + APPROACH_ABOVE,
        _cruise_height(grasp, (px, py), target.footprint_radius, obstacles),
    )
    yaw = grasp.yaw
    carry = grasp.carry_speed or CARRY_SPEED
    px, py, place_yaw = _place_pose(grasp, target, region, place_z, obstacles)
    opening = _release_opening(
        grasp, region, (px, py, place_z), place_yaw, obstacles, inside, widest
    )
    above_grasp, grasp_pose = (gx, gy, approach_z), (gx, gy, gz)
    lifted, above_place = (gx, gy, cruise), (px, py, cruise)
    place, retreat = (px, py, place_z), (px, py, place_z + APPROACH_ABOVE)
    return [
        Segment("approach", above_grasp, yaw, grasp.opening, 1.4),
        Segment("descend", grasp_pose, yaw, grasp.opening, 0.8),
        Segment("close", grasp_pose, yaw, CLOSED, 0.5),
        Segment("lift", lifted, yaw, CLOSED, _duration(grasp_pose, lifted, carry, 0.8)),
        Segment(
            "transport",
            above_place,
            place_yaw,
            CLOSED,
            _duration(lifted, above_place, carry, 1.2),
        ),
        Segment("lower", place, place_yaw, CLOSED, _duration(above_place, place, carry, 0.8)),
        Segment("release", place, place_yaw, opening, 0.4),
        Segment("retreat", retreat, place_yaw, opening, 0.6),
    ]
