"""Receptacles a target can be put on or in: flat ones ("on"), containers ("in") and movable
flat-topped objects it can be stacked on."""

from __future__ import annotations

from collections.abc import Collection

from tools.scene_manifest import SceneObject, SimRole
from tools.tasks.geometry import ObjectBox

MAX_RECEPTACLE_HEIGHT = 0.06  # flat things to put objects on: plates, trays, books, boards
MIN_RECEPTACLE_HALF = 0.05
# Receptacles with "in" semantics: the target ends inside, below the rim. Everything else that
# qualifies as a receptacle is flat and keeps "on". (Drawers need articulation: later.)
CONTAINER_CATEGORIES = frozenset({"bowl", "box", "bin", "basket", "pot", "pan", "sink"})
MAX_CONTAINER_HEIGHT = 0.12  # deeper containers hide the target from a top-down release
CONTAINER_WALL = 0.01  # the target must fit between the walls with this much to spare
MIN_OPEN_DEPTH = 0.015  # a "box" whose inside is shallower than this is closed (tissue box)
# Movable flat-topped objects another can be stacked on (a closed box, a book, a can, a jar's
# lid), taller than a flat receptacle; dishware and boards are flat receptacles, not a stack.
STACK_BASE_CATEGORIES = frozenset(
    {"box", "book", "crate", "block", "case", "carton", "can", "tin", "jar"}
)
FLAT_DISHWARE = frozenset({"plate", "tray", "saucer", "dish", "board", "mat"})
MAX_STACK_BASE_HEIGHT = 0.15
# A box measured closed on top (a ray down its centre stops at its lid: a cereal box) may be
# taller, up to a straight-sided object's top-down pinch height and 2.5 times its narrow side:
# stacked onto a 30 cm cereal box 13 cm deep, apple and mug held 6/6 on the Franka (kitchen
# 186). Crates and the like are not measured: an open one would swallow the target.
MAX_CLOSED_STACK_BASE_HEIGHT = 0.32
MAX_STACK_BASE_ASPECT = 2.5
# 8 cm across at least: on a 6.6 cm soda can's top the xArm6 missed a 5 cm block 3 times out
# of 3 (the Panda placed it 4/4); jars and wider tins qualify.
MIN_STACK_BASE_HALF = 0.04


def _words(obj: SceneObject) -> set[str]:
    """The object's category and label words, lowered."""
    return {obj.category.lower(), *obj.semantics.label.lower().replace("_", " ").split()}


def is_container(obj: SceneObject, closed: Collection[str] = ()) -> bool:
    """Whether the object is a container (bowl, box, bin...): targets go "in" it.

    Args:
        obj: the object.
        closed: ids measured to have no opening on top (a closed box is a flat receptacle).
    """
    if obj.id in closed:
        return False
    return bool(_words(obj) & CONTAINER_CATEGORIES)


def is_stack_goal(obj: SceneObject, closed: Collection[str] = ()) -> bool:
    """Whether putting something on the object stacks it: a movable object that is neither a
    container nor flat dishware (a plate or tray is a place to put things on)."""
    return (
        obj.sim_role is SimRole.MANIPULABLE
        and not is_container(obj, closed)
        and not _words(obj) & FLAT_DISHWARE
    )


def is_stack_base(obj: SceneObject, box: ObjectBox, closed: Collection[str] = ()) -> bool:
    """Whether the object is a flat-topped movable one (closed box, book, tin, jar) up to 15 cm
    tall (a box measured closed: up to 32 cm and 2.5 times its narrow side) and at least 8 cm
    across."""
    narrow, height = 2 * min(box.half_extents[:2]), 2 * box.half_extents[2]
    tallest = (
        min(MAX_CLOSED_STACK_BASE_HEIGHT, MAX_STACK_BASE_ASPECT * narrow)
        if obj.id in closed
        else MAX_STACK_BASE_HEIGHT
    )
    return (
        is_stack_goal(obj, closed)
        and bool(_words(obj) & STACK_BASE_CATEGORIES)
        and height <= tallest
        and narrow >= 2 * MIN_STACK_BASE_HALF
    )


def relation_to(goal: SceneObject, closed: Collection[str] = ()) -> str:
    """The instruction's preposition for a goal object: "in" a container, else "on"."""
    return "in" if is_container(goal, closed) else "on"


def is_receptacle(obj: SceneObject, box: ObjectBox, closed: Collection[str] = ()) -> bool:
    """Whether goals may be put on or in the object: flat and wide, a shallow container, or a
    flat-topped movable object to stack on."""
    tallest = MAX_CONTAINER_HEIGHT if is_container(obj, closed) else MAX_RECEPTACLE_HEIGHT
    flat_or_container = (
        obj.sim_role in (SimRole.MANIPULABLE, SimRole.STATIC)
        and 2 * box.half_extents[2] <= tallest
        and min(box.half_extents[:2]) >= MIN_RECEPTACLE_HALF
    )
    return flat_or_container or is_stack_base(obj, box, closed)


def fits_goal(
    target: ObjectBox, goal: SceneObject, goal_box: ObjectBox, closed: Collection[str] = ()
) -> bool:
    """Whether the target fits the goal: mostly over a flat one; in a container, between its
    walls with its centre below the rim (inside the container's inner volume)."""
    if is_container(goal, closed):
        inner = min(goal_box.half_extents[:2]) - CONTAINER_WALL
        depth = 2 * goal_box.half_extents[2] - CONTAINER_WALL
        return max(target.half_extents[:2]) < inner and target.half_extents[2] < depth
    return min(goal_box.half_extents[:2]) >= 0.6 * target.footprint_radius
