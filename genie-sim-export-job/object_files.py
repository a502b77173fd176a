"""An object's Genie Sim metadata: object_parameters.json, interaction.json and grasp_pose.pkl."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from genie_sim_export_job.grasps import GraspSet
from genie_sim_export_job.raycast import first_hits
from tools.geniesim_format.assets import (
    ASSET_SCALE,
    GRASP_POSE_FILE,
    GRASP_PRIMITIVE,
    RIGID_BODY_TYPE,
    UP_AXIS,
)
from tools.scene_manifest import SceneObject

PICKLE_PROTOCOL = 2  # readable by every Python 3 Genie Sim runs
_COLOURS = {
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "black", "white",
    "grey", "gray", "silver", "beige",
}  # fmt: skip
_DOWN = [0.0, 0.0, -1.0]


def _round(values: Any, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def object_parameters(
    obj: SceneObject, gs_object_id: str, size: np.ndarray, mass_kg: float, dynamic: bool
) -> dict[str, Any]:
    """object_parameters.json of one object (metres; `scale` 1.0 present on purpose).

    Args:
        obj: the manifest object.
        gs_object_id: its Genie Sim object id.
        size: extents of Aligned.usd's meshes (m).
        mass_kg: its mass.
        dynamic: False for a static object (Genie Sim then adds no rigid body).

    Returns:
        The JSON document.
    """
    colours = [t.lower() for t in obj.semantics.tags if t.lower() in _COLOURS]
    physics = obj.physics
    params: dict[str, Any] = {
        "object_id": gs_object_id,
        "size": _round(size),
        "scale": ASSET_SCALE,
        "upAxis": [UP_AXIS],
        "category": obj.category,
        "color": colours[0] if colours else "",
        "mass": round(mass_kg, 6),
        "type": RIGID_BODY_TYPE,
        "add_rigid_body": dynamic,
        "english_semantic_name": obj.semantics.label.replace("_", " "),
        "source_object_id": obj.id,
    }
    if physics is not None:
        params["static_friction"] = physics.static_friction
        params["dynamic_friction"] = physics.dynamic_friction
        params["material"] = physics.material
    return params


def support_point(mesh: trimesh.Trimesh) -> list[float]:
    """Where something put on this object lands: the first surface hit straight down the
    centre line from above (a plate's top, a bowl's inner bottom), in the mesh frame."""
    low, high = mesh.bounds
    centre = (low + high) / 2
    origin = np.array([[centre[0], centre[1], high[2] + 0.01]])
    distance, _ = first_hits(
        np.asarray(mesh.vertices, dtype=np.float64),
        np.asarray(mesh.faces),
        origin,
        np.array([_DOWN]),
    )
    z = origin[0, 2] - distance[0] if np.isfinite(distance[0]) else high[2]
    return _round([centre[0], centre[1], z])


def interaction(mesh: trimesh.Trimesh, has_grasps: bool) -> dict[str, Any]:
    """interaction.json: grasp file (if any), where it rests (active place) and where other
    objects rest on it (passive place); points in Aligned.usd's frame, directions downwards.
    """
    low, high = mesh.bounds
    bottom = _round([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]])
    passive: dict[str, Any] = {
        "place": {GRASP_PRIMITIVE: [{"xyz": support_point(mesh), "direction": _DOWN}]}
    }
    if has_grasps:
        passive["grasp"] = {GRASP_PRIMITIVE: GRASP_POSE_FILE}
    return {
        "interaction": {
            "active": {"place": {GRASP_PRIMITIVE: [{"xyz": bottom, "direction": _DOWN}]}},
            "passive": passive,
        }
    }


def write_json(path: Path, document: Any) -> None:
    """Write a JSON document (sorted keys, 2-space indent, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_grasp_pickle(path: Path, grasps: GraspSet) -> None:
    """grasp_pose.pkl as {grasp_pose: (N, 4, 4), width: (N,)} of plain floats.

    Plain nested lists, not numpy arrays: Genie Sim converts them with np.array() on load, and
    a numpy-2 array pickle names `numpy._core`, which Genie Sim's numpy 1.26 cannot import.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "grasp_pose": np.round(grasps.poses, 7).tolist(),
        "width": np.round(grasps.widths, 7).tolist(),
    }
    path.write_bytes(pickle.dumps(payload, protocol=PICKLE_PROTOCOL))
