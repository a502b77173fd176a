"""How deep the hand may lower a held object into a container: measured under the fingers.

Keeping the fingertips above the rim released an apple 5.5 cm above a bowl's curved floor; it
landed rolling and rested 19 to 44 degrees over (kitchen 200, Franka: 2 of 8 place_in attempts
`not_upright`). A bowl wider than the open fingers lets them in: rays straight down, over the
band the open fingers sweep (any heading) and the disc of the object's narrow side, find the
inner surface under each, and the hand stops just above the higher of the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from episode_generation_job.backends.base import SimBackend
from episode_generation_job.grasp import FINGER_HALF_X, FINGERTIP_BELOW_TCP, Grasp
from tools.tasks.geometry import ObjectBox
from tools.tasks.task_specifier import GoalRegion

RAYS_PER_RING = 16
RING_STEP = 0.004  # m between the rings of rays: thinner than a bowl's wall
# The open fingertips reach this far beyond half the opening (pad and finger thickness).
FINGER_REACH = 0.012
RAY_START_ABOVE = 0.05  # rays start this far above the rim


@dataclass(frozen=True)
class ContainerInside:
    """The highest inner surface under the open fingertips, under the held object and under
    the fingers opened wide (to let go of an object that turned in the pads)."""

    under_fingers: float
    under_object: float
    under_wide_fingers: float = math.inf


def _disc(centre: tuple[float, float], inner: float, outer: float) -> list[tuple[float, float]]:
    """Ray points on rings from radius `inner` to `outer`, at most `RING_STEP` apart."""
    rings = max(1, math.ceil((outer - inner) / RING_STEP))
    step = 2 * math.pi / RAYS_PER_RING
    points = [centre] if inner == 0.0 else []
    for i in range(rings + 1):
        radius = inner + (outer - inner) * i / rings
        points += [
            (centre[0] + radius * math.cos(k * step), centre[1] + radius * math.sin(k * step))
            for k in range(RAYS_PER_RING)
        ]
    return points


def finger_span(opening: float) -> tuple[float, float]:
    """Inner and outer radius of the band the fingers opened to `opening` sweep (any heading)."""
    return opening / 2, math.hypot(opening / 2 + FINGER_REACH, FINGER_HALF_X)


def measure_inside(
    backend: SimBackend,
    region: GoalRegion,
    target: ObjectBox,
    grasp: Grasp,
    target_id: str,
    widest: float | None = None,
) -> ContainerInside | None:
    """The container's inner surface under the fingers (at the grasp's opening and at
    `widest`) and under the object released at the region's centre, through the held object
    itself; None when the engine has no rays."""
    top = region.surface_z + RAY_START_ABOVE
    fingers = backend.heights_below(
        _disc(region.centre, *finger_span(grasp.opening)), top, target_id
    )
    narrow = min(target.half_extents[:2])
    under = backend.heights_below(_disc(region.centre, 0.0, narrow), top, target_id)
    wide = None
    if widest is not None and widest > grasp.opening:
        wide = backend.heights_below(_disc(region.centre, *finger_span(widest)), top, target_id)
    if fingers is None or under is None:
        return None
    return ContainerInside(max(fingers), max(under), max(wide) if wide else math.inf)


def release_height_inside(grasp: Grasp, inside: ContainerInside, clearance: float) -> float:
    """TCP height at release: the fingertips and the object's bottom `clearance` above the
    surfaces under them."""
    return max(
        inside.under_fingers + clearance + FINGERTIP_BELOW_TCP,
        inside.under_object + clearance + grasp.drop,
    )


def fingers_clear_at(under: float, tcp_z: float, clearance: float) -> bool:
    """Whether fingertips over a surface at `under` stay `clearance` above it at `tcp_z`."""
    return tcp_z - FINGERTIP_BELOW_TCP >= under + clearance
