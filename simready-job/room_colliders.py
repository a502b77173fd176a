"""The room's colliders: one thin box behind its floor, each wall and the ceiling.

The planes come from `room_planes` (sequential RANSAC, robust to a dense, noisy, bumpy
Poisson surface). The room's asset frame is world-aligned (the ingest poses it with an
identity rotation, origin at its lowest vertex), so "up" is +Z here too: the floor is the
lowest large upward-facing near-horizontal plane, walls are near-vertical planes, a ceiling is a
downward-facing horizontal plane above the middle. Tilted planes (bulges, ramps, leftovers
of removed furniture) get no slab: a tilted box would cut into the room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from simready_job.collision import CollisionResult
from simready_job.convex_pieces import ConvexPiece, FloatArray
from simready_job.mesh_repair import DegenerateMeshError
from simready_job.room_planes import Plane, RansacParams, find_planes

# A horizontal plane this far (m) from the middle of the room's height is a floor or ceiling
# by its position; closer (a room without walls is flat) it is taken as facing up.
_SIDE_MARGIN_M = 0.25
# The floor is the lowest upward plane holding at least this share of the largest one's area.
_FLOOR_MIN_SHARE_OF_LARGEST = 0.25


@dataclass(frozen=True)
class PlaneParams:
    """How planes are found and turned into slabs.

    Attributes:
        slab_thickness_m: thickness of each box, placed behind (outside) its surface.
        angle_tolerance_deg: samples whose normal is within this angle of a plane's belong
            to it (covers the slopes of bulges and the noise left in the normals).
        offset_tolerance_m: ... and within this distance of the plane (covers bulges).
        min_area_fraction: planes smaller than this share of the mesh area are ignored.
        upright_tolerance_deg: a floor's or ceiling's normal is within this angle of the
            vertical, a wall's within this angle of the horizontal.
        samples: surface points the planes are searched among.
        seed: seed of the sampling and of RANSAC's draws.
    """

    slab_thickness_m: float = 0.1
    angle_tolerance_deg: float = 20.0
    offset_tolerance_m: float = 0.05
    min_area_fraction: float = 0.02
    upright_tolerance_deg: float = 10.0
    samples: int = 12_000
    seed: int = 0

    def ransac(self) -> RansacParams:
        """The RANSAC parameters these stand for."""
        return RansacParams(
            samples=self.samples,
            distance_tolerance_m=self.offset_tolerance_m,
            angle_tolerance_deg=self.angle_tolerance_deg,
            min_share=self.min_area_fraction,
            seed=self.seed,
        )


@dataclass(frozen=True)
class RoomSurfaces:
    """The room's planes, each with its normal facing into the room.

    Attributes:
        floor: the floor (normal close to +Z), or None.
        walls: near-vertical planes, largest first.
        ceilings: downward-facing horizontal planes above the room's middle.
        ignored: planes that are none of these (tilted, or upward planes besides the floor).
    """

    floor: Plane | None
    walls: tuple[Plane, ...]
    ceilings: tuple[Plane, ...]
    ignored: tuple[Plane, ...]


def _facing(plane: Plane, normal: FloatArray) -> Plane:
    if float(plane.normal @ normal) >= 0:
        return plane
    return Plane(-plane.normal, -plane.offset, plane.inliers, plane.share, plane.rms_m)


def room_surfaces(mesh: trimesh.Trimesh, params: PlaneParams) -> RoomSurfaces:
    """Find and classify the room's planes (asset frame, +Z up).

    Args:
        mesh: the room mesh.
        params: tolerances, sampling and seed.

    Returns:
        Floor, walls, ceilings and the planes left out.
    """
    planes = find_planes(mesh, params.ransac())
    up = np.array([0.0, 0.0, 1.0])
    middle = np.asarray(mesh.bounds, dtype=np.float64).mean(axis=0)
    cos_upright = np.cos(np.radians(params.upright_tolerance_deg))
    sin_upright = np.sin(np.radians(params.upright_tolerance_deg))
    floors: list[Plane] = []
    walls: list[Plane] = []
    ceilings: list[Plane] = []
    ignored: list[Plane] = []
    for plane in planes:
        if abs(plane.normal[2]) >= cos_upright:
            height = plane.offset / plane.normal[2]
            above_middle = height > middle[2] + _SIDE_MARGIN_M
            (ceilings if above_middle else floors).append(
                _facing(plane, -up if above_middle else up)
            )
        elif abs(plane.normal[2]) <= sin_upright:
            # Walls face the middle of the room's bounding box (the room lies inside it).
            toward = middle - plane.normal * plane.offset
            walls.append(_facing(plane, toward))
        else:
            ignored.append(plane)
    # The lowest upward plane of a real size: a small patch below the floor (a Poisson
    # artefact) must not take its place, nor a platform above it.
    largest = max((p.share for p in floors), default=0.0)
    candidates = [p for p in floors if p.share >= _FLOOR_MIN_SHARE_OF_LARGEST * largest]
    floor = min(candidates, key=lambda p: p.offset / p.normal[2]) if candidates else None
    others = [p for p in floors if p is not floor]
    return RoomSurfaces(floor, tuple(walls), tuple(ceilings), tuple(ignored + others))


def room_slabs(mesh: trimesh.Trimesh, params: PlaneParams, source: str) -> CollisionResult:
    """Thin boxes behind the floor, walls and ceiling of a room mesh (asset frame).

    Each slab is levelled (floor, ceiling) or plumb (walls) through the mean of its plane's
    samples, spans them plus one thickness on every side (closing the corners) and lies
    between the surface and one thickness outside it: a hollow room even for an engine that
    turns every collision mesh into its convex hull. The floor's slab comes first, then the
    walls' (largest first), then the ceiling's.

    Args:
        mesh: the background mesh.
        params: tolerances, thickness, sampling and seed.
        source: the scene-relative path, for error messages.

    Returns:
        One slab per surface, method "room_planes", with a note of what was found.

    Raises:
        DegenerateMeshError: no floor, wall or ceiling covers `min_area_fraction` of the mesh.
    """
    surfaces = room_surfaces(mesh, params)
    kept = [p for p in (surfaces.floor,) if p is not None]
    kept += [*surfaces.walls, *surfaces.ceilings]
    if not kept:
        raise DegenerateMeshError(source, "room mesh has no floor, wall or ceiling plane")
    pieces = tuple(_slab(*_levelled(p), p.inliers, params.slab_thickness_m) for p in kept)
    if surfaces.floor is None:
        found = "no floor plane"
    else:
        tilt = np.degrees(np.arccos(min(1.0, float(surfaces.floor.normal[2]))))
        found = f"floor (tilt {tilt:.1f} deg, rms {surfaces.floor.rms_m * 1e3:.0f} mm)"
    note = (
        f"room planes: {found}, {len(surfaces.walls)} walls, {len(surfaces.ceilings)} "
        f"ceilings, {len(surfaces.ignored)} other planes without a slab"
    )
    return CollisionResult(pieces, "room_planes", notes=(note,))


def _levelled(plane: Plane) -> tuple[FloatArray, float]:
    """The plane made exactly horizontal or vertical, through the mean of its inliers.

    The room's frame is levelled by the ingest (on 3D-RE-GEN's fitted floor plane) and objects
    stand on its z = 0; bulges tilt a fit by a few hundredths of a degree, which across a room
    would lift one side of the floor millimetres into the objects standing there.
    """
    normal = plane.normal.copy()
    if abs(normal[2]) >= 0.5:
        normal = np.array([0.0, 0.0, np.sign(normal[2])])
    else:
        normal[2] = 0.0
        normal /= np.linalg.norm(normal)
    return normal, float(np.mean(plane.inliers @ normal))


def _slab(normal: FloatArray, offset: float, points: FloatArray, thickness: float) -> ConvexPiece:
    """A box: the plane's footprint grown by `thickness`, from the surface to outside."""
    helper = np.array([0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    pu, pv = points @ u, points @ v
    corners = [
        normal * n + u * a + v * b
        for n in (offset - thickness, offset)
        for a in (pu.min() - thickness, pu.max() + thickness)
        for b in (pv.min() - thickness, pv.max() + thickness)
    ]
    box = trimesh.convex.convex_hull(np.asarray(corners))
    return ConvexPiece(
        np.asarray(box.vertices, dtype=np.float64), np.asarray(box.faces, dtype=np.int64)
    )
