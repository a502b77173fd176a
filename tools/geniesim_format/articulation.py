"""Articulated objects (doors, drawers) in Genie Sim's own form.

Matched to AgibotTech/genie_sim v3.2.0 (commit 0e659ad):

- `client/layout/object.py` `OmniObject.from_obj_dir` reads `part_joint_limits` from the
  object's parameters and sets `is_articulated = part_joint_limits is not None`; for a stage
  object it collects `part_ids` from every non-grasp interaction element that has a `part_id`
  (`interaction.<active|passive>.<action>.<primitive>[i].part_id`).
- `client/agent/omniagent.py` (`load_objects`) then makes one object per part, named
  `<object_id>/<part_id>` with prim `<object prim>/<part_id>`, and gives it
  `part_joint_limits[part_id]`; `generate_layout` lists task objects whose entry has
  `is_articulated: true`; a stage addresses a part with `active|passive.part_id`.
- `client/planner/action/stage.py`: `pull` is a single-object action; an element's `xyz` and
  `direction` (object frame) are what the planner aligns the gripper with.

Our part prims sit at `<object prim>/Parts/<part>` in the asset USD (`Aligned.usd` keeps that
tree), so a part id is `Parts/<part>`. Genie Sim reads nothing inside a part's limits entry,
so it carries our joint as it is: type, axis, origin, lower, upper, damping, friction.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tools.scene_manifest.articulation import Articulation

PART_JOINT_LIMITS: Final = "part_joint_limits"  # object_parameters.json: makes is_articulated
IS_ARTICULATED: Final = "is_articulated"  # a task JSON object entry's flag
PARTS_SCOPE: Final = "Parts"  # part prims under the object's prim (asset USD layout)
PULL: Final = "pull"  # interaction action that opens a part by its handle
PUSH: Final = "push"  # ... and that closes it
HANDLE_PRIMITIVE: Final = "handle"

FloatArray = NDArray[np.float64]


def part_id(part: str) -> str:
    """Genie Sim's id of a part: its prim path below the object's prim."""
    return f"{PARTS_SCOPE}/{part}"


def _round(values: FloatArray) -> list[float]:
    return [round(float(v), 6) for v in values]


def _unit(values: FloatArray) -> FloatArray:
    return np.asarray(values / np.linalg.norm(values), dtype=np.float64)


def part_joint_limits(
    articulation: Articulation, scale: FloatArray, offset: FloatArray
) -> dict[str, dict[str, Any]]:
    """`part_joint_limits` of object_parameters.json: one entry per door or drawer.

    Args:
        articulation: the manifest's articulation (asset frame).
        scale: the object's per-axis scale (Aligned.usd is baked at scale 1.0).
        offset: the Aligned.usd origin in the scaled asset frame (`Aligned = scaled - offset`).

    Returns:
        part id -> {joint, type, axis, origin, lower, upper, damping, friction}; prismatic
        limits in metres of the scaled object, revolute ones in radians.
    """
    out: dict[str, dict[str, Any]] = {}
    for joint in articulation.joints:
        axis = np.asarray(joint.axis, dtype=np.float64)
        travel = 1.0
        if joint.type == "prismatic":
            travel = float(np.linalg.norm(scale * axis))
            axis = _unit(scale * axis)
        else:
            axis = _unit(axis / scale)
        origin = scale * np.asarray(joint.origin, dtype=np.float64) - offset
        out[part_id(joint.child_part)] = {
            "joint": joint.name,
            "type": joint.type,
            "axis": _round(axis),
            "origin": _round(origin),
            "lower": round(joint.lower * travel, 6),
            "upper": round(joint.upper * travel, 6),
            "damping": joint.damping,
            "friction": joint.friction,
        }
    return out


def handle_elements(
    articulation: Articulation, scale: FloatArray, offset: FloatArray
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Passive `pull` and `push` elements of interaction.json, one per part with a handle.

    `xyz` is the handle's grasp point (closed pose) and `direction` the front's outward normal
    (pull: out of the front; push: into it), both in Aligned.usd's frame.

    Returns:
        {"pull": {"handle": [...]}, "push": {"handle": [...]}}; empty when no part has a handle.
    """
    front = _unit(np.asarray(articulation.front, dtype=np.float64) / scale)
    pull: list[dict[str, Any]] = []
    push: list[dict[str, Any]] = []
    for joint in articulation.joints:
        part = articulation.part(joint.child_part)
        if part.handle is None:
            continue
        xyz = _round(scale * np.asarray(part.handle, dtype=np.float64) - offset)
        pid = part_id(part.name)
        pull.append({"part_id": pid, "xyz": xyz, "direction": _round(front), "joint": joint.name})
        push.append({"part_id": pid, "xyz": xyz, "direction": _round(-front), "joint": joint.name})
    if not pull:
        return {}
    return {PULL: {HANDLE_PRIMITIVE: pull}, PUSH: {HANDLE_PRIMITIVE: push}}
