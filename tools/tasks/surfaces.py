"""Goal surfaces: the free horizontal faces of static furniture (tops and shelf boards).

A pick-and-place task may set its target down on a free square of any such face within the
robot's reach (`tools.tasks.task_specifier.free_squares`), not only on the robot's work
surface. From the settled stage's collision hulls (`hull_surfaces`, what the replicator
writes into the contract) a face is the flat top of one hull, and what hangs over it (the
next board, a wall cabinet) bounds its headroom: the hand carrying a target must fit in
between. Parts rising through a face (a shelf's posts) are kept as obstacles of its free
squares. Without hulls (a bare stage) each piece of furniture offers its box top
(`box_surfaces`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tools.scene_manifest import SceneManifest, SceneObject, SimRole
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap

FloatArray = NDArray[np.float64]
# Furniture whose tops and boards hold things (manifest category or label words).
SURFACE_WORDS = frozenset(
    {
        "counter", "table", "desk", "cabinet", "cupboard", "shelf", "shelving", "bookshelf",
        "bookcase", "rack", "workbench", "dresser", "nightstand", "sideboard", "island",
        "pallet", "drawer",
    }
)  # fmt: skip
# 16 cm across at least: one free goal square (12 cm) with 2 cm to the edges.
MIN_SURFACE_HALF = 0.08
FLAT_TOLERANCE_M = 0.003  # a hull's top vertices within this of its highest make its top face
SAME_LEVEL_M = 0.01  # faces of one object this close in height and overlapping are one level
CLEAR_M = 0.005  # a part whose bottom is this far above a face hangs over it
MIN_HEADROOM_M = 0.12  # lower gaps hold nothing a hand can set down
# A worktop must stand above every closed door and drawer of its furniture; cupboard doors
# often end 2-3 mm under the top (fresh kitchen 245), which leaves the top a goal.
DOOR_BELOW_M = 0.001
# A target goes onto a face with a board over it only if the hand fits above the target:
# fingers and the hand's body above the target's top (a top-down set-down; the plan's arm
# clearance check in the episodes step then decides on the real colliders).
HAND_HEADROOM_M = 0.15


@dataclass(frozen=True)
class GoalSurface:
    """A free horizontal face of a piece of furniture.

    Attributes:
        surface_id: `<object>` for its highest face, `<object>-shelf<k>` for the k-th board
            from the bottom under it.
        object_id: the furniture.
        box: the face's footprint, upright (centre z and top: its height; no thickness).
        headroom: free height above it (None: open above).
        obstacles: footprints of the furniture's own parts rising through it (posts).
    """

    surface_id: str
    object_id: str
    box: ObjectBox
    headroom: float | None = None
    obstacles: tuple[ObjectBox, ...] = field(default=())

    @property
    def level(self) -> float:
        """The face's height."""
        return self.box.top

    @property
    def shelf(self) -> int | None:
        """k of a lower board (`<object>-shelf<k>`), None for the highest face."""
        _, _, k = self.surface_id.rpartition("-shelf")
        return int(k) if self.surface_id != self.object_id and k.isdigit() else None

    def blocked_by(self, other: ObjectBox) -> bool:
        """Whether an object's box stands in the space over the face (between it and the
        board above), so that a goal square must keep clear of it."""
        above = other.top > self.level + CLEAR_M
        below_ceiling = self.headroom is None or other.bottom < self.level + self.headroom
        return above and below_ceiling

    def holds(self, target: ObjectBox) -> bool:
        """Whether the hand can set `target` down under what hangs over the face."""
        height = 2 * target.half_extents[2]
        return self.headroom is None or height + HAND_HEADROOM_M <= self.headroom

    @classmethod
    def top_of(cls, box: ObjectBox) -> GoalSurface:
        """An object's box top as its one surface (open above)."""
        half = (box.half_extents[0], box.half_extents[1], 0.0)
        return cls(box.object_id, box.object_id, _flat(box.object_id, box, box.top, half))


