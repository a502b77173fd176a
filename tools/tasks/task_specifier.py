"""Pick-and-place tasks (target, goal object or surface square, instruction) and goal regions.

Which tasks a scene offers is decided once (`tools.tasks.candidates`, written by the
replicator) and kept per robot by `tools.tasks.feasibility`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tools.robots import DEFAULT_ROBOT, RobotDescription
from tools.scene_manifest import SceneObject
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap
from tools.tasks.rims import RimGeometry
from tools.tasks.skills import PLACE_ON, TOP, grasp_skill, instruction_template
from tools.tasks.surfaces import GoalSurface

if TYPE_CHECKING:
    from tools.tasks.sampled_grasps import SampledGrasps

# The default robot's (`tools.robots.DEFAULT_ROBOT`); each consumer passes its own `ArmLimits`.
GRASP_CLEARANCE = DEFAULT_ROBOT.grasp_clearance_m
MAX_GRASP_WIDTH = DEFAULT_ROBOT.max_grasp_width_m
REGION_HALF = 0.06  # half size of a free square on the work surface used as a goal
REGION_REACH = DEFAULT_ROBOT.goal_band_m  # distances from the base for surface goals
REACH_MARGIN = 0.05  # tasks stay this far inside a robot's usable reach
SIDE_MIN_LATERAL = 0.1  # a left/right goal lies at least this far off the robot's heading
# The left/right goal is the free square nearest this far off the heading (the work surface's
# ends within reach); squares are looked for further out too, where furniture beside the
# robot (a counter, a shelf next to the desk) lies.
SIDE_LATERAL = 0.35
_COLOURS = {
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "black", "white",
    "grey", "gray", "silver", "beige",
}  # fmt: skip

# (target name, goal name, skill template with {target} and {goal}) -> the instruction.
Phraser = Callable[[str, str, str], str]


@dataclass(frozen=True)
class ArmLimits:
    """What makes a task feasible for a robot: its gripper's opening and its reach.

    Attributes:
        max_grasp_width: widest object side a grasp closes across (opening minus clearance).
        reach: (nearest, farthest) horizontal distance from the base to a grasp point; None
            when the data engine places the robot in front of the objects itself (Genie Sim
            lays objects out in workspaces sized to its robot's reach).
        goal_band: (nearest, farthest) distance from the base of free goal squares on the
            work surface.
    """

    max_grasp_width: float
    reach: tuple[float, float] | None
    goal_band: tuple[float, float] = REGION_REACH

    @classmethod
    def of(cls, robot: RobotDescription) -> ArmLimits:
        """A robot arm's limits: its grasp width, reach (5 cm inside its usable reach, where
        top-down IK still solves with a margin) and goal band."""
        reach = (robot.min_reach_m, robot.reach_radius_m - REACH_MARGIN)
        return cls(robot.max_grasp_width_m, reach, robot.goal_band_m)


PANDA_LIMITS = ArmLimits.of(DEFAULT_ROBOT)  # the default robot's (the name predates ROBOT=)


@dataclass(frozen=True)
class GoalRegion:
    """Where the target must end: inside an upright footprint, and "on" its surface or "in" it.

    Attributes:
        centre: footprint centre (x, y).
        half_extents: footprint half sizes along its own axes.
        yaw: footprint heading.
        surface_z: the goal's top: the surface to stand on ("on") or the rim ("in").
        relation: "on" (flat receptacle, work surface) or "in" (container).
        bottom_z: a container's outer bottom (None: the same as `surface_z`).
    """

    centre: tuple[float, float]
    half_extents: tuple[float, float]
    yaw: float
    surface_z: float
    relation: str = "on"
    bottom_z: float | None = None

    @property
    def floor_z(self) -> float:
        """The lowest the target's bottom can be: a container's bottom, else the surface."""
        return self.surface_z if self.bottom_z is None else self.bottom_z

    def contains(self, point: Sequence[float]) -> bool:
        """Whether a world point's (x, y) lies inside the footprint."""
        box = ObjectBox(
            "goal", (self.centre[0], self.centre[1], 0.0), (*self.half_extents, 0.0), self.yaw
        )
        return box.contains_xy(point)


