"""Parallel-jaw grasps from an object's mesh: antipodal contact pairs within the gripper opening."""

# Frame convention (Genie Sim's grasp files, GraspNet-style): each 4x4 pose is in the asset
# frame; its x axis is the approach direction (gripper towards object), y the closing
# direction between the fingers, z = x cross y; its origin is the midpoint between the two
# contacts. Genie Sim turns this frame into its gripper frame itself.


from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray

from genie_sim_export_job.raycast import first_hits
from tools.geniesim_format.assets import MAX_GRASPS

FloatArray = NDArray[np.float64]
_DOWN = np.array([0.0, 0.0, -1.0])
_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class GraspParams:
    """Gripper and sampling parameters.

    Attributes:
        max_width: the gripper's full opening (m).
        clearance: opening added to the contact distance (m).
        finger_depth: how far the fingers reach past the palm (m).
        min_width: thinner contact pairs are ignored (m).
        min_contact_height: contacts this close to the object's bottom are ignored (m).
        friction_cos: cosine of the friction cone half-angle the contact normals must meet.
        samples: surface points tried.
        max_grasps: at most this many poses are kept (Genie Sim rescales above 60).
        seed: sampling seed (same seed, same grasps).
    """

    max_width: float
    clearance: float = 0.01
    finger_depth: float = 0.04
    min_width: float = 0.004
    min_contact_height: float = 0.008
    friction_cos: float = math.cos(math.radians(20.0))
    samples: int = 600
    max_grasps: int = MAX_GRASPS
    seed: int = 0


@dataclass(frozen=True)
class GraspSet:
    """Grasp poses (N, 4, 4) in the asset frame and the opening each needs (N,)."""

    poses: FloatArray
    widths: FloatArray

    def __len__(self) -> int:
        return int(self.poses.shape[0])


def _unit(v: FloatArray) -> FloatArray | None:
    norm = float(np.linalg.norm(v))
    return None if norm < 1e-9 else v / norm


def _approaches(centre: FloatArray, closing: FloatArray) -> list[FloatArray]:
    """Approach directions perpendicular to the closing axis: top-down and from the side."""
    out: list[FloatArray] = []
    top = _unit(_DOWN - closing * float(closing @ _DOWN))
    if top is not None and top[2] < -0.5:
        out.append(top)
    side = _unit(np.cross(closing, _UP))
    if side is not None:
        inward = -centre[:2]
        out.append(side if float(side[:2] @ inward) >= 0 else -side)
    elif np.linalg.norm(centre[:2]) > 1e-3:  # vertical closing axis: come in from the side
        unit = _unit(np.array([-centre[0], -centre[1], 0.0]))
        if unit is not None:
            out.append(unit)
    return out


def _pose(centre: FloatArray, approach: FloatArray, closing: FloatArray) -> FloatArray:
    y = _unit(closing - approach * float(approach @ closing))
    assert y is not None
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = approach, y, np.cross(approach, y)
    pose[:3, 3] = centre
    return pose


def _select(candidates: list[tuple[float, FloatArray, float]], keep: int) -> list[int]:
    """Best-first, skipping poses within 1 cm and 20 degrees of a kept one."""
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i][0])
    kept: list[int] = []
    cos_limit = math.cos(math.radians(20.0))
    for i in order:
        pose = candidates[i][1]
        close = any(
            np.linalg.norm(pose[:3, 3] - candidates[j][1][:3, 3]) < 0.01
            and float(pose[:3, 0] @ candidates[j][1][:3, 0]) > cos_limit
            and abs(float(pose[:3, 1] @ candidates[j][1][:3, 1])) > cos_limit
            for j in kept
        )
        if not close:
            kept.append(i)
        if len(kept) >= keep:
            break
    return kept


def _box_fallback(
    mesh: trimesh.Trimesh, params: GraspParams
) -> list[tuple[float, FloatArray, float]]:
    """A top-down grasp across the narrow horizontal side of the box, if it fits."""
    low, high = mesh.bounds
    size = high - low
    axis = 0 if size[0] <= size[1] else 1
    width = float(size[axis])
    if width + params.clearance > params.max_width:
        return []
    closing = np.zeros(3)
    closing[axis] = 1.0
    depth = min(params.finger_depth, float(size[2])) / 2
    centre = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, high[2] - depth])
    return [(0.0, _pose(centre, _DOWN, closing), width)]


def sample_grasps(mesh: trimesh.Trimesh, params: GraspParams) -> GraspSet:
    """Antipodal grasps of a mesh in its own frame (Z-up, resting on its bottom).

    Args:
        mesh: the object's mesh.
        params: gripper and sampling parameters.

    Returns:
        At most `params.max_grasps` poses, each also turned 180 degrees about its approach
        axis (both finger orders), with the opening each needs; possibly empty.
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces)
    normals = np.asarray(mesh.face_normals, dtype=np.float64)
    points, face_ids = trimesh.sample.sample_surface(mesh, params.samples, seed=params.seed)
    points = np.asarray(points, dtype=np.float64)
    inward = -normals[face_ids]
    widths, hit = first_hits(vertices, faces, points, inward, min_distance=1e-5)
    bottom = float(vertices[:, 2].min())
    radius = max(float(np.abs(vertices[:, :2]).max()), 1e-3)
    raw: list[tuple[float, FloatArray, FloatArray, FloatArray, float]] = []
    for i in np.flatnonzero(np.isfinite(widths)):
        width = float(widths[i])
        if not params.min_width <= width <= params.max_width - params.clearance:
            continue
        alignment = abs(float(normals[hit[i]] @ normals[face_ids[i]]))
        if alignment < params.friction_cos:
            continue
        centre = points[i] + inward[i] * width / 2
        if centre[2] - bottom < params.min_contact_height:
            continue
        for approach in _approaches(centre, inward[i]):
            score = (
                alignment - 0.3 * float(approach[2]) - float(np.linalg.norm(centre[:2])) / radius
            )
            raw.append((score, centre, approach, inward[i], width))
    candidates: list[tuple[float, FloatArray, float]] = []
    if raw:
        # The palm stops where the object's surface is behind the contact midpoint.
        centres = np.stack([r[1] for r in raw])
        backwards = -np.stack([r[2] for r in raw])
        depths, _ = first_hits(vertices, faces, centres, backwards, 1e-6)
        candidates = [
            (score, _pose(centre, approach, closing), width)
            for (score, centre, approach, closing, width), depth in zip(raw, depths, strict=True)
            if not (np.isfinite(depth) and depth > params.finger_depth)
        ]
    if not candidates:
        candidates = _box_fallback(mesh, params)
    chosen = [candidates[i] for i in _select(candidates, max(1, params.max_grasps // 2))]
    flip = np.diag([1.0, -1.0, -1.0, 1.0])
    poses = [p for _, pose, _ in chosen for p in (pose, pose @ flip)]
    opening = [min(w + params.clearance, params.max_width) for _, _, w in chosen for _ in (0, 1)]
    if not poses:
        return GraspSet(np.zeros((0, 4, 4)), np.zeros(0))
    return GraspSet(np.stack(poses), np.asarray(opening, dtype=np.float64))
