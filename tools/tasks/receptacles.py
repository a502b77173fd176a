"""Receptacles a target can be put on or in: flat ones ("on") and containers ("in")."""

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


def is_container(obj: SceneObject, closed: Collection[str] = ()) -> bool:
    """Whether the object is a container (bowl, box, bin...): targets go "in" it.

    Args:
        obj: the object.
        closed: ids measured to have no opening on top (a closed box is a flat receptacle).
    """
    if obj.id in closed:
        return False
    words = {obj.category.lower(), *obj.semantics.label.lower().replace("_", " ").split()}
    return bool(words & CONTAINER_CATEGORIES)


def relation_to(goal: SceneObject, closed: Collection[str] = ()) -> str:
    """The instruction's preposition for a goal object: "in" a container, else "on"."""
    return "in" if is_container(goal, closed) else "on"


def is_receptacle(obj: SceneObject, box: ObjectBox, closed: Collection[str] = ()) -> bool:
    """Whether goals may be put on or in the object: flat and wide, or a shallow container."""
    tallest = MAX_CONTAINER_HEIGHT if is_container(obj, closed) else MAX_RECEPTACLE_HEIGHT
    return (
        obj.sim_role in (SimRole.MANIPULABLE, SimRole.STATIC)
        and 2 * box.half_extents[2] <= tallest
        and min(box.half_extents[:2]) >= MIN_RECEPTACLE_HALF
    )


def fits_goal(
    target: ObjectBox, goal: SceneObject, goal_box: ObjectBox, closed: Collection[str] = ()
) -> bool:
    """Whether the target fits the goal: mostly over a flat one, between a container's walls."""
    if is_container(goal, closed):
        inner = min(goal_box.half_extents[:2]) - CONTAINER_WALL
        return max(target.half_extents[:2]) < inner
    return min(goal_box.half_extents[:2]) >= 0.6 * target.footprint_radius
