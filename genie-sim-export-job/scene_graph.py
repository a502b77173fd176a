"""scene_graph.json: the scene's objects and their spatial relations (on, in, adjacent), Z-up."""

# `on` is the support an object rests on (decided once: `replicator/scene_tasks.json`); `in`
# is measured on the upright boxes at the authored poses: an object whose bottom is below the
# rim of a box that holds its centre (fruit in a bowl); `adjacent` two objects on the same
# support whose footprints are closer than ADJACENT_GAP_M.


from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from genie_sim_export_job.scene_geometry import ObjectGeometry
from tools.geniesim_format.assets import EXPORT_SCHEMA_VERSION
from tools.scene_manifest import SceneManifest

ADJACENT_GAP_M = 0.10
IN_DEPTH_M = 0.01  # an object is "in" a box once its bottom is this far below the box's top


def _corners(g: ObjectGeometry, grow: float) -> np.ndarray:
    c, s = math.cos(g.yaw), math.sin(g.yaw)
    hx, hy = g.half_extents[0] + grow, g.half_extents[1] + grow
    local = np.array([[hx, hy], [-hx, hy], [-hx, -hy], [hx, -hy]])
    return np.asarray(local @ np.array([[c, s], [-s, c]]) + g.centre[:2], dtype=np.float64)


def footprints_overlap(a: ObjectGeometry, b: ObjectGeometry, grow: float = 0.0) -> bool:
    """Whether two upright footprints, each grown by `grow`, overlap (separating axes)."""
    ca, cb = _corners(a, grow), _corners(b, grow)
    for g in (a, b):
        for angle in (g.yaw, g.yaw + math.pi / 2):
            axis = np.array([math.cos(angle), math.sin(angle)])
            pa, pb = ca @ axis, cb @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def _inside(obj: ObjectGeometry, box: ObjectGeometry) -> bool:
    return (
        box.contains_xy(obj.centre)
        and box.bottom - IN_DEPTH_M <= obj.bottom <= box.top - IN_DEPTH_M
        and obj.centre[2] < box.top + obj.half_extents[2]
        and float(np.prod(obj.half_extents[:2])) < float(np.prod(box.half_extents[:2]))
    )


def relations(
    manifest: SceneManifest,
    geometry: Mapping[str, ObjectGeometry],
    supports: Mapping[str, str | None],
) -> list[dict[str, str]]:
    """Every relation between the scene's objects, in a stable order.

    Args:
        manifest: the scene contract.
        geometry: measured geometry by id (the room shell is not in it).
        supports: what rests on what (the scene's tasks contract).

    Returns:
        Edges {source, relation, target}; `adjacent` appears once per pair.
    """
    edges: list[dict[str, str]] = []
    below: dict[str, str | None] = {}  # the holder, else the support
    for obj in manifest.objects:
        if obj.id not in geometry:
            continue
        holder = next(
            (oid for oid, g in geometry.items() if oid != obj.id and _inside(geometry[obj.id], g)),
            None,
        )
        support = supports.get(obj.id)
        below[obj.id] = holder or support
        if holder is not None:
            edges.append({"source": obj.id, "relation": "in", "target": holder})
        elif support is not None:
            edges.append({"source": obj.id, "relation": "on", "target": support})
    for a, b in itertools.combinations(sorted(geometry), 2):
        same_support = below.get(a) == below.get(b)
        if same_support and footprints_overlap(geometry[a], geometry[b], ADJACENT_GAP_M / 2):
            edges.append({"source": a, "relation": "adjacent", "target": b})
    return edges


def scene_graph(
    manifest: SceneManifest,
    geometry: Mapping[str, ObjectGeometry],
    supports: Mapping[str, str | None],
    gs_ids: Mapping[str, str],
) -> dict[str, Any]:
    """The scene_graph.json document.

    Args:
        manifest: the scene contract.
        geometry: measured geometry by id.
        supports: what rests on what (the scene's tasks contract).
        gs_ids: Genie Sim object id of each exported object, by manifest id.

    Returns:
        {schema_version, scene_id, frame, nodes, edges}.
    """
    nodes = []
    for obj in manifest.objects:
        g = geometry.get(obj.id)
        nodes.append(
            {
                "id": obj.id,
                "category": obj.category,
                "label": obj.semantics.label,
                "sim_role": obj.sim_role.value,
                "geniesim_object_id": gs_ids.get(obj.id),
                "centre": [round(float(v), 6) for v in g.centre] if g else None,
                "half_extents": [round(float(v), 6) for v in g.half_extents] if g else None,
                "yaw": round(g.yaw, 6) if g else None,
            }
        )
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "scene_id": manifest.scene_id,
        "frame": {"up_axis": "Z", "units": "meters", "handedness": "right"},
        "nodes": nodes,
        "edges": relations(manifest, geometry, supports),
    }