@dataclass(frozen=True)
class PickPlaceTask:
    """Move `target_id` onto `goal_id` (an object) or onto a region of the work surface.

    Attributes:
        task_id: stable id, `<target>-to-<goal>` (region goals: `<target>-to-<surface>-<side>`).
        target_id: the object to pick.
        support_id: the object the target rests on initially (None: unknown).
        goal_id: the object to put it on (a receptacle, or the work surface for a region).
        region: a fixed goal region on the work surface (None: the goal object's footprint).
        instruction: the natural-language instruction.
        side: for a region goal, the side of the work surface it lies on ("left", "right").
        relation: "on" or "in" (the goal is a container).
        skill: what the task asks (`tools.tasks.skills.PLACE_SKILLS`); it picks the judge.
        grasp: how the target is held (`tools.tasks.skills`: a pinch across it or of its rim).
        rim: the target's rim geometry (rim pinches only).
        height_change: the goal surface's height minus the start surface's, metres.
        surface: the furniture face of a region goal (None: the goal object's box top).
        rolls: the target is round (`tools.tasks.round_objects`): its tilt is not judged.
        sampled: the target's grasps from its hulls (`ANTIPODAL` grasps only).
    """

    task_id: str
    target_id: str
    support_id: str | None
    goal_id: str
    region: GoalRegion | None
    instruction: str
    side: str | None = None
    relation: str = "on"
    skill: str = PLACE_ON
    grasp: str = TOP
    rim: RimGeometry | None = None
    height_change: float = 0.0
    surface: GoalSurface | None = None
    rolls: bool = False
    sampled: SampledGrasps | None = None

    def goal_region(self, goal_box: ObjectBox, target_radius: float) -> GoalRegion:
        """The region the target must end in, given the goal object's current box."""
        if self.region is not None:
            return self.region
        margin = min(0.5 * target_radius, 0.3 * min(goal_box.half_extents[:2]))
        half = (goal_box.half_extents[0] - margin, goal_box.half_extents[1] - margin)
        return GoalRegion(
            goal_box.centre[:2], half, goal_box.yaw, goal_box.top, self.relation, goal_box.bottom
        )


def within_reach(base: Pose, point: Sequence[float], limits: ArmLimits = PANDA_LIMITS) -> bool:
    """Coarse reachability of a top-down grasp at `point` from a robot at `base`."""
    if limits.reach is None:
        return True
    dx, dy = point[0] - base.position[0], point[1] - base.position[1]
    radius = math.hypot(dx, dy)
    height = point[2] - base.position[2]
    return limits.reach[0] <= radius <= limits.reach[1] and -0.1 <= height <= 0.4


def graspable(box: ObjectBox, category: str = "", max_width: float = MAX_GRASP_WIDTH) -> bool:
    """Whether some grasp fits the object (`tools.tasks.skills.grasp_skill`)."""
    return grasp_skill(box, category, max_width) is not None


def describe(obj: SceneObject) -> str:
    """The object's name in an instruction: colour (from semantic tags) and label."""
    colours = [t for t in obj.semantics.tags if t.lower() in _COLOURS]
    label = obj.semantics.label.replace("_", " ").strip().lower()
    return f"{colours[0].lower()} {label}" if colours else label


def template_phrase(target: str, goal: str, template: str = instruction_template(PLACE_ON)) -> str:
    """The default, deterministic instruction: a skill's template filled in.

    Args:
        target: the target's name.
        goal: the goal's name.
        template: `tools.tasks.skills.instruction_template` of the task's skill.
    """
    return template.format(target=target, goal=goal)


