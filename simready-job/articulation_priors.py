"""Per-category knowledge of furniture that opens: which categories, limits, masses, friction.

Values are typical of kitchen and office furniture (EN 1116 / ANSI kitchen unit sizes and
manufacturers' hinge and runner data): cabinet hinges open 95-110 degrees, refrigerator doors
about 110-120, oven and dishwasher flaps fold down 90; full-extension runners travel about the
cabinet's depth less the back panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Layout = Literal["cabinet", "drawers", "fridge", "microwave", "flap", "counter"]


@dataclass(frozen=True)
class ArticulationPrior:
    """What a category's moving parts are like.

    Attributes:
        layout: the layout used when no handle shows the parts (see articulation_layout).
        door_open_rad: upper limit of a side-hinged door.
        flap_open_rad: upper limit of a bottom-hinged door (oven, dishwasher).
        panel_m: thickness of a door or drawer front.
        areal_kg_m2: mass of a door or drawer front per square metre of its face.
        door_damping: N m s/rad on side-hinged doors.
        door_friction: N m of dry friction on side-hinged doors.
        drawers_allowed: whether a horizontal handle here marks a drawer (else a door).
    """

    layout: Layout
    door_open_rad: float = math.radians(100.0)
    flap_open_rad: float = math.radians(90.0)
    panel_m: float = 0.02
    areal_kg_m2: float = 12.0
    door_damping: float = 0.5
    door_friction: float = 0.2
    drawers_allowed: bool = True


PRIORS: dict[str, ArticulationPrior] = {
    "cabinet": ArticulationPrior("cabinet"),
    "nightstand": ArticulationPrior("drawers"),
    "filing_cabinet": ArticulationPrior("drawers", areal_kg_m2=10.0),
    "counter": ArticulationPrior("counter"),
    "desk": ArticulationPrior("drawers"),  # only with handles: a plain desk stays static
    "refrigerator": ArticulationPrior(
        "fridge",
        door_open_rad=math.radians(110.0),
        panel_m=0.05,
        areal_kg_m2=18.0,
        door_damping=2.0,
        door_friction=0.5,
        drawers_allowed=False,
    ),
    "microwave": ArticulationPrior(
        "microwave", panel_m=0.03, areal_kg_m2=10.0, door_damping=0.2, drawers_allowed=False
    ),
    "oven": ArticulationPrior("flap", panel_m=0.05, areal_kg_m2=20.0, drawers_allowed=False),
    "dishwasher": ArticulationPrior("flap", panel_m=0.04, areal_kg_m2=16.0, drawers_allowed=False),
}
# Categories whose layout may be guessed without handles (a desk without pulls has no drawers).
DEFAULT_LAYOUTS = frozenset({"cabinet", "drawers", "fridge", "microwave", "flap", "counter"})
NO_DEFAULT = frozenset({"desk"})

DRAWER_DAMPING = 5.0  # N s/m
DRAWER_FRICTION = 2.0  # N
FLAP_DAMPING = 2.0  # N m s/rad
DRAWER_TRAVEL_SHARE = 0.75  # of the object's depth
DRAWER_TRAVEL_M = (0.1, 0.6)
ROOM_MARGIN_M = 0.05  # a drawer stops this short of the wall in front of it
COUNTER_DOOR_WIDTH_M = 0.6  # a kitchen base unit's door module
FRIDGE_TWO_DOORS_FROM_M = 1.4  # taller refrigerators have a freezer door
FRIDGE_SPLIT_SHARE = 0.62  # the lower (fresh food) door's share of the height
DRAWER_HEIGHT_M = 0.33  # one drawer of a filing cabinet or chest
DOUBLE_DOOR_FROM_M = 0.7  # a cabinet wider than this has two doors
MICROWAVE_DOOR_SHARE = 0.75  # the control panel takes the rest of the width
FLAP_HEIGHT_SHARE = 0.8  # an oven's door reaches this share of the facade's height
# A flap's lower edge stands above a plinth (a kick plate, a storage drawer): hinged at floor
# level, the open door and its handle would reach below the floor.
FLAP_PLINTH_M = 0.12
FLAP_ABOVE_HANDLE_M = 0.05  # a flap's top edge is this far above its pull (a panel above)
MIN_PART_M = 0.08  # a door or drawer front smaller than this on a side is not made
GRAVITY = 9.81


def prior_for(category: str) -> ArticulationPrior | None:
    """The prior of a category, or None when the category has no moving parts."""
    return PRIORS.get(category)