def _flat(object_id: str, box: ObjectBox, level: float, half: Sequence[float]) -> ObjectBox:
    centre = (box.centre[0], box.centre[1], level)
    return ObjectBox(object_id, centre, (half[0], half[1], 0.0), box.yaw)


def _words(obj: SceneObject) -> set[str]:
    return {obj.category.lower(), *obj.semantics.label.lower().replace("_", " ").split()}


def is_furniture(obj: SceneObject, work_surface: str | None) -> bool:
    """Whether the object offers goal surfaces: the work surface, or furniture that holds
    things (counters, tables, desks, cabinets, shelves), static or with doors and drawers."""
    if obj.id == work_surface:
        return True
    furniture = obj.sim_role in (SimRole.STATIC, SimRole.ARTICULATED)
    return furniture and bool(_words(obj) & SURFACE_WORDS)


def moving_parts_top(obj: SceneObject) -> float | None:
    """World height of the top of an articulated object's doors and drawers, closed (None:
    it has none). Its faces below that are inside what they open (a drawer's floor)."""
    parts = obj.articulation.parts if obj.articulation is not None else ()
    tops = [p.bounds_max[2] for p in parts if p.kind != "body"]
    if not tops:
        return None
    return obj.transform.position[2] + obj.transform.scale[2] * max(tops)


def box_surfaces(
    manifest: SceneManifest, boxes: Mapping[str, ObjectBox]
) -> tuple[GoalSurface, ...]:
    """Each piece of furniture's box top (the work surface whatever its size), by id."""
    work = manifest.robot.work_surface
    out = [
        GoalSurface.top_of(boxes[o.id])
        for o in manifest.objects
        if o.id in boxes and is_furniture(o, work)
        and (o.id == work or min(boxes[o.id].half_extents[:2]) >= MIN_SURFACE_HALF)
    ]  # fmt: skip
    return tuple(sorted(out, key=lambda s: s.surface_id))


def _box_of(object_id: str, points: FloatArray, yaw: float) -> ObjectBox:
    c, s = math.cos(yaw), math.sin(yaw)
    turn = np.array([[c, -s], [s, c]])
    local = points[:, :2] @ turn
    lo, hi = local.min(axis=0), local.max(axis=0)
    mid, half = turn @ ((lo + hi) / 2), (hi - lo) / 2
    z0, z1 = float(points[:, 2].min()), float(points[:, 2].max())
    centre = (float(mid[0]), float(mid[1]), (z0 + z1) / 2)
    return ObjectBox(object_id, centre, (float(half[0]), float(half[1]), (z1 - z0) / 2), yaw)


def top_faces(object_id: str, hulls: Iterable[FloatArray], yaw: float) -> list[ObjectBox]:
    """The flat top faces of an object's hulls wide enough for a goal square, one per level,
    lowest first. Faces at one level that touch (a pallet's deck boards) are one face; of
    faces at one level apart from each other the largest is kept."""
    tops: list[tuple[float, FloatArray]] = []
    for points in hulls:
        if len(points) >= 4:
            top = float(points[:, 2].max())
            corners = points[points[:, 2] >= top - FLAT_TOLERANCE_M]
            if len(corners) >= 3:  # else a ridge or a peak
                tops.append((top, corners))
    tops.sort(key=lambda item: item[0])
    faces: list[ObjectBox] = []
    while tops:
        level = tops[0][0]
        same = [c for z, c in tops if z - level < SAME_LEVEL_M]
        tops = [(z, c) for z, c in tops if z - level >= SAME_LEVEL_M]
        groups = _touching([_box_of(object_id, c, yaw) for c in same], same)
        best = max(groups, key=lambda b: b.half_extents[0] * b.half_extents[1])
        if min(best.half_extents[:2]) >= MIN_SURFACE_HALF:
            faces.append(_flat(object_id, best, best.top, best.half_extents))
    return faces


