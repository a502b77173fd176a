"""Round objects: produce and balls whose every orientation is a rest pose.

The judge's "upright" rule (within 15 degrees of the start orientation) exists for things with
a base: a mug on its side or a box on its edge has not been put down. An orange has no base:
set down on a tissue box it rolled a few millimetres onto another facet of its hull and came
to rest turned 21 degrees (realistic office 176: 3 attempts refused as `not_upright`). For
such a target the tilt is not judged; every other rule (in the goal, on it, at rest) still is.
Round means both a round category or label and a near-cubic box (a squashed or elongated one,
a melon slice, a banana or a pear, keeps the rule).
"""

from __future__ import annotations

from typing import Final

from tools.tasks.geometry import ObjectBox

ROUND_CATEGORIES: Final = frozenset(
    {
        "apple", "orange", "lemon", "lime", "peach", "plum", "apricot", "nectarine",
        "tangerine", "mandarin", "grapefruit", "tomato", "onion", "fruit", "ball",
        "tennis_ball", "baseball", "golf_ball",
    }
)  # fmt: skip
MAX_ASPECT: Final = 1.25  # largest over smallest box extent of a round object


def rolls(box: ObjectBox, *names: str) -> bool:
    """Whether the object is round: a round category or label (ingest may say "fruit" with the
    label "orange") with box extents within MAX_ASPECT of each other."""
    if not any(name.lower().replace(" ", "_") in ROUND_CATEGORIES for name in names):
        return False
    extents = [2.0 * h for h in box.half_extents]
    return min(extents) > 0 and max(extents) / min(extents) <= MAX_ASPECT
