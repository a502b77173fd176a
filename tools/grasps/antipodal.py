"""6-DoF antipodal grasps sampled on an object's collision hulls, ranked by stability.

Surface points are sampled (seeded), and a ray along each inward normal finds where the solid
ends: the opposite contact. Pairs the gripper closes across, whose far normal lies in the
friction cone, give a grasp axis; approach directions all round that axis give poses (top,
angled, side; none from below). Poses where the gripper model (`gripper_model`) meets the
object are rejected; the rest are ranked by normal alignment, the grasp axis's distance to
the centre of mass, the palm's and open fingers' clearance, the approach (top > angled > side);
near-duplicates are dropped. `scene_clear` then rejects, per placement, the poses that meet
neighbours or the support, or that an IK check refuses.

Poses use Genie Sim's convention: x the approach, y the closing direction, z = x cross y,
origin between the contacts; all in the hulls' frame (z up).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.grasps.gripper_model import GripperModel
from tools.grasps.hulls import Hull, build_hulls, contains, ray_exits, sample_surface
from tools.tasks.rims import MAX_MOMENT_KG_M  # measured on rim pinches: heavier loads slip

FloatArray = NDArray[np.float64]
SAMPLER_VERSION = 1  # part of the cache key: bump when the sampling or ranking changes
TOP, ANGLED, SIDE = 0, 1, 2  # approach kinds
APPROACH_NAMES = ("top", "angled", "side")
APPROACH_PREFERENCE = (1.0, 0.6, 0.3)
TOP_MIN_ELEVATION = math.radians(65)  # approach this far below horizontal or more: top
SIDE_MAX_ELEVATION = math.radians(25)  # within this of horizontal: side
MIN_ELEVATION = -math.radians(25)  # approaches rising more steeply than this are dropped
MIN_WIDTH = 0.003  # thinner contact pairs are sampling noise
OPENING_MARGIN = 0.025  # open this much wider than the object, as the episodes' pinches
CLEARANCE_SCALE = 0.01  # palm clearance scoring in full from this distance
WEIGHTS = (0.35, 0.25, 0.15, 0.25)  # alignment, centre of mass, clearance, approach
DUPLICATE_DISTANCE = 0.005
DUPLICATE_COS = 0.97
_CHUNK = 128  # poses tested against the object points at once


@dataclass(frozen=True)
class SamplerSettings:
    """How densely to sample: surface points, approaches per axis, the seed, the friction
    coefficient (the object's material or 0.5), how many ranked grasps to keep, the object's
    mass (None: unknown) and the heaviest load moment a pinch carries about its closing axis."""

    surface_points: int = 300
    approaches: int = 8
    seed: int = 0
    friction: float = 0.5
    max_grasps: int = 48
    check_points: int = 800
    mass_kg: float | None = None
    max_moment_kg_m: float = MAX_MOMENT_KG_M

    def __post_init__(self) -> None:
        if self.surface_points < 1 or self.approaches < 1 or self.max_grasps < 1:
            raise ValueError("surface_points, approaches and max_grasps must be >= 1")
        if not self.friction > 0:
            raise ValueError("friction must be > 0")


DEFAULT_SETTINGS = SamplerSettings()


@dataclass(frozen=True)
class AntipodalGrasps:
    """Ranked grasps, best first: poses (N, 4, 4), the object's width between the contacts
    (N,), the finger opening to approach with (N,), scores in [0, 1] (N,), approach kinds (N,)."""

    poses: FloatArray
    widths: FloatArray
    openings: FloatArray
    scores: FloatArray
    kinds: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.poses.shape[0])

    def subset(self, keep: NDArray[np.bool_] | NDArray[np.int64]) -> AntipodalGrasps:
        """The grasps a mask or index array selects, in its order."""
        return AntipodalGrasps(
            self.poses[keep], self.widths[keep], self.openings[keep], self.scores[keep],
            self.kinds[keep],
        )  # fmt: skip

    def counts(self) -> dict[str, int]:
        """How many grasps of each approach kind."""
        return {name: int(np.sum(self.kinds == k)) for k, name in enumerate(APPROACH_NAMES)}


def empty_grasps() -> AntipodalGrasps:
    """No grasp."""
    return AntipodalGrasps(
        np.zeros((0, 4, 4)), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    )


def _frames(axes: FloatArray, approaches: int) -> tuple[FloatArray, FloatArray]:
    """Rotations (P*A, 3, 3) with x the approach all round each closing axis (y), starting
    from the one nearest straight down; and the pair each belongs to."""
    down = np.array([0.0, 0.0, -1.0])
    start = down - (axes @ down)[:, None] * axes
    vertical = np.linalg.norm(start, axis=1) < 1e-6
    start[vertical] = np.cross(axes[vertical], [1.0, 0.0, 0.0])  # any horizontal approach
    start /= np.linalg.norm(start, axis=1)[:, None]
    other = np.cross(axes, start)
    angles = 2 * math.pi * np.arange(approaches) / approaches
    x = (
        np.cos(angles)[None, :, None] * start[:, None]
        + np.sin(angles)[None, :, None] * other[:, None]
    )
    y = np.broadcast_to(axes[:, None], x.shape)
    rotations = np.stack([x, y, np.cross(x, y)], axis=-1).reshape(-1, 3, 3)
    return rotations, np.repeat(np.arange(len(axes)), approaches)


def _kinds(rotations: FloatArray) -> NDArray[np.int64]:
    elevation = np.arcsin(np.clip(-rotations[:, 2, 0], -1.0, 1.0))
    kinds = np.full(len(rotations), ANGLED, dtype=np.int64)
    kinds[elevation >= TOP_MIN_ELEVATION] = TOP
    kinds[np.abs(elevation) <= SIDE_MAX_ELEVATION] = SIDE
    kinds[elevation < MIN_ELEVATION] = -1
    return kinds


def box_distances(local: FloatArray, box: FloatArray) -> FloatArray:
    """Distance of points (..., M, 3) in a gripper frame from one box (low, high): 0 inside."""
    outside = np.maximum(np.maximum(box[0] - local, local - box[1]), 0.0)
    return np.asarray(np.linalg.norm(outside, axis=-1))


def _box_probes(boxes: FloatArray) -> FloatArray:
    """Points of the gripper boxes (grasp frame) that must not lie inside the solid: each
    box's centre and the fingertips' (where a finger buried in a thick part shows; the object's
    surface points inside a box catch the rest)."""
    centres = (boxes[:, 0] + boxes[:, 1]) / 2
    tips = centres[:2].copy()
    tips[:, 0] = boxes[:2, 1, 0]
    return np.concatenate([centres, tips])


def _box_corners(boxes: FloatArray) -> FloatArray:
    """The 8 corners of each box (grasp frame), (8 * boxes, 3)."""
    picks = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    return np.concatenate([box[picks, [0, 1, 2]] for box in boxes])


def _object_checks(
    hulls: Sequence[Hull],
    points: FloatArray,
    poses: FloatArray,
    openings: FloatArray,
    gripper: GripperModel,
) -> tuple[bool, float]:
    """Whether a chunk of poses keep the gripper off the object, and their palm clearance."""
    turn, origin = poses[:, :3, :3], poses[:, :3, 3]
    boxes = np.stack([gripper.boxes(float(o)) for o in openings])  # (P, 3, 2, 3)
    local = np.matmul(points[None] - origin[:, None], turn)[:, None]  # (P, 1, M, 3)
    low, high = boxes[:, :, None, 0], boxes[:, :, None, 1]
    inside = np.all((local >= low) & (local <= high), axis=-1).any(axis=(1, 2))
    outside = np.maximum(np.maximum(low[:, 2] - local[:, 0], local[:, 0] - high[:, 2]), 0.0)
    clearance = np.sqrt(np.min(np.sum(outside * outside, axis=-1), axis=1))
    probes = np.stack([_box_probes(b) for b in boxes])  # (P, K, 3)
    world = origin[:, None] + np.matmul(probes, np.transpose(turn, (0, 2, 1)))
    buried = contains(hulls, world.reshape(-1, 3)).reshape(len(turn), -1).any(axis=1)
    return ~inside & ~buried, clearance


def _drop_duplicates(poses: FloatArray, limit: int) -> list[int]:
    """Indices of poses (ranked) kept after dropping near-copies of better ones."""
    kept: list[int] = []
    for i, pose in enumerate(poses):
        duplicate = any(
            np.linalg.norm(pose[:3, 3] - poses[j][:3, 3]) < DUPLICATE_DISTANCE
            and pose[:3, 0] @ poses[j][:3, 0] > DUPLICATE_COS
            and abs(pose[:3, 1] @ poses[j][:3, 1]) > DUPLICATE_COS
            for j in kept
        )
        if not duplicate:
            kept.append(i)
            if len(kept) == limit:
                break
    return kept


def sample_grasps(
    vertex_sets: Sequence[FloatArray],
    gripper: GripperModel,
    centre_of_mass: Sequence[float] | None = None,
    settings: SamplerSettings = DEFAULT_SETTINGS,
) -> AntipodalGrasps:
    """Ranked antipodal grasps of one object, collision-free against the object itself.

    Args:
        vertex_sets: the convex collision pieces' vertices (each (V, 3)), z up.
        gripper: the gripper model.
        centre_of_mass: in the hulls' frame (None: the pieces' bounding box centre).
        settings: sampling density, seed, friction, how many to keep.

    Returns:
        The grasps, best first (none when no pair fits the gripper).
    """
    hulls = build_hulls(vertex_sets)
    if not hulls:
        return empty_grasps()
    rng = np.random.default_rng(settings.seed)
    points, normals = sample_surface(hulls, settings.surface_points, rng)
    widths, far_normals = ray_exits(hulls, points, -normals)
    axes = -normals  # closing from the first contact into the object
    alignment = np.einsum("ij,ij->i", far_normals, axes)
    cone = math.cos(math.atan(settings.friction))
    pairs = (widths >= MIN_WIDTH) & (widths <= gripper.max_width) & (alignment >= cone)
    if not pairs.any():
        return empty_grasps()
    points, axes, widths, alignment = points[pairs], axes[pairs], widths[pairs], alignment[pairs]
    rotations, owner = _frames(axes, settings.approaches)
    kinds = _kinds(rotations)
    keep = kinds >= 0
    rotations, owner, kinds = rotations[keep], owner[keep], kinds[keep]
    origins = points[owner] + axes[owner] * (widths[owner] / 2)[:, None]
    openings = np.minimum(gripper.max_opening, widths[owner] + OPENING_MARGIN)
    every = np.concatenate([h.triangles.reshape(-1, 3) for h in hulls])
    low, high = every.min(axis=0), every.max(axis=0)
    com = np.asarray((low + high) / 2 if centre_of_mass is None else centre_of_mass, dtype=float)
    lever = np.linalg.norm(np.cross(com - origins, axes[owner]), axis=1)
    scale = max(float(np.linalg.norm(high - low)) / 2, 1e-6)
    fixed = (
        WEIGHTS[0] * np.clip((alignment[owner] - cone) / (1 - cone), 0.0, 1.0)
        + WEIGHTS[1] * (1.0 - np.clip(lever / scale, 0.0, 1.0))
        + WEIGHTS[3] * np.asarray(APPROACH_PREFERENCE)[kinds]
    )
    poses = np.tile(np.eye(4), (len(rotations), 1, 1))
    poses[:, :3, :3], poses[:, :3, 3] = rotations, origins
    check, _ = sample_surface(
        hulls, settings.check_points, np.random.default_rng(settings.seed + 1)
    )
    # Check the poses best first; stop once enough free ones outscore any left unchecked.
    order = np.argsort(-fixed, kind="stable")
    if settings.mass_kg is not None:  # the weight's lever about the pads (rims.py's measure)
        lever_xy = np.hypot(*(com[:2] - origins[:, :2]).T)
        order = order[settings.mass_kg * lever_xy[order] <= settings.max_moment_kg_m]
    scores = np.full(len(poses), -np.inf)
    wanted = settings.max_grasps + settings.max_grasps // 2
    for start in range(0, len(order), _CHUNK):
        part = order[start : start + _CHUNK]
        free, clearance = _object_checks(hulls, check, poses[part], openings[part], gripper)
        # The palm's distance from the object, or the open fingers' from its sides.
        room = np.minimum(clearance, (openings[part] - widths[owner][part]) / 2)
        clear_term = WEIGHTS[2] * np.clip(room / CLEARANCE_SCALE, 0.0, 1.0)
        scores[part] = np.where(free, fixed[part] + clear_term, -np.inf)
        found = np.sort(scores[np.isfinite(scores)])[::-1]
        rest = order[start + _CHUNK :]
        if not len(rest) or (
            len(found) >= wanted and found[wanted - 1] >= fixed[rest[0]] + WEIGHTS[2]
        ):
            break
    valid = np.flatnonzero(np.isfinite(scores))
    if not len(valid):
        return empty_grasps()
    ranked = valid[np.argsort(-scores[valid], kind="stable")]
    kept = ranked[_drop_duplicates(poses[ranked], settings.max_grasps)]
    return AntipodalGrasps(
        poses[kept], widths[owner][kept], openings[kept], scores[kept], kinds[kept]
    )


def scene_clear(
    grasps: AntipodalGrasps,
    gripper: GripperModel,
    object_pose: FloatArray,
    obstacle_points: FloatArray,
    support_top: float | None,
    reachable: Callable[[FloatArray], bool] | None = None,
    margin: float = 0.003,
) -> AntipodalGrasps:
    """The grasps still usable where the object stands: the gripper clear of the neighbours'
    points and above the support by `margin`, and the robot able to reach the pose.

    Args:
        grasps: the object's grasps, in its frame.
        gripper: the gripper model.
        object_pose: the object frame's 4x4 pose in the world.
        obstacle_points: (M, 3) world points on neighbouring objects' surfaces.
        support_top: the world height of the surface it stands on (None: none).
        reachable: an IK check of a world grasp pose (None: every pose).
        margin: clearance kept from obstacles and the support.

    Returns:
        The usable grasps, in the object's frame, still ranked.
    """
    world = np.asarray(object_pose) @ grasps.poses
    keep = np.ones(len(grasps), dtype=bool)
    for i, (pose, opening) in enumerate(zip(world, grasps.openings, strict=True)):
        boxes = gripper.boxes(float(opening))
        corners = pose[:3, 3] + _box_corners(boxes) @ pose[:3, :3].T
        if support_top is not None and corners[:, 2].min() < support_top + margin:
            keep[i] = False
            continue
        if len(obstacle_points):
            local = (obstacle_points - pose[:3, 3]) @ pose[:3, :3]
            if any(bool(np.any(box_distances(local, box) < margin)) for box in boxes):
                keep[i] = False
                continue
        if reachable is not None and not reachable(pose):
            keep[i] = False
    return grasps.subset(keep)
