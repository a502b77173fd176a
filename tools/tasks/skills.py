"""The skills of a task: what it asks (place on, in, stacked, at another height; open/close) and
how the target is held (a pinch across it or of its rim), with the instruction templates.

A pick-and-place task's skill is decided from the scene's semantics and geometry when the
candidates are derived (`tools.tasks.candidates`) and each skill has its own judge
(`episode_generation_job.skill_judges`). The grasp is the robot's side: the Panda opens 8 cm,
so a pinch across the whole object holds only narrow things; mugs, cups, pen holders, bowls
and bins are wider but open on top, and their wall can be pinched at the rim (one finger
inside, one outside). Whether an object has a rim that fits is read from its collision
geometry (`tools.tasks.rims`). A tall narrow object (a bottle) is held from the side, across
its body (`episode_generation_job.side_grasp`).
"""

from __future__ import annotations

from typing import Final, Literal

from tools.tasks.geometry import ObjectBox

# How the target is held.
TOP: Final = "pinch"  # top-down, across the narrow horizontal side
RIM: Final = "rim"  # one finger inside the rim, one outside
SIDE: Final = "side"  # from the side, across a tall object's body (a bottle, a carton)
# A grasp the antipodal sampler found on the collision hulls (`tools.tasks.sampled_grasps`):
# for what the box rules refuse (an apple pinched above its equator, a jar by its shoulder).
ANTIPODAL: Final = "antipodal"
GRASPS: Final = (TOP, RIM, SIDE, ANTIPODAL)
# What a pick-and-place task asks (one judge each).
PLACE_ON: Final = "place_on"  # onto a flat receptacle or the work surface, at the same level
PLACE_IN: Final = "place_in"  # into a container (bowl, box, bin, basket, pot)
STACK: Final = "stack"  # onto another movable object
PLACE_AT_HEIGHT: Final = "place_at_height"  # onto a surface above or below its start
PLACE_SKILLS: Final = (PLACE_ON, PLACE_IN, STACK, PLACE_AT_HEIGHT)
PlaceSkill = Literal["place_on", "place_in", "stack", "place_at_height"]
# Doors and drawers (`tools.tasks.articulated`): grasp the handle, follow the slide or the arc.
OPEN_DRAWER: Final = "open_drawer"
CLOSE_DRAWER: Final = "close_drawer"
OPEN_DOOR: Final = "open_door"
CLOSE_DOOR: Final = "close_door"
ARTICULATED_SKILLS: Final = (OPEN_DRAWER, CLOSE_DRAWER, OPEN_DOOR, CLOSE_DOOR)
PLACE_IN_DRAWER: Final = "place_in_drawer"  # into an opened drawer (`tools.tasks.drawer_placement`)
# Run with the robot at the task's own station, judged from the joint or the tray: no replay
# record, no final-state record.
STATION_SKILLS: Final = (*ARTICULATED_SKILLS, PLACE_IN_DRAWER)
PLACE_TEMPLATES: Final = {
    PLACE_ON: "put the {target} on the {goal}",
    PLACE_IN: "put the {target} in the {goal}",
    STACK: "stack the {target} on top of the {goal}",
    PLACE_AT_HEIGHT: "move the {target} {direction} onto the {goal}",
}
INSTRUCTION_TEMPLATES: Final = {
    OPEN_DRAWER: "open the drawer of the {object}",
    CLOSE_DRAWER: "close the drawer of the {object}",
    OPEN_DOOR: "open the door of the {object}",
    CLOSE_DOOR: "close the door of the {object}",
}
# A goal this much above or below the surface the target starts on is another level (a
# counter next to a table, a shelf board): lifting or lowering onto it is its own skill.
LEVEL_CHANGE_M = 0.05
MIN_GRASP_HEIGHT = 0.02
MAX_GRASP_HEIGHT = 0.2  # taller objects are held only by their (usually tapered) tops
MAX_GRASP_HEIGHT_PRISM = 0.32  # straight-sided objects may be taller
PRISM_CATEGORIES = frozenset({"box", "book"})
# Held from the side, a tall object is pinched across its body at a third of its height (the
# side grasp of `episode_generation_job.side_grasp`, in MuJoCo for both arms); taller ones
# would topple as they are set down.
MAX_SIDE_HEIGHT = 0.40


