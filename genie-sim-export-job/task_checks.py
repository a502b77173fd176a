"""A task's stages, stage checkers and `task_metric`, matched to Genie Sim's own templates."""

# Genie Sim judges an episode twice: each stage's `checker` runs during collection, and the
# `task_metric.filter_rules` (methods of its DataFilter) run on the recorded state afterwards,
# deciding whether the episode is kept. The shapes follow its templates in
# `tasks/geniesim_2025/`: pick_* (pick, then "lifted"), place_* (pick, place, reset, then the
# target's position in the goal's frame), plus head-camera view rules on both grippers.


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tools.geniesim_format.assets import (
    CHECKER_DISTANCE,
    GRIPPER_ID,
    RESULT_CODE_TASK,
    RESULT_CODE_VIEW,
    RULE_GRIPPER_IN_VIEW,
    RULE_IN_TARGET,
    RULE_LESS_THAN,
    RULE_LIFTED,
    RULE_UNDISTURBED,
    TASK_PICK_UP,
    TASK_PLACE_IN,
)

PICK_UP_DISTANCE_M = 0.1
LIFT_TOLERANCE_M = 0.05  # the templates' tolerance on `delta_z` (lifted at least 5 cm)
MIN_PICK_CHECK_M = 0.08  # object centre to gripper centre while held (Genie Sim's examples)
MIN_PLACE_CHECK_M = 0.05
MIN_RANGE_HALF_M = 0.02  # the smallest half-width of an "in target" box
REST_BELOW_M = 0.02  # a resting target's centre may sit this much lower (soft contact) ...
REST_ABOVE_M = 0.03  # ... or this much higher (tilted, on a bump) than on a flat support
UNDISTURBED_POS_M = 0.05  # other objects must stay within 5 cm (the templates' threshold)


@dataclass(frozen=True)
class CheckedObject:
    """What the checks need of an exported object (Aligned.usd's origin is its box centre).

    Attributes:
        gs_object_id: Genie Sim object id.
        name: its English name.
        half_size: half extents of its box.
        support_z: height, above its centre, where things put on or in it land.
    """

    gs_object_id: str
    name: str
    half_size: tuple[float, float, float]
    support_z: float


def _text(text: str) -> dict[str, str]:
    return {"action_text": text, "english_action_text": text}


def _distance(object_id: str, target_id: str, value: float, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"object_id": object_id, "target_id": target_id}
    params.update(rule=RULE_LESS_THAN, **extra, value=round(value, 4))
    return {"checker_name": CHECKER_DISTANCE, "params": params}


def pick_stage(target: CheckedObject) -> dict[str, Any]:
    """Pick the target up by `PICK_UP_DISTANCE_M`; checked by the gripper staying close."""
    hx, hy, hz = target.half_size
    held = max(MIN_PICK_CHECK_M, (hx * hx + hy * hy + hz * hz) ** 0.5 + 0.02)
    return {
        "action": "pick",
        "action_description": _text(f"pick up the {target.name}"),
        "active": {"object_id": GRIPPER_ID, "primitive": None},
        "passive": {"object_id": target.gs_object_id, "primitive": None},
        "extra_params": {
            "arm": "auto",
            "disable_upside_down": False,
            "flip_grasp": False,
            "grasp_offset": 0.0,
            "pick_up_distance": PICK_UP_DISTANCE_M,
        },
        "checker": [_distance(target.gs_object_id, GRIPPER_ID, held)],
    }


def rest_height(target: CheckedObject, goal: CheckedObject) -> float:
    """Height of the target's centre above the goal's when it rests on the goal's support."""
    return goal.support_z + target.half_size[2]


