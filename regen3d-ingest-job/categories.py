"""Detector labels mapped to object categories and simulation roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from regen3d_ingest_job.ids import slug
from tools.scene_manifest import SimRole


class RoleRule(StrEnum):
    """How a category's simulation role is decided."""

    BACKGROUND = "background"  # room shell
    STATIC = "static"  # furniture and appliances: fixed colliders, often supports
    MANIPULABLE = "manipulable"  # small graspable things
    BY_SIZE = "by_size"  # boxes, bins: graspable only when small


# Longest side (m) up to which a box, crate or bin is a free body (a 600 x 400 mm Euro crate is).
MOVABLE_MAX_SIDE_M = 0.65
# Longest side (m) up to which an unrecognised object is a free body (a distractor).
UNKNOWN_MAX_SIDE_M = 0.40

_ROLES: dict[str, RoleRule] = {
    "floor": RoleRule.BACKGROUND,
    "wall": RoleRule.BACKGROUND,
    "ceiling": RoleRule.BACKGROUND,
    "room": RoleRule.BACKGROUND,
    "window": RoleRule.BACKGROUND,
    "door": RoleRule.BACKGROUND,
    "table": RoleRule.STATIC,
    "coffee_table": RoleRule.STATIC,
    "side_table": RoleRule.STATIC,
    "desk": RoleRule.STATIC,
    "counter": RoleRule.STATIC,
    "kitchen_island": RoleRule.STATIC,
    "workbench": RoleRule.STATIC,
    "shelf": RoleRule.STATIC,
    "bookshelf": RoleRule.STATIC,
    "cabinet": RoleRule.STATIC,
    "filing_cabinet": RoleRule.STATIC,
    "nightstand": RoleRule.STATIC,
    "chair": RoleRule.STATIC,
    "office_chair": RoleRule.STATIC,
    "stool": RoleRule.STATIC,
    "sofa": RoleRule.STATIC,
    "bed": RoleRule.STATIC,
    "refrigerator": RoleRule.STATIC,
    "oven": RoleRule.STATIC,
    "dishwasher": RoleRule.STATIC,
    "sink": RoleRule.STATIC,
    "microwave": RoleRule.STATIC,
    "monitor": RoleRule.STATIC,
    "lamp": RoleRule.STATIC,
    "printer": RoleRule.STATIC,
    "trash_can": RoleRule.STATIC,
    "plant": RoleRule.STATIC,
    "pallet": RoleRule.STATIC,
    "pallet_rack": RoleRule.STATIC,
    "shelving_rack": RoleRule.STATIC,
    "barrel": RoleRule.STATIC,
    "mug": RoleRule.MANIPULABLE,
    "cup": RoleRule.MANIPULABLE,
    "glass": RoleRule.MANIPULABLE,
    "bottle": RoleRule.MANIPULABLE,
    "wine_bottle": RoleRule.MANIPULABLE,
    "can": RoleRule.MANIPULABLE,
    "bowl": RoleRule.MANIPULABLE,
    "plate": RoleRule.MANIPULABLE,
    "jar": RoleRule.MANIPULABLE,
    "kettle": RoleRule.MANIPULABLE,
    "pan": RoleRule.MANIPULABLE,
    "pot": RoleRule.MANIPULABLE,
    "fruit": RoleRule.MANIPULABLE,
    "cutlery": RoleRule.MANIPULABLE,
    "book": RoleRule.MANIPULABLE,
    "phone": RoleRule.MANIPULABLE,
    "remote": RoleRule.MANIPULABLE,
    "keyboard": RoleRule.MANIPULABLE,
    "mouse": RoleRule.MANIPULABLE,
    "pen": RoleRule.MANIPULABLE,
    "stapler": RoleRule.MANIPULABLE,
    "scissors": RoleRule.MANIPULABLE,
    "hand_tool": RoleRule.MANIPULABLE,
    "tape": RoleRule.MANIPULABLE,
    "toy": RoleRule.MANIPULABLE,
    "box": RoleRule.BY_SIZE,
    "crate": RoleRule.BY_SIZE,
    "bin": RoleRule.BY_SIZE,
    "basket": RoleRule.BY_SIZE,
    "bag": RoleRule.BY_SIZE,
    "container": RoleRule.BY_SIZE,
}

