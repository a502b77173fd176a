"""Which grasp skill picks a target (a top-down pinch across it, or of its rim), and the
open/close skills of doors and drawers.

The Panda opens 8 cm, so a pinch across the whole object holds only narrow things; mugs,
cups, pen holders, bowls and bins are wider but open on top, and their wall can be pinched at
the rim (one finger inside, one outside), as people pick up a bowl. Whether an object has a
rim that fits is read from its collision geometry (`tools.tasks.rims`).
"""

from __future__ import annotations

from typing import Final

from tools.robots import FRANKA_PANDA
from tools.tasks.geometry import ObjectBox

TOP: Final = "pick_place"
RIM: Final = "rim_pick_place"
SKILLS: Final = (TOP, RIM)
# Doors and drawers (`tools.tasks.articulated`): grasp the handle, follow the slide or the arc.
OPEN_DRAWER: Final = "open_drawer"
CLOSE_DRAWER: Final = "close_drawer"
OPEN_DOOR: Final = "open_door"
CLOSE_DOOR: Final = "close_door"
ARTICULATED_SKILLS: Final = (OPEN_DRAWER, CLOSE_DRAWER, OPEN_DOOR, CLOSE_DOOR)
INSTRUCTION_TEMPLATES: Final = {
    OPEN_DRAWER: "open the drawer of the {object}",
    CLOSE_DRAWER: "close the drawer of the {object}",
    OPEN_DOOR: "open the door of the {object}",
    CLOSE_DOOR: "close the door of the {object}",
}
MIN_GRASP_HEIGHT = 0.02
MAX_GRASP_HEIGHT = 0.2  # taller objects are held only by their (usually tapered) tops
MAX_GRASP_HEIGHT_PRISM = 0.32  # straight-sided objects may be taller
PRISM_CATEGORIES = frozenset({"box", "book"})


def instruction_for(skill: str, object_label: str) -> str:
    """The default instruction of an open/close skill on an object (`INSTRUCTION_TEMPLATES`)."""
    return INSTRUCTION_TEMPLATES[skill].format(object=object_label)


def top_graspable(box: ObjectBox, category: str = "", max_width: float | None = None) -> bool:
    """Whether a top-down grasp across the narrow horizontal side fits the gripper.

    Tall objects qualify only when straight-sided (boxes, books): their top is as wide as the
    rest, while bottles and the like taper and slip out of a grasp near the top.
    """
    widest = FRANKA_PANDA.max_grasp_width_m if max_width is None else max_width
    narrow = 2 * min(box.half_extents[0], box.half_extents[1])
    height = 2 * box.half_extents[2]
    tallest = MAX_GRASP_HEIGHT_PRISM if category in PRISM_CATEGORIES else MAX_GRASP_HEIGHT
    return narrow <= widest and MIN_GRASP_HEIGHT <= height <= tallest


def grasp_skill(
    box: ObjectBox, category: str = "", max_width: float | None = None, has_rim: bool = False
) -> str | None:
    """The skill to pick an object with: a pinch across it when it fits, else its rim.

    Args:
        box: the object's box.
        category: its manifest category.
        max_width: the widest object a pinch closes across (default: the Panda's).
        has_rim: its collision geometry has a pinchable rim (`tools.tasks.rims`).

    Returns:
        `TOP`, `RIM`, or None when neither fits.
    """
    if top_graspable(box, category, max_width):
        return TOP
    if has_rim and MIN_GRASP_HEIGHT <= 2 * box.half_extents[2] <= MAX_GRASP_HEIGHT:
        return RIM
    return None
