"""Rim grasps read from an object's collision hulls: where its wall can be pinched at the top.

An open container (mug, cup, bowl, bin) is hollow in its collision model (simready decomposes
it into convex pieces around the cavity). A horizontal slice just below the top shows the
wall as a ring of occupied cells around an enclosed empty cavity; along rays from the cavity's
centre, each crossing of the wall is a candidate pinch: the fingers straddle the wall, one in
the cavity and one outside, closing along the ray. Rays that meet more geometry just outside
the wall (a mug's handle) are skipped. Results are cached by the hulls' content hash.

Which pinches carry the object is decided per pinch (`RimGeometry.carried`): its load moment,
mass times the lever from its wall point to the centre of mass, within the robot's measured
`rim_max_moment_kg_m` (`bench/bench_rim_moment.py`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from tools.robots import ROBOTS

FloatArray = NDArray[np.float64]
GRASP_DEPTH = 0.015  # pinch this far below the top: the pads' middle
CELL = 0.002  # slice resolution, metres
RAYS = 16
MIN_WALL = 0.002  # thinner walls are noise
MAX_WALL = 0.025  # thicker "walls" are solid bodies, not rims
FINGER_ROOM = 0.022  # the inner finger needs this much cavity behind the wall (pad + clearance)
OUTER_ROOM = 0.025  # and the outer finger this much free space outside it
MIN_CAVITY_RADIUS = 0.02
# The heaviest load moment (mass times the lever from the pinch to the centre of mass) a rim
# pinch carries is measured per robot (`RobotDescription.rim_max_moment_kg_m`); the contract
# keeps the pinches the most capable robot carries and each robot plans only its own.
RIM_MAX_MOMENT_KG_M = max(r.rim_max_moment_kg_m for r in ROBOTS.values())
# The antipodal sampler's load-moment limit (`tools.grasps.antipodal`): the rim rule's old
# single value, from bench scenes (a 0.35 kg mug at 4 cm and a 0.31 kg pen holder ended on
# their goals, 0.55 kg bowls at 8 cm slipped while the Franka gripped with its position gain).
MAX_MOMENT_KG_M = 0.02
# The wall's slope is measured where the pads touch it: over their height (18 mm on the
# Franka, 20 on the xArm6) about the grasp depth. Measured from the grasp depth to 15 mm
# below it, shallow bowls (5.1-5.6 cm) read 0.5-0.63 there, in their curved bottom below the
# pads, and were refused; over the pads they read 0.35-0.37, and carried by the rim they
# turned 14-18 degrees in the pads and ended on their goals on both robots, as a bowl with a
# 0.22 wall (16 degrees) did.
PAD_SPAN = 0.018
MAX_WALL_SLOPE = 0.4  # outward run per metre of depth: 22 degrees from upright


@dataclass(frozen=True)
class RimGrasp:
    """One pinch of the wall, in the hulls' box frame (origin at the box centre, x/y along
    the object's own axes).

    Attributes:
        x: wall midpoint x at the grasp depth.
        y: wall midpoint y.
        angle: direction of the ray from the cavity centre through the wall (the closing axis).
        thickness: wall thickness along the ray.
        moment: the object's load moment when held here, kg m (`RimGeometry.carried`; 0 until
            the object's mass is known).
    """

    x: float
    y: float
    angle: float
    thickness: float
    moment: float = 0.0


@dataclass(frozen=True)
class RimGeometry:
    """An object's pinchable rim: the grasps and the box they are expressed in.

    Attributes:
        grasps: candidate pinches around the rim.
        half_extents: half sizes of the hulls' bounding box (to match the simulator's box).
        centre: that box's centre in the hulls' (asset) frame.
        depth: grasp depth below the top.
    """

    grasps: tuple[RimGrasp, ...]
    half_extents: tuple[float, float, float]
    centre: tuple[float, float, float] = (0.0, 0.0, 0.0)
    depth: float = GRASP_DEPTH

    def lever(self, pinch: RimGrasp, center_of_mass: Sequence[float]) -> float:
        """Horizontal distance from a pinch's wall point to the centre of mass (hulls' frame):
        the lever the object's weight turns the pads with when held there."""
        x, y = self.centre[0] + pinch.x, self.centre[1] + pinch.y
        return math.hypot(x - center_of_mass[0], y - center_of_mass[1])

    def carried(
        self,
        mass_kg: float,
        center_of_mass: Sequence[float],
        max_moment: float = RIM_MAX_MOMENT_KG_M,
    ) -> RimGeometry | None:
        """The rim with only the pinches that carry this mass, each with its load moment
        (mass times its own `lever`) within `max_moment`.

        A mug's handle pulls its box centre away from its body's centre and its centre of
        mass, so one lever measured to the box centre refused mugs whose every pinch carries
        them (0.35-0.41 kg at 3.1-4.5 cm: 0.010-0.016 kg m).

        Args:
            mass_kg: the object's mass.
            center_of_mass: its centre of mass in the hulls' (asset) frame.
            max_moment: the heaviest moment a pinch carries (default: the most capable
                robot's; a robot plans only the pinches within its own).

        Returns:
            The rim with the pinches kept, or None when none carries it.
        """
        kept = []
        for pinch in self.grasps:
            moment = mass_kg * self.lever(pinch, center_of_mass)
            if moment <= max_moment:
                kept.append(replace(pinch, moment=moment))
        return replace(self, grasps=tuple(kept)) if kept else None

    def grasp_poses(self, clearance: float) -> tuple[FloatArray, FloatArray]:
        """The pinches as Genie Sim grasp poses in the asset frame, with their openings.

        Genie Sim's convention (GraspNet-style): each 4x4 pose's x axis is the approach
        (straight down here), y the closing direction, z = x cross y, origin between the
        fingers.

        Args:
            clearance: opening added on each side of the wall.

        Returns:
            (poses (N, 4, 4), openings (N,)).
        """
        poses = np.zeros((len(self.grasps), 4, 4))
        top = self.centre[2] + self.half_extents[2]
        approach = np.array([0.0, 0.0, -1.0])
        for pose, pinch in zip(poses, self.grasps, strict=True):
            closing = np.array([math.cos(pinch.angle), math.sin(pinch.angle), 0.0])
            pose[:3, 0], pose[:3, 1] = approach, closing
            pose[:3, 2] = np.cross(approach, closing)
            pose[:3, 3] = (self.centre[0] + pinch.x, self.centre[1] + pinch.y, top - self.depth)
            pose[3, 3] = 1.0
        openings = np.array([g.thickness + 2 * clearance for g in self.grasps])
        return poses, openings


