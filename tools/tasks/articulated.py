"""Open and close tasks on articulated furniture, derived from the manifest's `articulation`.

One task per door or drawer joint whose handle a robot can reach from a station in front of
the furniture (`station_candidates`): `open_drawer`, `close_drawer`, `open_door`, `close_door`.
A close task starts with the joint open (`start_fraction`), an open task with it closed. Both
are judged from the joint position only (`judge_fraction`): open means at least 60 % of the
range, closed at most 5 %, and the hand must have let go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from tools.rotations import quat_to_matrix
from tools.scene_manifest import SceneManifest, SceneObject
from tools.scene_manifest.articulation import ArticulatedPart, ArticulationJoint
from tools.tasks.geometry import FloatArray, Pose
from tools.tasks.skills import CLOSE_DOOR, CLOSE_DRAWER, OPEN_DOOR, OPEN_DRAWER, instruction_for

OPEN_MIN_FRACTION: Final = 0.6  # an open task succeeds at >= 60 % of the joint's range
CLOSED_MAX_FRACTION: Final = 0.05  # a close task succeeds at <= 5 %
CLOSE_START_FRACTION: Final = 0.7  # where a close task's joint starts (open by the judge's rule)
MIN_SLIDE_M: Final = 0.1  # shorter runners are not worth a task (60 % is a few centimetres)
MIN_SWING_RAD: Final = math.radians(45.0)
RING_IN_FRONT_M: Final = 0.25  # in front of the grasped face (the hand comes from there)
HANDLE_Z_RANGE: Final = (0.15, 1.05)  # handle heights a floor-standing Panda reaches sideways


@dataclass(frozen=True)
class JointFrame:
    """A joint of a placed object in world coordinates (closed pose).

    Attributes:
        kind: "revolute" or "prismatic".
        axis: unit opening axis (positive motion opens).
        origin: a point on the axis (revolute).
        handle: the handle's grasp point with the part closed.
        front: outward normal of the furniture's front.
        lower: closed position; upper: fully open position.
        corners: the moving part's box corners (8 x 3, closed pose; empty if unknown).
    """

    kind: str
    axis: FloatArray
    origin: FloatArray
    handle: FloatArray
    front: FloatArray
    lower: float
    upper: float
    corners: FloatArray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def is_flap(self) -> bool:
        """A door hinged on a horizontal axis (oven, dishwasher): it opens downwards."""
        return self.kind == "revolute" and abs(float(self.axis[2])) < 0.5

    def swept_footprint(
        self, span: tuple[float, float] | None = None, steps: int = 12
    ) -> FloatArray:
        """Floor-plan points (N x 2) of the part's box over joint positions `span` (default its
        whole range): a door's sweep, a drawer's travel; the handle's path when the part's box
        is unknown."""
        points = self.corners if len(self.corners) else self.handle[None, :]
        low, high = (self.lower, self.upper) if span is None else (min(span), max(span))
        out = []
        for q in np.linspace(max(low, self.lower), min(high, self.upper), steps):
            if self.kind == "prismatic":
                out.append(points + q * self.axis)
            else:
                out.append(self.origin + (points - self.origin) @ self.motion(float(q)).T)
        return np.concatenate(out)[:, :2]

    def position_at(self, fraction: float) -> float:
        """The joint position at an open fraction of the range."""
        return self.lower + fraction * (self.upper - self.lower)

    def motion(self, q: float) -> FloatArray:
        """The 3x3 rotation of the moving part at joint position `q` (identity for a slide)."""
        if self.kind == "prismatic":
            return np.eye(3)
        return _axis_rotation(self.axis, q)

    def handle_at(self, q: float) -> FloatArray:
        """Where the handle is at joint position `q`."""
        if self.kind == "prismatic":
            return self.handle + q * self.axis
        return self.origin + self.motion(q) @ (self.handle - self.origin)


def _axis_rotation(axis: FloatArray, angle: float) -> FloatArray:
    x, y, z = axis
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    rotation: FloatArray = np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)
    return rotation


def joint_frame(obj: SceneObject, joint: ArticulationJoint, part: ArticulatedPart) -> JointFrame:
    """The joint of a placed object in world coordinates.

    Args:
        obj: the manifest object (its transform maps asset frame to world).
        joint: one of its articulation's joints.
        part: the joint's child part (its handle).

    Returns:
        The world-frame joint.

    Raises:
        ValueError: the part has no handle.
    """
    if part.handle is None or obj.articulation is None:
        raise ValueError(f"{obj.id}/{part.name}: handle must be set for an open/close task")
    t = obj.transform
    rotation = np.asarray(quat_to_matrix(t.rotation_wxyz), dtype=float)
    scale = np.asarray(t.scale, dtype=float)
    position = np.asarray(t.position, dtype=float)

    def point(p: tuple[float, float, float]) -> FloatArray:
        return np.asarray(rotation @ (scale * np.asarray(p)) + position, dtype=float)

    def direction(v: tuple[float, float, float]) -> FloatArray:
        d = rotation @ (np.asarray(v) / scale)  # normals and axes: inverse-transpose scale
        return np.asarray(d / np.linalg.norm(d), dtype=float)

    travel = 1.0 if joint.type == "revolute" else float(np.linalg.norm(scale * joint.axis))
    lo, hi = part.bounds_min, part.bounds_max
    corners = np.array(
        [point((x, y, z)) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    return JointFrame(
        kind=joint.type,
        axis=direction(joint.axis),
        origin=point(joint.origin),
        handle=point(part.handle),
        front=direction(obj.articulation.front),
        lower=joint.lower * travel,
        upper=joint.upper * travel,
        corners=corners,
    )


@dataclass(frozen=True)
class ArticulatedTask:
    """Open or close one door or drawer.

    Attributes:
        task_id: stable id, `<object>-<joint>-<open|close>`.
        skill: `open_drawer`, `close_drawer`, `open_door` or `close_door`.
        object_id: the articulated object.
        joint_name: the manifest joint.
        part_name: the moving part (its handle is grasped).
        instruction: the natural-language instruction.
        start_fraction: the joint's open fraction at reset.
        frame: the joint in the world.
    """

    task_id: str
    skill: str
    object_id: str
    joint_name: str
    part_name: str
    instruction: str
    start_fraction: float
    frame: JointFrame

    @property
    def opens(self) -> bool:
        """Whether the task opens the part (else it closes it)."""
        return self.skill in (OPEN_DRAWER, OPEN_DOOR)


def judge_fraction(opens: bool, fraction: float, released: bool) -> tuple[bool, str]:
    """Verdict from the joint's final open fraction and whether the hand let go.

    Returns:
        (success, reason): reason is "ok", "not_released", "not_open" or "not_closed".
    """
    if not released:
        return False, "not_released"
    if opens and fraction < OPEN_MIN_FRACTION:
        return False, "not_open"
    if not opens and fraction > CLOSED_MAX_FRACTION:
        return False, "not_closed"
    return True, "ok"


def skip_reason(frame: JointFrame) -> str | None:
    """Why a joint gets no task (None: it gets one)."""
    span = frame.upper - frame.lower
    if frame.kind == "prismatic" and span < MIN_SLIDE_M:
        return f"slide travel {span:.3f} m < {MIN_SLIDE_M} m"
    if frame.kind == "revolute" and span < MIN_SWING_RAD:
        return f"swing {math.degrees(span):.0f} deg < {math.degrees(MIN_SWING_RAD):.0f} deg"
    if not HANDLE_Z_RANGE[0] <= frame.handle[2] <= HANDLE_Z_RANGE[1]:
        return f"handle height {frame.handle[2]:.2f} m outside {HANDLE_Z_RANGE}"
    if abs(frame.front[2]) > 0.2:
        return "front not vertical"
    return None


def derive_articulated_tasks(
    manifest: SceneManifest, *, skipped: dict[str, str] | None = None
) -> list[ArticulatedTask]:
    """An open and a close task for every reachable door and drawer of the scene.

    Args:
        manifest: the scene contract (objects with `articulation`).
        skipped: filled with `<object>/<joint>` -> reason for joints that get no task.

    Returns:
        Tasks in a stable order (object, joint, open before close).
    """
    tasks: list[ArticulatedTask] = []
    for obj in sorted(manifest.objects, key=lambda o: o.id):
        articulation = obj.articulation
        if articulation is None:
            continue
        for joint in articulation.joints:
            part = articulation.part(joint.child_part)
            if part.handle is None:
                if skipped is not None:
                    skipped[f"{obj.id}/{joint.name}"] = "no handle"
                continue
            frame = joint_frame(obj, joint, part)
            reason = skip_reason(frame)
            if reason is not None:
                if skipped is not None:
                    skipped[f"{obj.id}/{joint.name}"] = reason
                continue
            drawer = joint.type == "prismatic"
            for opens in (True, False):
                skill = (
                    (OPEN_DRAWER if drawer else OPEN_DOOR)
                    if opens
                    else (CLOSE_DRAWER if drawer else CLOSE_DOOR)
                )
                tasks.append(
                    ArticulatedTask(
                        task_id=f"{obj.id}-{joint.name}-{'open' if opens else 'close'}",
                        skill=skill,
                        object_id=obj.id,
                        joint_name=joint.name,
                        part_name=part.name,
                        instruction=instruction_for(skill, _label(obj)),
                        start_fraction=0.0 if opens else CLOSE_START_FRACTION,
                        frame=frame,
                    )
                )
    return tasks


def _label(obj: SceneObject) -> str:
    return obj.semantics.label.replace("_", " ").strip().lower()


def station_candidates(frame: JointFrame, q: float, opens_towards: float) -> list[Pose]:
    """Robot base poses on the floor in front of the handle at joint position `q`, facing it.

    Args:
        frame: the joint.
        q: the joint position the handle is grasped at. An open door's handle faces sideways,
            so stations face both the door's outer face and the carcass's front.
        opens_towards: sideways shift (metres, along the front's "right") tried first: it
            moves the base out of a door's sweep; 0 for drawers.

    Returns:
        Candidate poses, likeliest first (the caller keeps the first whose motion is reachable).
    """
    handle = frame.handle_at(q)
    faces = [frame.motion(q) @ frame.front]
    if frame.kind == "revolute" and q != frame.lower:
        faces.append(frame.front)
    laterals = dict.fromkeys((opens_towards, 0.0, 0.15, -0.15, 0.3, -0.3))
    out = []
    for normal in faces:
        front = np.array([normal[0], normal[1], 0.0])
        front /= np.linalg.norm(front)
        right = np.array([front[1], -front[0], 0.0])
        yaw = math.atan2(-front[1], -front[0])
        quat = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
        for standoff in (0.7, 0.6, 0.8, 0.5):
            for lateral in laterals:
                xy = handle[:2] + standoff * front[:2] + lateral * right[:2]
                out.append(Pose.of((float(xy[0]), float(xy[1]), 0.0), quat))
    return out


def ring_candidates(frame: JointFrame, q_start: float, q_end: float) -> list[Pose]:
    """Robot base poses around the middle of the handle's path, each facing it.

    A door closed from open needs its outer face, which faces sideways: the robot stands
    beside the door's sweep, where both ends of the arc are within reach.

    Args:
        frame: the joint.
        q_start: joint position at the grasp.
        q_end: joint position at the end of the motion.

    Returns:
        Candidates at 0.5, 0.65 and 0.8 m from the path's middle, every 30 deg, in front of the
        face the hand grasps.
    """
    middle = frame.handle_at((q_start + q_end) / 2)
    handle = frame.handle_at(q_start)
    normal = frame.motion(q_start) @ frame.front
    out = []
    for standoff in (0.5, 0.65, 0.8):
        for k in range(12):
            heading = k * math.pi / 6
            x = float(middle[0]) + standoff * math.cos(heading)
            y = float(middle[1]) + standoff * math.sin(heading)
            # Only in front of the face grasped: from behind, the hand would cross the part.
            if (x - handle[0]) * normal[0] + (y - handle[1]) * normal[1] < RING_IN_FRONT_M:
                continue
            yaw = heading + math.pi
            out.append(Pose.of((x, y, 0.0), (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))))
    return out


def _facing(position: FloatArray, target: FloatArray) -> Pose:
    """A floor pose at `position` turned to face `target`."""
    yaw = math.atan2(float(target[1] - position[1]), float(target[0] - position[0]))
    return Pose.of(
        (float(position[0]), float(position[1]), 0.0),
        (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)),
    )


def beside_candidates(frame: JointFrame, q_start: float, q_end: float) -> list[Pose]:
    """Robot base poses on either side of a door's sweep, facing the middle of the handle's path.

    A flap (oven, dishwasher) sweeps the floor in front of it out to its own height: from in
    front the closed handle is out of reach, from inside the sweep the base would be under the
    open door. Beside the sweep, both ends of the path are within reach.

    Args:
        frame: the joint.
        q_start: joint position at the grasp.
        q_end: joint position at the end of the motion.

    Returns:
        Candidates 0.3, 0.4 and 0.5 m beyond either side of the sweep, 0.15 to 0.6 m in front
        of the closed front, nearest side of the handle first.
    """
    front = np.array([frame.front[0], frame.front[1], 0.0])
    front /= np.linalg.norm(front)
    right = np.array([front[1], -front[0], 0.0])
    footprint = frame.swept_footprint((q_start, q_end))
    lateral = (footprint - frame.handle[:2]) @ right[:2]
    middle = (frame.handle_at(q_start) + frame.handle_at(q_end)) / 2
    sides = sorted(((float(lateral.max()), 1.0), (float(-lateral.min()), -1.0)))
    out = []
    for edge, sign in sides:
        for beyond in (0.3, 0.4, 0.5):
            for depth in (0.15, 0.3, 0.45, 0.6):
                xy = frame.handle + sign * (edge + beyond) * right + depth * front
                out.append(_facing(xy, middle))
    return out


def sweep_gap(
    frame: JointFrame, xy: tuple[float, float], span: tuple[float, float] | None = None
) -> float:
    """Floor-plan distance from `xy` to the convex hull of the part's sweep over joint
    positions `span` (default its whole range; 0 inside it)."""
    points = frame.swept_footprint(span)
    try:
        hull = points[ConvexHull(points).vertices]
    except (QhullError, ValueError):  # a path without area (no part box): its points
        hull = points
    p = np.asarray(xy, dtype=float)
    if len(hull) >= 3:
        edges = np.roll(hull, -1, axis=0) - hull
        cross = edges[:, 0] * (p[1] - hull[:, 1]) - edges[:, 1] * (p[0] - hull[:, 0])
        if (cross >= 0).all() or (cross <= 0).all():
            return 0.0
    gaps = []
    for a, b in zip(hull, np.roll(hull, -1, axis=0), strict=True):
        ab = b - a
        t = float(np.clip((p - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0))
        gaps.append(float(np.linalg.norm(p - (a + t * ab))))
    return min(gaps)