def _touching(boxes: list[ObjectBox], corners: list[FloatArray]) -> list[ObjectBox]:
    """The boxes around groups of faces at one level that touch (within 2 cm)."""
    group = list(range(len(boxes)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, a in enumerate(boxes):
        grown = (a.half_extents[0] + 0.02, a.half_extents[1] + 0.02)
        for j in range(i):
            b = boxes[j]
            if rectangles_overlap(a.centre, grown, a.yaw, b.centre, b.half_extents, b.yaw):
                group[root(i)] = root(j)
    members: dict[int, list[FloatArray]] = {}
    for i, c in enumerate(corners):
        members.setdefault(root(i), []).append(c)
    return [_box_of(boxes[0].object_id, np.vstack(m), boxes[0].yaw) for m in members.values()]


def _overlap(a: ObjectBox, b: ObjectBox) -> bool:
    return rectangles_overlap(a.centre, a.half_extents, a.yaw, b.centre, b.half_extents, b.yaw)


def _over(face: ObjectBox, part: ObjectBox) -> bool:
    half = (max(face.half_extents[0] - 0.01, 0.0), max(face.half_extents[1] - 0.01, 0.0))
    return rectangles_overlap(face.centre, half, face.yaw, part.centre, part.half_extents, part.yaw)


def hull_surfaces(
    manifest: SceneManifest, hulls: Mapping[str, Sequence[FloatArray]]
) -> tuple[GoalSurface, ...]:
    """The goal surfaces of a settled scene from its world collision hulls.

    Args:
        manifest: the settled scene contract (roles, labels, headings, the work surface).
        hulls: object id -> its hulls' world vertices.

    Returns:
        Every furniture face with at least `MIN_HEADROOM_M` free above it, by surface id;
        the work surface's box top if its hulls show no face.
    """
    work = manifest.robot.work_surface
    # Articulated furniture too: a kitchen counter with drawers is one, and its own worktop
    # hangs over the top of its carcass (fresh kitchen 221: that hidden face, 6.5 cm under the
    # worktop, was offered as a shelf, and every set-down there landed on the worktop).
    static = [
        (o.id, _box_of(o.id, h, _yaw(o)))
        for o in manifest.objects
        if o.sim_role in (SimRole.STATIC, SimRole.ARTICULATED)
        for h in hulls.get(o.id, ())
        if len(h)
    ]
    out: list[GoalSurface] = []
    for obj in manifest.objects:
        if not is_furniture(obj, work):
            continue
        faces = top_faces(obj.id, hulls.get(obj.id, ()), _yaw(obj))
        if obj.sim_role is SimRole.ARTICULATED and obj.id != work:
            # Kitchen counters and cupboards with drawers: only a worktop over every door
            # and drawer (fresh kitchens offered no goal on any of them).
            moving = moving_parts_top(obj)
            faces = [f for f in faces[-1:] if moving is None or f.top > moving + DOOR_BELOW_M]
        for k, face in enumerate(faces, start=1):
            surface_id = obj.id if k == len(faces) else f"{obj.id}-shelf{k}"
            parts = [p for _, p in static if _over(face, p) and p.top > face.top + CLEAR_M]
            over = [p.bottom - face.top for p in parts if p.bottom >= face.top + CLEAR_M]
            headroom = min(over) if over else None
            if headroom is not None and headroom < MIN_HEADROOM_M:
                continue
            through = tuple(p for p in parts if p.bottom < face.top + CLEAR_M)
            out.append(GoalSurface(surface_id, obj.id, face, headroom, through))
    own = [h for h in hulls.get(work or "", ()) if len(h)]
    if work is not None and own and work not in {s.surface_id for s in out}:
        whole = _box_of(work, np.vstack(own), _yaw(manifest.object(work)))
        out.append(GoalSurface.top_of(whole))
    return tuple(sorted(out, key=lambda s: s.surface_id))


def _yaw(obj: SceneObject) -> float:
    return Pose.of((0.0, 0.0, 0.0), obj.transform.rotation_wxyz).yaw
