"""Category priors for facades without handles: which doors and drawers each category gets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simready_job.articulation_build import opens_enough, swing_limit
from simready_job.articulation_facade import FrontFrame
from simready_job.articulation_layout import PartPlan, plan_from_priors
from simready_job.articulation_priors import prior_for


def facade(width: float, height: float, gap: float = 3.0) -> FrontFrame:
    return FrontFrame(
        normal=np.array([0.0, -1.0, 0.0]),
        right=np.array([1.0, 0.0, 0.0]),
        plane=-0.3,
        u_range=(-width / 2, width / 2),
        z_range=(0.0, height),
        depth=0.6,
        handles=(),
        room_gap=gap,
        evidence="wall",
    )


def _summary(plans: list[PartPlan]) -> list[tuple[str, str | None]]:
    return [(p.kind, p.hinge) for p in plans]


@pytest.mark.parametrize(
    ("category", "width", "height", "expected"),
    [
        ("refrigerator", 0.7, 1.8, [("door", "left"), ("door", "left")]),
        ("refrigerator", 0.6, 0.85, [("door", "left")]),
        ("microwave", 0.5, 0.3, [("door", "left")]),
        ("oven", 0.6, 0.9, [("door", "bottom")]),
        ("dishwasher", 0.6, 0.85, [("door", "bottom")]),
        ("filing_cabinet", 0.45, 1.3, [("drawer", None)] * 4),
        ("nightstand", 0.45, 0.6, [("drawer", None)] * 2),
        ("cabinet", 0.5, 0.85, [("door", "left")]),
        ("counter", 1.8, 0.8, [("door", "left"), ("door", "right"), ("door", "left")]),
    ],
)
def test_prior_layouts(category: str, width: float, height: float, expected: list) -> None:
    """Each category's default layout in numbers and kinds, hinges as priors say."""
    prior = prior_for(category)
    assert prior is not None
    plans = plan_from_priors(facade(width, height), prior)
    assert _summary(plans) == expected
    spans = sorted((p.z, p.u) for p in plans)
    assert all(p.u[0] >= -width / 2 - 1e-9 and p.u[1] <= width / 2 + 1e-9 for p in plans)
    assert spans == sorted(set(spans))  # no two parts on the same span


def test_microwave_door_leaves_the_control_panel() -> None:
    """A microwave door covers three quarters of the front, from the left."""
    (door,) = plan_from_priors(facade(0.5, 0.3), prior_for("microwave"))  # type: ignore[arg-type]
    assert door.u == pytest.approx((-0.25, 0.125))


def test_swing_and_travel_need_room() -> None:
    """A 0.5 m door with 0.3 m free swings asin(0.25/0.5); 6 cm free blocks a drawer."""
    assert swing_limit(0.5, 0.3) == pytest.approx(math.asin(0.25 / 0.5))
    assert swing_limit(0.5, 2.0) == pytest.approx(math.pi)
    door = PartPlan("door", (0.0, 0.5), (0.0, 0.8), "left", (0.4, 0.4), 0.0, free_depth=0.12)
    drawer = PartPlan("drawer", (0.0, 0.5), (0.0, 0.2), None, (0.25, 0.1), 0.0, free_depth=0.06)
    assert not opens_enough(drawer) and opens_enough(door)
    assert prior_for("table") is None