def instruction_for(skill: str, object_label: str) -> str:
    """The default instruction of an open/close skill on an object (`INSTRUCTION_TEMPLATES`)."""
    return INSTRUCTION_TEMPLATES[skill].format(object=object_label)


def placement_skill(relation: str, onto_movable: bool, height_change: float) -> PlaceSkill:
    """The skill of a pick-and-place candidate.

    Args:
        relation: "in" (a container) or "on".
        onto_movable: the goal is a movable object that is not dishware (a box, a book).
        height_change: the goal surface's height minus the start surface's, metres.

    Returns:
        `PLACE_IN`, `STACK`, `PLACE_AT_HEIGHT` or `PLACE_ON`, in that precedence.
    """
    if relation == "in":
        return PLACE_IN
    if onto_movable:
        return STACK
    return PLACE_AT_HEIGHT if abs(height_change) >= LEVEL_CHANGE_M else PLACE_ON


def instruction_template(skill: str, height_change: float = 0.0) -> str:
    """A pick-and-place skill's template with `{target}` and `{goal}` left to fill.

    Args:
        skill: one of `PLACE_SKILLS`.
        height_change: the goal's level minus the start's (says "up" or "down").
    """
    direction = "up" if height_change >= 0 else "down"
    return PLACE_TEMPLATES[skill].replace("{direction}", direction)


def top_graspable(box: ObjectBox, category: str, max_width: float) -> bool:
    """Whether a top-down grasp across the narrow horizontal side fits the gripper.

    Tall objects qualify only when straight-sided (boxes, books): their top is as wide as the
    rest, while bottles and the like taper and slip out of a grasp near the top.

    Args:
        box: the object's box.
        category: its manifest category.
        max_width: the widest object a pinch closes across (the robot's).
    """
    narrow = 2 * min(box.half_extents[0], box.half_extents[1])
    height = 2 * box.half_extents[2]
    tallest = MAX_GRASP_HEIGHT_PRISM if category in PRISM_CATEGORIES else MAX_GRASP_HEIGHT
    return narrow <= max_width and MIN_GRASP_HEIGHT <= height <= tallest


def grasp_skill(
    box: ObjectBox,
    category: str,
    max_width: float,
    has_rim: bool = False,
    sampled: bool = False,
) -> str | None:
    """How to hold an object: a pinch across it when it fits, else its rim, else from the
    side when it is tall and narrow, else by a grasp sampled on its hulls.

    Args:
        box: the object's box.
        category: its manifest category.
        max_width: the widest object a pinch closes across (the robot's).
        has_rim: its collision geometry has a pinchable rim (`tools.tasks.rims`).
        sampled: the antipodal sampler holds it with this robot's gripper
            (`tools.tasks.sampled_grasps`).

    Returns:
        `TOP`, `RIM`, `SIDE`, `ANTIPODAL`, or None when none fits.
    """
    if top_graspable(box, category, max_width):
        return TOP
    if has_rim and MIN_GRASP_HEIGHT <= 2 * box.half_extents[2] <= MAX_GRASP_HEIGHT:
        return RIM
    if side_graspable(box, category, max_width):
        return SIDE
    return ANTIPODAL if sampled else None


def side_graspable(box: ObjectBox, category: str, max_width: float) -> bool:
    """Whether a side grasp holds the object: narrow enough across, too tall to be pinched
    from the top (`top_graspable`), at most `MAX_SIDE_HEIGHT` tall."""
    narrow = 2 * min(box.half_extents[0], box.half_extents[1])
    height = 2 * box.half_extents[2]
    tallest = MAX_GRASP_HEIGHT_PRISM if category in PRISM_CATEGORIES else MAX_GRASP_HEIGHT
    return narrow <= max_width and tallest < height <= MAX_SIDE_HEIGHT


def grasp_refusal(box: ObjectBox, category: str, max_width: float) -> str:
    """Why `grasp_skill` found no grasp (for the benches' drop counts): "too_short" (under
    2 cm), "too_wide" (its narrow side wider than `max_width`, and no rim to pinch) or
    "too_tall" (narrow, but taller than a side grasp holds upright)."""
    if 2 * box.half_extents[2] < MIN_GRASP_HEIGHT:
        return "too_short"
    narrow = 2 * min(box.half_extents[0], box.half_extents[1])
    return "too_wide" if narrow > max_width else "too_tall"