def free_squares(
    surface: GoalSurface | str,
    boxes: Mapping[str, ObjectBox],
    base: Pose,
    band: tuple[float, float] = REGION_REACH,
    moving_id: str | None = None,
) -> list[tuple[float, GoalRegion]]:
    """Free squares of a goal surface within reach (no object's footprint within 2 cm).

    Args:
        surface: a furniture face (`tools.tasks.surfaces`), or an object whose box top it is
            (the work surface).
        boxes: every object's box now.
        base: the robot base pose.
        band: distances from the base the squares lie within (the robot's goal band).
        moving_id: the object the task will pick up (None: none). Its spot is vacated before
            the set-down, so it needs no clearance: it only bars the squares its footprint
            overlaps (the target must leave the square it is put in). Counting it like a
            neighbour barred every square within 10 cm of a tall bottle, i.e. its whole side.

    Returns:
        (lateral offset from the robot's heading, positive to its left; region) pairs, in a
        fixed scan order.
    """
    face = GoalSurface.top_of(boxes[surface]) if isinstance(surface, str) else surface
    # What stands over the face below the board above it, and the furniture's posts.
    others = [
        b for k, b in boxes.items() if k not in (face.object_id, moving_id) and face.blocked_by(b)
    ]
    others += face.obstacles
    moving = boxes.get(moving_id) if moving_id is not None else None
    heading = base.yaw
    c, s = math.cos(heading), math.sin(heading)
    grown, half = (REGION_HALF + 0.02, REGION_HALF + 0.02), (REGION_HALF, REGION_HALF)

    def free(along: float, lateral: float) -> GoalRegion | None:
        if not band[0] <= math.hypot(along, lateral) <= band[1]:
            return None
        x = base.position[0] + along * c - lateral * s
        y = base.position[1] + along * s + lateral * c
        if not face.box.contains_xy((x, y), margin=REGION_HALF + 0.02):
            return None
        if any(
            rectangles_overlap((x, y), grown, heading, o.centre, o.half_extents, o.yaw)
            for o in others
        ):
            return None
        if moving is not None and rectangles_overlap(
            (x, y), half, heading, moving.centre, moving.half_extents, moving.yaw
        ):
            return None
        return GoalRegion((x, y), half, heading, face.level)

    # Ahead of the band's near edge (a work surface in front); only if none is free there,
    # nearer along the heading, where squares well to the side lie within the band
    # (furniture beside the robot).
    laterals = np.arange(-band[1], band[1] + 1e-9, 0.05)
    candidates: list[tuple[float, GoalRegion]] = []
    for rows in (np.arange(band[0], band[1] + 1e-9, 0.05), np.arange(band[0] - 0.05, 0, -0.05)):
        for along in rows:
            for lateral in laterals:
                region = free(float(along), float(lateral))
                if region is not None:
                    candidates.append((float(lateral), region))
        if candidates:
            break
    return candidates


def surface_regions(
    surface: GoalSurface | str,
    boxes: Mapping[str, ObjectBox],
    base: Pose,
    band: tuple[float, float] = REGION_REACH,
) -> list[tuple[str, GoalRegion]]:
    """On each side of the robot's heading, the free square of a goal surface within reach
    nearest `SIDE_LATERAL` off it (free: no object's footprint within 2 cm).

    Args:
        surface: the face, or the object whose box top it is (`free_squares`).
        boxes: every object's box now.
        base: the robot base pose.
        band: distances from the base the squares lie within.

    Returns:
        ("left" | "right", region) pairs, for the sides that have a free square.
    """
    candidates = free_squares(surface, boxes, base, band)
    out = []
    for side, sign in (("left", 1.0), ("right", -1.0)):
        on_side = [(sign * lat, r) for lat, r in candidates if sign * lat >= SIDE_MIN_LATERAL]
        if on_side:
            best = min(on_side, key=lambda item: (round(abs(item[0] - SIDE_LATERAL), 6), item[0]))
            out.append((side, best[1]))
    return out


def nearest_free_square(
    surface: GoalSurface | str,
    boxes: Mapping[str, ObjectBox],
    base: Pose,
    side: str,
    near: Sequence[float],
    band: tuple[float, float] = REGION_REACH,
    moving_id: str | None = None,
) -> GoalRegion | None:
    """The free square on one side of a goal surface closest to a point.

    Keeps a surface goal near its nominal spot when objects are scattered around it.

    Args:
        surface: the face, or the object whose box top it is (`free_squares`).
        boxes: every object's box now.
        base: the robot base pose.
        side: "left" or "right" (seen from the robot).
        near: the preferred (x, y).
        band: distances from the base the squares lie within.
        moving_id: the object the task picks up (`free_squares`).

    Returns:
        The square, or None when that side has no free square.
    """
    sign = 1.0 if side == "left" else -1.0
    on_side = [
        region
        for lateral, region in free_squares(surface, boxes, base, band, moving_id)
        if sign * lateral >= SIDE_MIN_LATERAL
    ]
    return min(on_side, key=lambda r: math.dist(r.centre, near[:2]), default=None)
