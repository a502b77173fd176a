"""Free space in front of a facade: the room's bounds and the furniture standing there.

A drawer cannot slide, nor a door swing, through the chair or the table in front of it; the
limits are cut to the free depth so that "fully open" is reachable in the simulated scene.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from scipy.spatial.transform import Rotation

from simready_job.articulation_facade import FrontFrame
from simready_job.articulation_layout import PartPlan
from tools.scene_manifest import SceneObject, SimRole, Transform

OBSTACLE_ROLES = (SimRole.STATIC, SimRole.ARTICULATED)
OVERLAP_M = 0.02  # boxes touching within this are neighbours, not obstacles


def _world_from_asset(transform: Transform) -> tuple[np.ndarray, np.ndarray]:
    w, x, y, z = transform.rotation_wxyz
    return Rotation.from_quat([x, y, z, w]).as_matrix(), np.asarray(transform.position)


def _corners(obj: SceneObject) -> np.ndarray:
    """World corners of an object's bounding box (asset frame: origin at the bottom centre)."""
    dx, dy, dz = (d * s for d, s in zip(obj.dimensions, obj.transform.scale, strict=True))
    local = np.array(list(itertools.product((-dx / 2, dx / 2), (-dy / 2, dy / 2), (0.0, dz))))
    rotation, position = _world_from_asset(obj.transform)
    corners: np.ndarray = local @ rotation.T + position
    return corners


def front_clearance(
    obj: SceneObject,
    front: FrontFrame,
    others: list[SceneObject],
    span: tuple[tuple[float, float], tuple[float, float]],
) -> float:
    """Distance from a part of the facade to the nearest furniture box in front of it.

    Args:
        obj: the articulated candidate.
        front: its front frame.
        others: the scene's other objects (static and articulated ones are obstacles).
        span: the part's (u range, z range) on the facade.

    Returns:
        Metres along the front normal (inf when nothing stands in front of the part).
    """
    (u0, u1), (z0, z1) = span
    rotation, position = _world_from_asset(obj.transform)
    nearest = float("inf")
    for other in others:
        if other.id == obj.id or other.sim_role not in OBSTACLE_ROLES:
            continue
        local = (_corners(other) - position) @ rotation  # into this object's asset frame
        u, s, z = local @ front.right, local @ front.normal, local[:, 2]
        beside = u.max() <= u0 + OVERLAP_M or u.min() >= u1 - OVERLAP_M
        apart = z.max() <= z0 + OVERLAP_M or z.min() >= z1 - OVERLAP_M
        # Furniture reaching back past the facade stands beside it (a neighbour along the
        # wall), not in front of it.
        if beside or apart or s.min() < front.plane - OVERLAP_M:
            continue
        nearest = min(nearest, max(0.0, float(s.min()) - front.plane))
    return nearest


def with_free_depth(
    obj: SceneObject, front: FrontFrame, others: list[SceneObject], plans: list[PartPlan]
) -> list[PartPlan]:
    """Each plan with its free depth: the room's bounds or the furniture in front, nearer."""
    return [
        dataclasses.replace(
            plan,
            free_depth=min(front.room_gap, front_clearance(obj, front, others, (plan.u, plan.z))),
        )
        for plan in plans
    ]
