"""Which doors and drawers a facade has: from its handles first, else from category priors.

Handles decide when present: handles at overlapping heights form a row, rows split the facade
height at the midpoints between them, and handles in a row split its width the same way. A
vertical handle marks a door hinged on the far side of its cell; a horizontal one a drawer
whose front is centred on it (or a bottom-hinged flap on an oven or dishwasher, from a plinth
above the row's bottom to just above its pull). Without
handles the category's default layout is used, and the result is marked as such.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from simready_job import articulation_priors as pri
from simready_job.articulation_facade import FrontFrame, Handle
from tools.scene_manifest.articulation import HingeSide, PartKind

Span = tuple[float, float]


@dataclass(frozen=True)
class PartPlan:
    """One moving part on the facade (front-frame spans; the joint is derived from them).

    Attributes:
        kind: "door" or "drawer".
        u: lateral span of its front.
        z: height span of its front.
        hinge: the hinge's side for a door, None for a drawer.
        handle: (u, z) of its handle (a found one, or where a pull would be).
        handle_tip: how far the handle stands out of the facade (0 if none was found).
        free_depth: free space in front of the part (room bounds, furniture), metres.
    """

    kind: PartKind
    u: Span
    z: Span
    hinge: HingeSide | None
    handle: tuple[float, float]
    handle_tip: float
    free_depth: float = float("inf")


def _rows(handles: tuple[Handle, ...], z: Span) -> list[tuple[Span, list[Handle]]]:
    groups: list[list[Handle]] = []
    for handle in sorted(handles, key=lambda h: h.centre[1]):
        lo = handle.centre[1] - handle.size[1] / 2
        if groups and lo <= max(h.centre[1] + h.size[1] / 2 for h in groups[-1]):
            groups[-1].append(handle)
        else:
            groups.append([handle])
    edges = [z[0]]
    for below, above in itertools.pairwise(groups):
        top = max(h.centre[1] + h.size[1] / 2 for h in below)
        bottom = min(h.centre[1] - h.size[1] / 2 for h in above)
        edges.append((top + bottom) / 2)
    edges.append(z[1])
    return [((edges[k], edges[k + 1]), g) for k, g in enumerate(groups)]


def _cells(handles: list[Handle], u: Span) -> list[tuple[Span, Handle]]:
    ordered = sorted(handles, key=lambda h: h.centre[0])
    edges = [u[0]]
    edges += [(a.centre[0] + b.centre[0]) / 2 for a, b in itertools.pairwise(ordered)]
    edges.append(u[1])
    return [((edges[k], edges[k + 1]), h) for k, h in enumerate(ordered)]


def _door(cell: Span, row: Span, handle: Handle) -> PartPlan:
    """A side-hinged door whose free edge is just past its handle."""
    hinge: HingeSide = "left" if handle.centre[0] >= (cell[0] + cell[1]) / 2 else "right"
    reach = handle.size[0] / 2 + 0.06
    if hinge == "left":
        u = (cell[0], min(cell[1], handle.centre[0] + reach))
    else:
        u = (max(cell[0], handle.centre[0] - reach), cell[1])
    return PartPlan("door", u, row, hinge, handle.centre, handle.tip)


def plan_from_handles(front: FrontFrame, prior: pri.ArticulationPrior) -> list[PartPlan]:
    """One part per handle (see the module docstring).

    Args:
        front: the facade and its handles.
        prior: the category's prior.

    Returns:
        The parts, bottom row first; fronts smaller than MIN_PART_M are left out.
    """
    plans = []
    for row, row_handles in _rows(front.handles, front.z_range):
        for cell, handle in _cells(row_handles, front.u_range):
            if prior.layout == "flap" and not handle.vertical:
                top = min(row[1], handle.centre[1] + handle.size[1] / 2 + pri.FLAP_ABOVE_HANDLE_M)
                flap_z = (row[0] + pri.FLAP_PLINTH_M, top)
                plans.append(PartPlan("door", cell, flap_z, "bottom", handle.centre, handle.tip))
            elif handle.vertical or not prior.drawers_allowed:
                plans.append(_door(cell, row, handle))
            else:
                hz = handle.centre[1]
                half = min(hz - row[0], row[1] - hz)
                plans.append(
                    PartPlan(
                        "drawer", cell, (hz - half, hz + half), None, handle.centre, handle.tip
                    )
                )
    return [p for p in plans if min(p.u[1] - p.u[0], p.z[1] - p.z[0]) >= pri.MIN_PART_M]


def _side_door(u: Span, z: Span, hinge: HingeSide) -> PartPlan:
    free = u[1] - 0.06 if hinge == "left" else u[0] + 0.06
    return PartPlan("door", u, z, hinge, (free, (z[0] + z[1]) / 2), 0.0)


def split_span(span: Span, count: int) -> list[Span]:
    """`count` equal consecutive pieces of a span."""
    step = (span[1] - span[0]) / count
    return [(span[0] + k * step, span[0] + (k + 1) * step) for k in range(count)]


def plan_from_priors(front: FrontFrame, prior: pri.ArticulationPrior) -> list[PartPlan]:
    """The category's default layout for a facade without visible handles.

    Args:
        front: the facade.
        prior: the category's prior.

    Returns:
        The parts (empty when the category has no default layout).
    """
    u, z = front.u_range, front.z_range
    width, height = u[1] - u[0], z[1] - z[0]
    if prior.layout == "fridge":
        if height < pri.FRIDGE_TWO_DOORS_FROM_M:
            return [_side_door(u, z, "left")]
        split = z[0] + pri.FRIDGE_SPLIT_SHARE * height
        return [_side_door(u, (z[0], split), "left"), _side_door(u, (split, z[1]), "left")]
    if prior.layout == "microwave":
        return [_side_door((u[0], u[0] + pri.MICROWAVE_DOOR_SHARE * width), z, "left")]
    if prior.layout == "flap":
        top = z[0] + pri.FLAP_HEIGHT_SHARE * height
        flap_z = (z[0] + pri.FLAP_PLINTH_M, top)
        return [PartPlan("door", u, flap_z, "bottom", ((u[0] + u[1]) / 2, top - 0.05), 0.0)]
    if prior.layout == "drawers":
        rows = split_span(z, max(1, round(height / pri.DRAWER_HEIGHT_M)))
        return [
            PartPlan("drawer", u, r, None, ((u[0] + u[1]) / 2, (r[0] + r[1]) / 2), 0.0)
            for r in rows
        ]
    if prior.layout in ("cabinet", "counter"):
        module = pri.COUNTER_DOOR_WIDTH_M if prior.layout == "counter" else pri.DOUBLE_DOOR_FROM_M
        count = max(1, round(width / module)) if prior.layout == "counter" else 1 + (width > module)
        doors = []
        for k, cell in enumerate(split_span(u, count)):
            hinge: HingeSide = "left" if k % 2 == 0 else "right"
            doors.append(_side_door(cell, z, hinge))
        return doors
    return []