def place_stage(target: CheckedObject, goal: CheckedObject, relation: str) -> dict[str, Any]:
    """Place the target on (or in) the goal at its support point, kept upright."""
    place_check = max(MIN_PLACE_CHECK_M, 0.8 * min(goal.half_size[:2]))
    offset = {"frame": "world", "position": [0.0, 0.0, round(rest_height(target, goal), 4)]}
    return {
        "action": "place",
        "action_description": _text(f"put the {target.name} {relation} the {goal.name}"),
        "active": {"object_id": target.gs_object_id, "primitive": None},
        "passive": {"object_id": goal.gs_object_id, "primitive": None},
        "extra_params": {"arm": "auto", "place_with_origin_orientation": True},
        "checker": [
            _distance(target.gs_object_id, goal.gs_object_id, place_check, target_offset=offset)
        ],
    }


def reset_stage() -> dict[str, Any]:
    """Return the arm that worked to its start pose (every place_* template ends so)."""
    return {
        "action": "reset",
        "action_description": _text("the arm resets"),
        "active": {"object_id": GRIPPER_ID, "primitive": None},
        "passive": {"object_id": GRIPPER_ID, "primitive": None},
        "extra_params": {"arm": "auto"},
    }


def stages(shape: str, target: CheckedObject, goal: CheckedObject | None) -> list[dict[str, Any]]:
    """The stages of a task of this shape (`assets.TASK_SHAPES`)."""
    if shape == TASK_PICK_UP or goal is None:
        return [pick_stage(target)]
    relation = "in" if shape == TASK_PLACE_IN else "on"
    return [pick_stage(target), place_stage(target, goal, relation), reset_stage()]


def in_target_range(target: CheckedObject, goal: CheckedObject, shape: str) -> list[list[float]]:
    """Where the target's centre may end, in the goal's frame: over the goal's footprint less
    a margin, resting on its support ("on"), or below its rim ("in")."""
    radius = max(target.half_size[:2])
    margin = min(0.5 * radius, 0.3 * min(goal.half_size[:2]))
    rest = rest_height(target, goal)
    top = goal.half_size[2] + target.half_size[2] if shape == TASK_PLACE_IN else rest
    xy = [max(h - margin, MIN_RANGE_HALF_M) for h in goal.half_size[:2]]
    return [
        [round(-xy[0], 4), round(xy[0], 4)],
        [round(-xy[1], 4), round(xy[1], 4)],
        [round(rest - REST_BELOW_M, 4), round(max(top, rest) + REST_ABOVE_M, 4)],
    ]


def _rule(name: str, params: dict[str, Any], code: int = RESULT_CODE_TASK) -> dict[str, Any]:
    return {"rule_name": name, "params": params, "result_code": code}


def task_metric(
    shape: str,
    target: CheckedObject,
    goal: CheckedObject | None,
    others: Sequence[str],
) -> dict[str, Any]:
    """`task_metric` of a task: Genie Sim's filter rules an episode must pass to be kept.

    Args:
        shape: the task shape (`assets.TASK_SHAPES`).
        target: the object picked.
        goal: the object it goes on or in (None for a pick-up).
        others: Genie Sim ids of the other objects laid out, which must stay where they were.

    Returns:
        {"filter_rules": [...]} in the templates' order: view rules, then the task's own.
    """
    rules = [
        _rule(
            RULE_GRIPPER_IN_VIEW,
            {"camera": "head", "downsample_ratio": 0.2, "gripper": side, "out_view_allow_time": t},
            RESULT_CODE_VIEW,
        )
        for side, t in (("right", 0.2), ("left", 0.1))
    ]
    if shape == TASK_PICK_UP or goal is None:
        lifted = {"delta_z": PICK_UP_DISTANCE_M, "tolerance": LIFT_TOLERANCE_M}
        rules.append(_rule(RULE_LIFTED, {"objects": [target.gs_object_id], **lifted}))
    else:
        rules.append(
            _rule(
                RULE_IN_TARGET,
                {
                    "objects": [target.gs_object_id],
                    "target": goal.gs_object_id,
                    "relative_position_range": in_target_range(target, goal, shape),
                },
            )
        )
    if others:
        rules.append(
            _rule(
                RULE_UNDISTURBED,
                {
                    "objects": [["object", oid] for oid in sorted(others)],
                    "pos_threshold": [UNDISTURBED_POS_M] * 3,
                    "check_exist": False,
                },
            )
        )
    return {"filter_rules": rules}
