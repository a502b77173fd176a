"""Errors of the randomization package.

PipelineError (tools.errors)
└── RandomizationError        a randomization cannot be sampled or applied
    ├── PlacementError        no collision-free placement found (`item` names what failed)
    └── ModelMismatchError    the MuJoCo model lacks a body, geom, light, camera or material
"""

from __future__ import annotations

from tools.errors import PipelineError


class RandomizationError(PipelineError):
    """A randomization cannot be sampled or applied."""


class PlacementError(RandomizationError):
    """No free spot was found for an object after every try and restart.

    Attributes:
        item: the object id or distractor name that could not be placed.
        tries: candidate poses drawn in total.
    """

    def __init__(self, item: str, tries: int) -> None:
        super().__init__(
            f"no collision-free placement for {item} after {tries} tries",
            hint="enlarge the regions, lower min_gap_m/edge_margin_m or place fewer objects",
        )
        self.item = item
        self.tries = tries


class ModelMismatchError(RandomizationError):
    """The MuJoCo model does not contain what a randomization names.

    Attributes:
        kind: "body", "light", "camera", "material" or "distractor slot".
        name: the missing name.
    """

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(
            f"the MuJoCo model has no {kind} named {name!r}",
            hint="load the model from the same scene.usda (tools.sim.load_scene_model) and add "
            "the distractor slots (tools.randomization.add_distractor_slots) before compiling",
        )
        self.kind = kind
        self.name = name