def _occupancy(
    hulls: Sequence[FloatArray], z: float, low: FloatArray, high: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Grid x and y values and which cells of the slice at height z lie inside some hull."""
    xs = np.arange(low[0], high[0] + CELL, CELL)
    ys = np.arange(low[1], high[1] + CELL, CELL)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    points = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)])
    occupied = np.zeros(len(points), dtype=bool)
    for vertices in hulls:
        try:
            equations = ConvexHull(vertices).equations
        except (QhullError, ValueError):
            continue  # a flat or degenerate piece has no inside
        occupied |= np.all(points @ equations[:, :3].T + equations[:, 3] <= 1e-4, axis=1)
    return xs, ys, occupied.reshape(gx.shape)


def _cavity(occupied: NDArray[np.bool_]) -> NDArray[np.bool_] | None:
    """The largest empty region not touching the slice's border (None: no enclosed cavity)."""
    labels, count = ndimage.label(~occupied)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
    best: NDArray[np.bool_] | None = None
    for label in range(1, count + 1):
        if label in border:
            continue
        region = labels == label
        if best is None or region.sum() > best.sum():
            best = region
    return best


def _wall(
    grid: tuple[FloatArray, FloatArray, NDArray[np.bool_]],
    origin: FloatArray,
    angle: float,
    steps: FloatArray,
) -> tuple[float, float] | None:
    """(inner, outer) radius of the wall a ray from `origin` crosses first, if clear outside."""
    xs, ys, occupied = grid
    direction = np.array([math.cos(angle), math.sin(angle)])
    states: list[bool | None] = []
    for r in steps:
        point = origin + r * direction
        i, j = round((point[0] - xs[0]) / CELL), round((point[1] - ys[0]) / CELL)
        inside = 0 <= i < len(xs) and 0 <= j < len(ys)
        states.append(bool(occupied[i, j]) if inside else None)  # None: outside the box
    inner = next((i for i, s in enumerate(states) if s), None)
    if inner is None:
        return None
    outer = next((i for i in range(inner, len(states)) if not states[i]), None)
    if outer is None:
        return None
    r_in, r_out = float(steps[inner]), float(steps[outer])
    beyond = [s for r, s in zip(steps, states, strict=True) if r_out < r <= r_out + OUTER_ROOM]
    return None if any(beyond) else (r_in, r_out)


def rim_from_hulls(hulls: Sequence[FloatArray]) -> RimGeometry | None:
    """The rim grasps of an object from its convex collision pieces (canonical frame, Z-up).

    A pinch needs a near-upright wall: where the wall's middle moves outwards by more than
    `MAX_WALL_SLOPE` per metre over the pads' height (`PAD_SPAN` about the grasp depth: a
    bowl's flaring wall), the object turns in the pads until its wall lies along them.

    Args:
        hulls: each piece's vertices (V, 3).

    Returns:
        The rim, or None when the top is not an open cavity with a pinchable wall.
    """
    if not hulls:
        return None
    every = np.vstack(hulls)
    low, high = every.min(axis=0), every.max(axis=0)
    centre = (low + high) / 2
    half = (high - low) / 2
    grid = _occupancy(hulls, float(high[2] - GRASP_DEPTH), low, high)
    pads_top = _occupancy(hulls, float(high[2] - GRASP_DEPTH + PAD_SPAN / 2), low, high)
    pads_bottom = _occupancy(hulls, float(high[2] - GRASP_DEPTH - PAD_SPAN / 2), low, high)
    xs, ys, occupied = grid
    cavity = _cavity(occupied)
    if cavity is None or math.sqrt(cavity.sum() * CELL * CELL / math.pi) < MIN_CAVITY_RADIUS:
        return None
    ix, iy = np.nonzero(cavity)
    origin = np.array([xs[ix].mean(), ys[iy].mean()])
    steps = np.arange(0.0, float(np.hypot(*(high[:2] - low[:2]))), CELL / 2)
    grasps = []
    for k in range(RAYS):
        angle = 2 * math.pi * k / RAYS
        wall = _wall(grid, origin, angle, steps)
        above, below = _wall(pads_top, origin, angle, steps), _wall(
            pads_bottom, origin, angle, steps
        )
        if wall is None or above is None or below is None:
            continue
        (r_in, r_out), slope = wall, abs(sum(above) - sum(below)) / 2 / PAD_SPAN
        if r_in < FINGER_ROOM or not MIN_WALL <= r_out - r_in <= MAX_WALL:
            continue
        if slope > MAX_WALL_SLOPE:
            continue
        direction = np.array([math.cos(angle), math.sin(angle)])
        mid = origin + direction * (r_in + r_out) / 2 - centre[:2]
        grasps.append(RimGrasp(float(mid[0]), float(mid[1]), angle, r_out - r_in))
    # A wall much thicker than the rest is something attached to it (a handle's root).
    typical = float(np.median([g.thickness for g in grasps])) if grasps else 0.0
    grasps = [g for g in grasps if g.thickness <= 1.5 * typical]
    if not grasps:
        return None
    return RimGeometry(
        tuple(grasps),
        (float(half[0]), float(half[1]), float(half[2])),
        (float(centre[0]), float(centre[1]), float(centre[2])),
    )


def obj_vertices(text: str) -> FloatArray:
    """The vertices (V, 3) of an OBJ file's text."""
    rows = [line.split()[1:4] for line in text.splitlines() if line.startswith("v ")]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


_CACHE: dict[str, RimGeometry | None] = {}  # hull content hash -> rim


def load_rim(scene_dir: Path, collision_paths: Sequence[str]) -> RimGeometry | None:
    """The rim of an object from its collision hull OBJ files (None: no OBJ hulls or no rim).

    Args:
        scene_dir: the scene folder the paths are relative to.
        collision_paths: the manifest's `asset.collision_paths`.
    """
    paths = [scene_dir / p for p in collision_paths if p.endswith(".obj")]
    if not paths or not all(p.is_file() for p in paths):
        return None
    texts = [p.read_text() for p in paths]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    if digest not in _CACHE:
        hulls = [v for v in (obj_vertices(t) for t in texts) if len(v) >= 4]
        _CACHE[digest] = rim_from_hulls(hulls)
    return _CACHE[digest]
