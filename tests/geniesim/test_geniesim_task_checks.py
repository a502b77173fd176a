"""Stages and task_metric of each task shape, as Genie Sim's own templates write them."""

from __future__ import annotations

import pytest

from genie_sim_export_job.task_checks import (
    PICK_UP_DISTANCE_M,
    CheckedObject,
    in_target_range,
    rest_height,
    stages,
    task_metric,
)
from tools.geniesim_format import assets

CUP = CheckedObject("cup_1", "cup", (0.04, 0.04, 0.05), 0.05)
PLATE = CheckedObject("plate_1", "plate", (0.12, 0.10, 0.01), 0.01)
BOWL = CheckedObject("bowl_1", "bowl", (0.09, 0.09, 0.04), -0.03)  # inner bottom below centre


def _rules(metric: dict[str, list[dict[str, object]]]) -> dict[str, dict[str, object]]:
    return {str(r["rule_name"]): r for r in metric["filter_rules"]}


def test_place_on_range_is_the_goal_footprint_at_resting_height() -> None:
    """'on': the target's centre over the goal (less a margin), at resting height +3/-2 cm."""
    x, y, z = in_target_range(CUP, PLATE, assets.TASK_PLACE_ON)
    rest = rest_height(CUP, PLATE)
    assert rest == pytest.approx(0.06)
    assert z == [pytest.approx(rest - 0.02), pytest.approx(rest + 0.03)]
    assert 0 < x[1] < PLATE.half_size[0] and 0 < y[1] < PLATE.half_size[1]
    assert x[0] == -x[1] and y[0] == -y[1]


def test_place_in_range_reaches_from_the_inner_bottom_to_the_rim() -> None:
    """'in': from resting on the inner bottom up to the target's bottom at the rim."""
    _, _, z = in_target_range(CUP, BOWL, assets.TASK_PLACE_IN)
    assert z[0] == pytest.approx(BOWL.support_z + CUP.half_size[2] - 0.02)
    assert z[1] == pytest.approx(BOWL.half_size[2] + CUP.half_size[2] + 0.03)


def test_each_shape_has_the_templates_stages_and_rules() -> None:
    """Pick-up: pick, 'lifted'; place: pick, place, reset, 'in target'; both: view rules and
    the other objects undisturbed."""
    pick_up = task_metric(assets.TASK_PICK_UP, CUP, None, ["book_2"])
    assert [s["action"] for s in stages(assets.TASK_PICK_UP, CUP, None)] == ["pick"]
    rules = _rules(pick_up)
    assert set(rules) == {
        assets.RULE_GRIPPER_IN_VIEW,
        assets.RULE_LIFTED,
        assets.RULE_UNDISTURBED,
    }
    assert rules[assets.RULE_LIFTED]["params"] == {
        "objects": ["cup_1"],
        "delta_z": PICK_UP_DISTANCE_M,
        "tolerance": 0.05,
    }
    place = task_metric(assets.TASK_PLACE_IN, CUP, BOWL, [])
    actions = [s["action"] for s in stages(assets.TASK_PLACE_IN, CUP, BOWL)]
    assert actions == ["pick", "place", "reset"]
    rules = _rules(place)
    assert assets.RULE_UNDISTURBED not in rules
    assert rules[assets.RULE_IN_TARGET]["params"]["target"] == "bowl_1"  # type: ignore[index]
    assert all(r["rule_name"] in assets.FILTER_RULES for r in place["filter_rules"])
    text = stages(assets.TASK_PLACE_IN, CUP, BOWL)[1]["action_description"]["english_action_text"]
    assert text == "put the cup in the bowl"
