"""The top-down map of a scene as inline SVG: objects by role, the robot base and its reach,
placement regions, and each task's target and goal (world frame, Z up, metres)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

_WIDTH_PX = 600
_WORK_AREA_MARGIN_M = 0.15
_BASE_RADIUS_M = (
    0.1  # the arm's base, drawn to scale  # around the robot's reach in the work-area view
)
_MARGIN_PX = 14
ROLE_COLOURS: Mapping[str, str] = {
    "manipulable": "#e67e22",
    "static": "#5d7fa3",
    "background": "#b8b8b8",
    "articulated": "#8e44ad",
}
REGION_COLOURS: Mapping[str, str] = {
    "support": "#27ae60",
    "workspace": "#16a085",
    "floor": "#7f8c8d",
}
_TASK_COLOUR = "#c0392b"
_ROBOT_COLOUR = "#2c3e50"
Point = tuple[float, float]


def yaw_of(rotation_wxyz: Sequence[float]) -> float:
    """Heading (rotation about +Z) of a `[w, x, y, z]` quaternion, radians."""
    w, x, y, z = (float(v) for v in rotation_wxyz)
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def _box(centre: Point, half: Point, yaw: float) -> list[Point]:
    c, s = math.cos(yaw), math.sin(yaw)
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    return [
        (
            centre[0] + c * u * half[0] - s * v * half[1],
            centre[1] + s * u * half[0] + c * v * half[1],
        )
        for u, v in corners
    ]


class _Canvas:
    """World metres to SVG pixels (y flipped so that +Y points up the page)."""

    def __init__(self, low: Point, high: Point) -> None:
        self.low, self.high = low, high
        span = max(high[0] - low[0], 1e-6)
        self.scale = (_WIDTH_PX - 2 * _MARGIN_PX) / span
        self.height = round((high[1] - low[1]) * self.scale + 2 * _MARGIN_PX)
        self.parts: list[str] = []

    def xy(self, p: Point) -> str:
        x = _MARGIN_PX + (p[0] - self.low[0]) * self.scale
        y = _MARGIN_PX + (self.high[1] - p[1]) * self.scale
        return f"{x:.1f},{y:.1f}"

    def polygon(self, points: Iterable[Point], style: str, title: str = "") -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        coords = " ".join(self.xy(p) for p in points)
        self.parts.append(f'<polygon points="{coords}" {style}>{tip}</polygon>')

    def circle(self, centre: Point, radius_m: float, style: str, title: str = "") -> None:
        x, y = self.xy(centre).split(",")
        tip = f"<title>{escape(title)}</title>" if title else ""
        r = max(radius_m * self.scale, 2.0)
        self.parts.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" {style}>{tip}</circle>')

    def line(self, a: Point, b: Point, style: str) -> None:
        (x1, y1), (x2, y2) = self.xy(a).split(","), self.xy(b).split(",")
        self.parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {style}/>')

    def label(self, p: Point, text: str, css_class: str = "map-label", dx: int = 0) -> None:
        x, y = self.xy(p).split(",")
        self.parts.append(
            f'<text x="{x}" y="{y}" dx="{dx}" dy="4" class="{css_class}">{escape(text)}</text>'
        )


def _bounds(manifest: Mapping[str, Any]) -> tuple[Point, Point]:
    bounds = manifest.get("room_bounds") or {}
    if "min" in bounds and "max" in bounds:
        return (bounds["min"][0], bounds["min"][1]), (bounds["max"][0], bounds["max"][1])
    xs = [o["transform"]["position"][0] for o in manifest.get("objects", [])] or [0.0]
    ys = [o["transform"]["position"][1] for o in manifest.get("objects", [])] or [0.0]
    return (min(xs) - 1, min(ys) - 1), (max(xs) + 1, max(ys) + 1)


def _objects(
    canvas: _Canvas, objects: Sequence[Mapping[str, Any]], *, label_all: bool
) -> dict[str, Point]:
    centres: dict[str, Point] = {}
    # Large things first so that small objects on a table are drawn on top of it.
    by_area = sorted(objects, key=lambda o: -o["dimensions"][0] * o["dimensions"][1])
    for obj in by_area:
        pose = obj["transform"]
        centre = (float(pose["position"][0]), float(pose["position"][1]))
        centres[obj["id"]] = centre
        if obj.get("category") == "room":
            continue
        half = (obj["dimensions"][0] / 2, obj["dimensions"][1] / 2)
        role = str(obj.get("sim_role", ""))
        colour = ROLE_COLOURS.get(role, "#95a5a6")
        canvas.polygon(
            _box(centre, half, yaw_of(pose["rotation_wxyz"])),
            f'fill="{colour}" fill-opacity="0.8" stroke="#333" stroke-width="0.6"',
            f"{obj['id']} ({role})",
        )
        if label_all or role != "manipulable":
            canvas.label(centre, str(obj.get("category", obj["id"])))
    return centres


def _regions(canvas: _Canvas, regions: Sequence[Mapping[str, Any]], *, outline: bool) -> None:
    """A region lies on its support: a faint fill under the objects, its outline over them."""
    for region in regions:
        colour = REGION_COLOURS.get(str(region.get("kind")), "#27ae60")
        exterior = [(float(x), float(y)) for x, y in region.get("exterior", [])]
        if len(exterior) < 3:
            continue
        if outline:
            style = f'fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3"'
            canvas.polygon(exterior, style, f"region {region.get('id')} ({region.get('kind')})")
        else:
            canvas.polygon(exterior, f'fill="{colour}" fill-opacity="0.12"')


def _robot(canvas: _Canvas, robot: Mapping[str, Any], reach: tuple[float, float] | None) -> None:
    pose = robot.get("base_pose") or {}
    if "position" not in pose:
        return
    base = (float(pose["position"][0]), float(pose["position"][1]))
    if reach is not None:
        inner, outer = reach
        style = f'fill="none" stroke="{_ROBOT_COLOUR}" stroke-dasharray="6 4"'
        canvas.circle(base, outer, style, f"reach {outer:.2f} m")
        canvas.circle(base, inner, style, f"closer than {inner:.2f} m the arm folds")
    yaw = yaw_of(pose.get("rotation_wxyz", (1, 0, 0, 0)))
    tip = (base[0] + 0.25 * math.cos(yaw), base[1] + 0.25 * math.sin(yaw))
    canvas.line(base, tip, f'stroke="{_ROBOT_COLOUR}" stroke-width="3"')
    canvas.circle(
        base, _BASE_RADIUS_M, f'fill="{_ROBOT_COLOUR}"', f"robot base ({robot.get('type')})"
    )
    beside = (base[0] + _BASE_RADIUS_M, base[1])
    canvas.label(beside, f"robot {robot.get('type', '')}", "map-label robot", dx=4)


def _camera(canvas: _Canvas, camera: Mapping[str, Any]) -> None:
    pose = camera.get("pose") or {}
    if "position" not in pose:
        return
    eye = (float(pose["position"][0]), float(pose["position"][1]))
    # The camera looks down its local -Z (glTF/USD camera): its heading is that axis on the floor.
    w, x, y, z = (float(v) for v in pose.get("rotation_wxyz", (1, 0, 0, 0)))
    forward = (-2.0 * (x * z + w * y), -2.0 * (y * z - w * x))
    norm = math.hypot(*forward) or 1.0
    tip = (eye[0] + 0.4 * forward[0] / norm, eye[1] + 0.4 * forward[1] / norm)
    canvas.line(eye, tip, f'stroke="{_ROBOT_COLOUR}" stroke-width="3"')
    canvas.circle(eye, 0.06, 'fill="#fff" stroke="#2c3e50" stroke-width="2"', "camera")
    canvas.label(eye, "camera", "map-label robot", dx=10)


def _tasks(
    canvas: _Canvas,
    episodes: Sequence[Mapping[str, Any]],
    centres: Mapping[str, Point],
    arrow: str,
) -> None:
    seen: set[str] = set()
    for row in episodes:
        x, y = row.get("randomization_values/target_x"), row.get("randomization_values/target_y")
        if isinstance(x, float | int) and isinstance(y, float | int):
            canvas.circle((float(x), float(y)), 0.012, f'fill="{_TASK_COLOUR}"')
        task, centre = str(row.get("task_id")), row.get("goal_region/centre")
        if task in seen or not centre:
            continue
        seen.add(task)
        goal = (float(centre[0]), float(centre[1]))
        half = row.get("goal_region/half_extents") or (0.05, 0.05)
        canvas.polygon(
            _box(goal, (float(half[0]), float(half[1])), float(row.get("goal_region/yaw") or 0.0)),
            f'fill="none" stroke="{_TASK_COLOUR}" stroke-width="2"',
            f"goal of {task}",
        )
        target = centres.get(str(row.get("target_id")))
        if target is not None:
            style = f'stroke="{_TASK_COLOUR}" stroke-width="1.5" marker-end="url(#{arrow})"'
            canvas.line(target, goal, style)


def _work_area(
    manifest: Mapping[str, Any], reach: tuple[float, float] | None
) -> tuple[Point, Point] | None:
    position = ((manifest.get("robot") or {}).get("base_pose") or {}).get("position")
    if reach is None or not position:
        return None
    half = reach[1] + _WORK_AREA_MARGIN_M
    x, y = float(position[0]), float(position[1])
    return (x - half, y - half), (x + half, y + half)


def scene_map(
    manifest: Mapping[str, Any],
    regions: Sequence[Mapping[str, Any]] = (),
    episodes: Sequence[Mapping[str, Any]] = (),
    reach: tuple[float, float] | None = None,
    *,
    work_area: bool = False,
) -> Markup | None:
    """The map, or None without a manifest (or, for the work area, without a robot and reach).

    Args:
        manifest: the scene manifest (plain JSON).
        regions: placement regions (`replicator/placement_regions.json`'s `regions`).
        episodes: episode rows (target start, task, goal region).
        reach: the robot's (min, max) horizontal reach in metres, if known.
        work_area: show only the square around the robot's reach (every object labelled),
            instead of the whole room.
    """
    if not manifest.get("objects"):
        return None
    room = _bounds(manifest)
    bounds = _work_area(manifest, reach) if work_area else room
    if bounds is None:
        return None
    canvas = _Canvas(*bounds)
    arrow = "arrow-work" if work_area else "arrow-room"  # marker ids are unique in the page
    canvas.polygon(
        _box(
            ((room[0][0] + room[1][0]) / 2, (room[0][1] + room[1][1]) / 2),
            ((room[1][0] - room[0][0]) / 2, (room[1][1] - room[0][1]) / 2),
            0.0,
        ),
        'fill="#fbfaf7" stroke="#555" stroke-width="2"',
        "room",
    )
    _regions(canvas, regions, outline=False)
    centres = _objects(canvas, manifest["objects"], label_all=work_area)
    _regions(canvas, regions, outline=True)
    _robot(canvas, manifest.get("robot") or {}, reach)
    _camera(canvas, manifest.get("camera") or {})
    _tasks(canvas, episodes, centres, arrow)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="map" '
        f'viewBox="0 0 {_WIDTH_PX} {canvas.height}" width="{_WIDTH_PX}" height="{canvas.height}">'
        f"<title>{'Work area around the robot' if work_area else 'Top-down map'}</title>"
        f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{_TASK_COLOUR}"/>'
        "</marker></defs>"
    )
    return Markup(head + "".join(canvas.parts) + "</svg>")  # noqa: S704 - texts escaped
