"""The settled scene as the tasks contract measures it: boxes of the collision hulls, closed
containers and rims, without a simulator (the replicator writes the contract from them)."""

# The boxes are the ones the episodes' MuJoCo backend measures at rest (`measure_boxes`: the
# collision geoms' points in the frame of the object's heading), here read from the settled
# stage's hulls; "closed" is its `open_top_depth` (a ray down the box's centre) computed on
# the same convex hulls.

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from tools.scene_manifest import SceneManifest, SimRole
from tools.tasks.candidates import build_scene_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.receptacles import MIN_OPEN_DEPTH, is_container
from tools.tasks.rims import RimGeometry, load_rim
from tools.tasks.scene_tasks import SceneTasks
from tools.tasks.supports import resting_supports
from tools.tasks.surfaces import hull_surfaces

FloatArray = NDArray[np.float64]
RAY_START_M = 0.01  # the ray starts this far above the box top (as the backend's mj_ray)
_EPS = 1e-9


def box_of_points(object_id: str, points: FloatArray, yaw: float) -> ObjectBox:
    """The upright box around world points, in the frame turned by `yaw` about world z."""
    c, s = math.cos(yaw), math.sin(yaw)
    turn = np.array([[c, -s], [s, c]])
    local_xy = points[:, :2] @ turn
    lo = np.array([*local_xy.min(axis=0), points[:, 2].min()])
    hi = np.array([*local_xy.max(axis=0), points[:, 2].max()])
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    centre_xy = turn @ mid[:2]
    return ObjectBox(
        object_id,
        (float(centre_xy[0]), float(centre_xy[1]), float(mid[2])),
        (float(half[0]), float(half[1]), float(half[2])),
        yaw,
    )


def hull_boxes(
    manifest: SceneManifest, hulls: Mapping[str, Sequence[FloatArray]]
) -> dict[str, ObjectBox]:
    """Each object's box around its world collision hulls, turned by its manifest heading.

    Args:
        manifest: the settled scene contract (headings).
        hulls: object id -> its hulls' world vertices (objects without hulls get no box).

    Returns:
        Boxes of the manifest's non-background objects, by id.
    """
    boxes = {}
    for obj in manifest.objects:
        parts = [h for h in hulls.get(obj.id, ()) if len(h)]
        if obj.sim_role is SimRole.BACKGROUND or not parts:
            continue
        yaw = Pose.of((0.0, 0.0, 0.0), obj.transform.rotation_wxyz).yaw
        boxes[obj.id] = box_of_points(obj.id, np.vstack(parts), yaw)
    return boxes


def _hull_top_at(points: FloatArray, x: float, y: float) -> float | None:
    """Highest z where the vertical line through (x, y) meets a convex hull (None: misses)."""
    try:
        equations = ConvexHull(points).equations  # n . p + d <= 0 inside, n outward
    except (QhullError, ValueError):
        return None
    normal, offset = equations[:, :3], equations[:, 3]
    rhs = -(normal[:, 0] * x + normal[:, 1] * y + offset)
    up, down, side = normal[:, 2] > _EPS, normal[:, 2] < -_EPS, np.abs(normal[:, 2]) <= _EPS
    if np.any(rhs[side] < -1e-7):
        return None
    top = float(np.min(rhs[up] / normal[up, 2])) if up.any() else math.inf
    bottom = float(np.max(rhs[down] / normal[down, 2])) if down.any() else -math.inf
    return top if bottom <= top + 1e-7 and math.isfinite(top) else None


def open_top_depth(box: ObjectBox, hulls: Sequence[FloatArray]) -> float | None:
    """Depth below the box top where a ray down its centre first meets any hull."""
    start = box.top + RAY_START_M
    hits = [z for h in hulls if (z := _hull_top_at(h, box.centre[0], box.centre[1])) is not None]
    hits = [z for z in hits if z <= start]
    return None if not hits else start - max(hits) - RAY_START_M


def closed_containers(
    manifest: SceneManifest,
    boxes: Mapping[str, ObjectBox],
    hulls: Mapping[str, Sequence[FloatArray]],
) -> frozenset[str]:
    """Containers by name (a "tissue box") whose top the hulls show closed: nothing goes in."""
    every_hull = [h for parts in hulls.values() for h in parts if len(h) >= 4]
    closed = set()
    for obj in manifest.objects:
        if is_container(obj) and obj.id in boxes:
            depth = open_top_depth(boxes[obj.id], every_hull)
            if depth is not None and depth < MIN_OPEN_DEPTH:
                closed.add(obj.id)
    return frozenset(closed)


def scene_rims(scene_dir: Path | None, manifest: SceneManifest) -> dict[str, RimGeometry]:
    """Pinchable rims of the manipulable objects, from their collision hulls, each with only
    the pinches that carry the object (`RimGeometry.carried`: mass times the pinch's own lever
    to the centre of mass); none without a scene folder or without physics."""
    if scene_dir is None:
        return {}
    rims = {}
    for obj in manifest.objects:
        if obj.sim_role is SimRole.MANIPULABLE and obj.asset.collision_paths:
            rim = load_rim(scene_dir, obj.asset.collision_paths)
            physics = obj.physics
            if rim is not None and physics is not None:
                carried = rim.carried(physics.mass_kg, physics.center_of_mass)
                if carried is not None:
                    rims[obj.id] = carried
    return rims


def scene_tasks_at_rest(
    scene_dir: Path,
    manifest: SceneManifest,
    hulls: Mapping[str, Sequence[FloatArray]],
    *,
    generator: str,
) -> SceneTasks:
    """The contract of a settled scene from its world collision hulls.

    Args:
        scene_dir: the scene folder (hull OBJ files for rims).
        manifest: the settled scene contract.
        hulls: object id -> its hulls' world vertices (from the settled stage).
        generator: the step writing it.

    Returns:
        The contract (boxes, supports, closed containers, rims, goal surfaces, candidates).
    """
    boxes = hull_boxes(manifest, hulls)
    return build_scene_tasks(
        manifest,
        boxes,
        resting_supports(manifest, boxes),
        closed=closed_containers(manifest, boxes, hulls),
        rim_objects=tuple(scene_rims(scene_dir, manifest)),
        surfaces=hull_surfaces(manifest, hulls),
        generator=generator,
    )
