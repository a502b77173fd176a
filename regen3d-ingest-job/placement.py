"""Physical cleanup in the metric world: floor contact, supports, and no interpenetration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from regen3d_ingest_job.mesh_index import MeshIndex, highest_crossing
from tools.scene_manifest import PoseSource, SimRole

FLOOR = "floor"
SNAP_TOLERANCE_M = 0.05  # gaps and penetrations up to this are reconstruction noise: snapped
FAR_BELOW_FLOOR_M = 0.10  # an object whose bottom is deeper than this is dropped
MAX_PENETRATION_M = 0.005
DEPTH_RESOLUTION_M = (
    0.002  # two surfaces with ~1 mm noise each touch this deep: contact, not overlap
)
_CONTACT_BAND_M = 0.01  # vertices this close above the bottom form the footprint
_MAX_CONTACT_POINTS = 64
_SEPARATION_MARGIN_M = 0.001
_SEPARATION_ROUNDS = 8
_FREE_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)

Array = NDArray[np.float64]


@dataclass(eq=False)
class PlacedObject:
    """An object being placed in the world (metres, Z-up); owns its pose while cleanup runs.

    World vertices are `rotation @ local + translation`. Compared by identity.
    """

    object_id: str
    source_id: str
    label: str
    category: str
    role: SimRole
    rotation: Array
    translation: Array
    local: Array
    faces: NDArray[np.int64]
    pose_source: PoseSource
    notes: list[str] = field(default_factory=list)
    support: str | None = None
    _index: MeshIndex | None = field(default=None, init=False, repr=False)
    _world: tuple[bytes, Array, tuple[Array, Array]] | None = field(
        default=None, init=False, repr=False
    )

    def pose_key(self) -> bytes:
        """Changes whenever the world geometry may have changed."""
        return self.rotation.tobytes() + self.translation.tobytes() + id(self.local).to_bytes(8)

    def world_vertices(self) -> Array:
        """(N, 3) vertices in the world frame (read-only; cached while the pose is unchanged)."""
        return self._cached_world()[1]

    def _cached_world(self) -> tuple[bytes, Array, tuple[Array, Array]]:
        key = self.pose_key()
        if self._world is None or self._world[0] != key:
            world = self.local @ self.rotation.T + self.translation
            world.setflags(write=False)
            self._world = (key, world, (world.min(axis=0), world.max(axis=0)))
        return self._world

    def mesh_index(self) -> MeshIndex:
        """Spatial index of the mesh in the object's own frame (built once)."""
        if self._index is None or self._index.vertices is not self.local:
            self._index = MeshIndex(self.local, self.faces)
        return self._index

    def to_local(self, points: Array) -> Array:
        """World points in the object's frame."""
        result: Array = (points - self.translation) @ self.rotation
        return result

    def penetration_by(self, points: Array, resolution: float = DEPTH_RESOLUTION_M) -> float:
        """How deep the deepest of the world `points` lies inside this object, metres.

        Depths up to `resolution` read as 0 (those points are not even tested).
        """
        low, high = self.bounds()
        near = points[((points > low) & (points < high)).all(axis=1)]
        if len(near) == 0:
            return 0.0
        return self.mesh_index().penetration_depth(self.to_local(near), resolution)

    def highest_surface(self, points_xy: Array, low: float, high: float) -> float | None:
        """The highest surface in [low, high] (world Z) under any of the world XY points."""
        if abs(self.rotation[2, 2]) < 1.0 - 1e-12:  # tilted: vertical lines are not local ones
            return highest_crossing(points_xy, self.world_vertices(), self.faces, low, high)
        lift = float(self.translation[2])
        local_xy = (points_xy - self.translation[:2]) @ self.rotation[:2, :2]
        found = self.mesh_index().highest_surface(local_xy, low - lift, high - lift)
        return None if found is None else found + lift

    def bounds(self) -> tuple[Array, Array]:
        """World axis-aligned bounding box (low, high)."""
        low, high = self._cached_world()[2]
        return low.copy(), high.copy()

    def contact_points(self) -> Array:
        """(K, 2) world XY of the vertices the object stands on (its lowest band)."""
        world = self.world_vertices()
        low = world[:, 2].min()
        band = world[world[:, 2] <= low + _CONTACT_BAND_M, :2]
        step = max(1, len(band) // _MAX_CONTACT_POINTS)
        result: Array = band[::step]
        return result


def drop_below_floor(objects: Sequence[PlacedObject]) -> dict[str, str]:
    """Find objects whose bottom is far below the floor (the reconstruction failed for them).

    Args:
        objects: every object.

    Returns:
        object id -> reason, for the objects to drop.
    """
    dropped: dict[str, str] = {}
    for obj in objects:
        if obj.role is SimRole.BACKGROUND:
            continue
        bottom = float(obj.bounds()[0][2])
        if bottom < -FAR_BELOW_FLOOR_M:
            dropped[obj.object_id] = (
                f"far below the floor (bottom at z = {bottom:.3f} m, "
                f"more than {FAR_BELOW_FLOOR_M} m down)"
            )
    return dropped


def settle(objects: Sequence[PlacedObject]) -> None:
    """Rest every object on its support: the floor (z = 0) or the highest surface under it.

    Objects are processed bottom-up so a support is settled before what it carries. Gaps and
    penetrations up to SNAP_TOLERANCE_M are closed along Z; a free object floating higher is
    dropped onto the surface below it; a floating static object (wall-mounted) is left.

    Args:
        objects: every object (background ones are skipped); modified in place.
    """
    order = sorted(
        (o for o in objects if o.role is not SimRole.BACKGROUND),
        key=lambda o: float(o.bounds()[0][2]),
    )
    settled: list[PlacedObject] = []
    boxes = np.zeros((len(order), 2, 3))
    for index, obj in enumerate(order):
        _settle_one(obj, settled, boxes[:index])
        settled.append(obj)
        boxes[index] = np.stack(obj.bounds())


def separate(objects: Sequence[PlacedObject], depths: dict[bytes, float] | None = None) -> float:
    """Push interpenetrating objects apart in XY; free objects move before static ones.

    Args:
        objects: every object (background ones are skipped); modified in place.
        depths: pair depths by pose, filled and reused (pass it on to max_interpenetration).

    Returns:
        The deepest interpenetration left, metres.
    """
    solid = [o for o in objects if o.role is not SimRole.BACKGROUND]
    worst = 0.0
    depths = {} if depths is None else depths  # pairs that did not move keep their depth
    for _ in range(_SEPARATION_ROUNDS):
        worst = 0.0
        moved = False
        for a, b, depth in _penetrating_pairs(solid, depths=depths):
            worst = max(worst, depth)
            mover, other = _mover(a, b)
            if mover is None:
                continue
            _push_apart(mover, other, depth + _SEPARATION_MARGIN_M, solid)
            moved = True
        if not moved:
            break
    return worst


def max_interpenetration(
    objects: Sequence[PlacedObject], depths: dict[bytes, float] | None = None
) -> float:
    """The deepest vertex penetration between any two non-background objects, metres.

    Depths up to DEPTH_RESOLUTION_M read as 0; `depths` reuses what `separate` measured.
    """
    solid = [o for o in objects if o.role is not SimRole.BACKGROUND]
    found = _penetrating_pairs(solid, threshold=0.0, depths=depths)
    return max((depth for _, _, depth in found), default=0.0)


def _settle_one(obj: PlacedObject, settled: list[PlacedObject], boxes: Array) -> None:
    bottom = float(obj.bounds()[0][2])
    contact = obj.contact_points()
    support, height = _find_support(
        contact, settled, boxes, bottom - SNAP_TOLERANCE_M, bottom + SNAP_TOLERANCE_M
    )
    if support is None and bottom < 0.0:
        support, height = FLOOR, 0.0
    if support is None and obj.role in _FREE_ROLES:
        support, height = _find_support(contact, settled, boxes, -np.inf, bottom)
        obj.notes.append(f"floating {bottom - (height or 0.0):.3f} m up: dropped onto {support}")
    if support is None or height is None:
        obj.notes.append("floating with nothing under it: left in place (wall-mounted?)")
        return
    obj.support = support
    shift = height - bottom
    obj.translation = obj.translation + np.array([0.0, 0.0, shift])
    if abs(shift) >= 1e-4:
        obj.notes.append(f"snapped {shift * 100:+.1f} cm along Z onto {support}")


def _find_support(
    contact: Array, settled: list[PlacedObject], boxes: Array, low: float, high: float
) -> tuple[str | None, float | None]:
    best: tuple[str | None, float | None] = (FLOOR, 0.0) if low <= 0.0 <= high else (None, None)
    if len(settled) == 0:
        return best
    c_low, c_high = contact.min(axis=0), contact.max(axis=0)
    near = np.flatnonzero(
        (boxes[:, 1, 2] >= low)
        & (boxes[:, 0, 2] <= high)
        & (boxes[:, 0, 0] <= c_high[0])
        & (boxes[:, 1, 0] >= c_low[0])
        & (boxes[:, 0, 1] <= c_high[1])
        & (boxes[:, 1, 1] >= c_low[1])
    )
    for index in near:
        candidate = settled[int(index)]
        if candidate.role is SimRole.BACKGROUND:
            continue
        z = candidate.highest_surface(contact, low, high)
        if z is not None and (best[1] is None or z > best[1]):
            best = (candidate.object_id, z)
    return best


def _penetrating_pairs(
    solid: Sequence[PlacedObject],
    threshold: float = MAX_PENETRATION_M,
    depths: dict[bytes, float] | None = None,
) -> list[tuple[PlacedObject, PlacedObject, float]]:
    depths = {} if depths is None else depths
    if len(solid) < 2:
        return []
    boxes = np.array([np.stack(o.bounds()) for o in solid])
    found = []
    for i, a in enumerate(solid):
        overlap = np.minimum(boxes[i, 1], boxes[i + 1 :, 1]) - np.maximum(
            boxes[i, 0], boxes[i + 1 :, 0]
        )
        for offset in np.flatnonzero((overlap > threshold).all(axis=1)):
            b = solid[i + 1 + int(offset)]
            key = a.pose_key() + b.pose_key()
            if key not in depths:  # one resolution for every caller, so depths can be shared
                depths[key] = max(
                    b.penetration_by(a.world_vertices()), a.penetration_by(b.world_vertices())
                )
            depth = depths[key]
            if depth > threshold:
                found.append((a, b, depth))
    return found


def _mover(a: PlacedObject, b: PlacedObject) -> tuple[PlacedObject | None, PlacedObject]:
    """Which of two objects moves: never a support of the other; free before static; smaller."""
    if b.support == a.object_id:
        return b, a
    if a.support == b.object_id:
        return a, b
    rank_a, rank_b = (0 if o.role in _FREE_ROLES else 1 for o in (a, b))
    if rank_a != rank_b:
        return (a, b) if rank_a < rank_b else (b, a)
    size_a, size_b = (float(np.prod(np.ptp(o.local, axis=0))) for o in (a, b))
    return (a, b) if size_a <= size_b else (b, a)


def _push_apart(
    mover: PlacedObject, other: PlacedObject, distance: float, solid: Sequence[PlacedObject]
) -> None:
    direction = (mover.translation - other.translation)[:2]
    norm = float(np.linalg.norm(direction))
    unit = direction / norm if norm > 1e-9 else np.array([1.0, 0.0])
    step = np.array([unit[0] * distance, unit[1] * distance, 0.0])
    carried = _carried_by(mover, solid)
    for obj in [mover, *carried]:
        obj.translation = obj.translation + step
    mover.notes.append(f"moved {distance * 100:.1f} cm in XY out of {other.object_id}")


def _carried_by(base: PlacedObject, solid: Sequence[PlacedObject]) -> list[PlacedObject]:
    carried: list[PlacedObject] = []
    frontier = {base.object_id}
    while frontier:
        layer = [o for o in solid if o.support in frontier and o not in carried]
        carried += layer
        frontier = {o.object_id for o in layer}
    return carried