# Label words (after slugging) that name a category other than their own spelling.
_ALIASES: dict[str, str] = {
    "dining_table": "table",
    "kitchen_table": "table",
    "end_table": "side_table",
    "countertop": "counter",
    "kitchen_counter": "counter",
    "island": "kitchen_island",
    "bookcase": "bookshelf",
    "shelving": "shelving_rack",
    "shelving_unit": "shelving_rack",
    "metal_shelf": "shelving_rack",
    "shelves": "shelf",
    "cupboard": "cabinet",
    "dresser": "cabinet",
    "sideboard": "cabinet",
    "drawer": "cabinet",
    "drawers": "cabinet",
    "bedside_table": "nightstand",
    "armchair": "chair",
    "couch": "sofa",
    "fridge": "refrigerator",
    "stove": "oven",
    "range": "oven",
    "screen": "monitor",
    "computer_monitor": "monitor",
    "wastebasket": "trash_can",
    "garbage_can": "trash_can",
    "trash_bin": "trash_can",
    "potted_plant": "plant",
    "rack": "pallet_rack",
    "storage_rack": "pallet_rack",
    "coffee_mug": "mug",
    "teacup": "cup",
    "pen_holder": "cup",
    "tumbler": "glass",
    "wine_glass": "glass",
    "soda_can": "can",
    "tin": "can",
    "dish": "plate",
    "teapot": "kettle",
    "frying_pan": "pan",
    "saucepan": "pot",
    "apple": "fruit",
    "banana": "fruit",
    "orange": "fruit",
    "lemon": "fruit",
    "spoon": "cutlery",
    "fork": "cutlery",
    "knife": "cutlery",
    "notebook": "book",
    "cell_phone": "phone",
    "smartphone": "phone",
    "remote_control": "remote",
    "computer_mouse": "mouse",
    "pencil": "pen",
    "marker": "pen",
    "screwdriver": "hand_tool",
    "hammer": "hand_tool",
    "wrench": "hand_tool",
    "pliers": "hand_tool",
    "tape_roll": "tape",
    "drum": "barrel",
    "oil_drum": "barrel",
    "cardboard_box": "box",
    "carton": "box",
    "package": "box",
    "parcel": "box",
    "tote": "bin",
    "storage_bin": "bin",
}


@dataclass(frozen=True)
class Category:
    """What a label was recognised as.

    Attributes:
        name: the category (a known one, or the label's slug when unrecognised).
        rule: how its simulation role is decided.
        recognised: whether the label matched the table (only those carry size priors).
    """

    name: str
    rule: RoleRule
    recognised: bool


def known_categories() -> tuple[str, ...]:
    """Every category this table can produce, sorted."""
    return tuple(sorted(_ROLES))


def classify(label: str) -> Category:
    """Map a detector label to a category: the longest matching word run, rightmost first.

    Args:
        label: the 3D-RE-GEN label, e.g. `coffee_mug` or `Dining Table`.

    Returns:
        The category; an unrecognised label keeps its slug and is decided by size.
    """
    words = [w for w in slug(label).split("_") if w]
    for length in range(len(words), 0, -1):
        for start in range(len(words) - length, -1, -1):
            name = _lookup("_".join(words[start : start + length]))
            if name is not None:
                return Category(name=name, rule=_ROLES[name], recognised=True)
    return Category(name=slug(label) or "object", rule=RoleRule.BY_SIZE, recognised=False)


def sim_role(category: Category, longest_side_m: float) -> SimRole:
    """The simulation role of an object of this category and size.

    Args:
        category: the classified label.
        longest_side_m: the object's longest dimension in metres.

    Returns:
        BACKGROUND for room classes, STATIC for furniture, MANIPULABLE for graspable items;
        boxes, crates and bins are MANIPULABLE up to MOVABLE_MAX_SIDE_M, else STATIC; an
        unrecognised object is a DISTRACTOR up to UNKNOWN_MAX_SIDE_M (a free body that is
        never a task object, since nobody knows what it is), else STATIC.
    """
    if category.rule is RoleRule.BACKGROUND:
        return SimRole.BACKGROUND
    if category.rule is RoleRule.STATIC:
        return SimRole.STATIC
    if category.rule is RoleRule.MANIPULABLE:
        return SimRole.MANIPULABLE
    if category.recognised:
        return SimRole.MANIPULABLE if longest_side_m <= MOVABLE_MAX_SIDE_M else SimRole.STATIC
    return SimRole.DISTRACTOR if longest_side_m <= UNKNOWN_MAX_SIDE_M else SimRole.STATIC


def _lookup(words: str) -> str | None:
    for candidate in (words, _singular(words)):
        if candidate in _ROLES:
            return candidate
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None


def _singular(words: str) -> str:
    if words.endswith("ves"):
        return words[:-3] + "f"
    if words.endswith(("xes", "ses", "ches")):
        return words[:-2]
    if words.endswith("s") and not words.endswith("ss"):
        return words[:-1]
    return words
