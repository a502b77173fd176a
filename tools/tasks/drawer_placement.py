"""Pick-and-place into an opened drawer: the task, where the object goes and how it is judged.

A task takes a graspable object from the surface it stands on and puts it in a drawer that the
episode finds open (the replicator randomizes joint positions; an episode may also open it
first). The drawer's part box (front panel and tray, `JointFrame.corners`) moves with the
joint: the goal is the tray's floor where it stands out of the carcass (`exposed_region`, open
from above), and the verdict reads the simulated state only: the object's box inside the part's
volume at the joint's final position, at rest, not held (`judge_in_drawer`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from tools.scene_manifest import SceneManifest
from tools.tasks.articulated import ArticulatedTask, JointFrame, derive_articulated_tasks
from tools.tasks.geometry import FloatArray, ObjectBox
from tools.tasks.rims import RimGeometry
from tools.tasks.skills import OPEN_DRAWER
from tools.tasks.skills import PLACE_IN_DRAWER as PLACE_IN_DRAWER  # re-exported with its task
from tools.tasks.task_specifier import GoalRegion

INSTRUCTION: Final = "put the {target} in the open drawer of the {furniture}"
OPEN_FRACTION: Final = 0.85  # how far the drawer stands open when the episode starts
PANEL_M: Final = 0.025  # the front panel's thickness (behind it the tray begins)
WALL_M: Final = 0.012  # the tray's walls and floor (simready's drawer tray)
MARGIN_M: Final = 0.03  # the goal footprint keeps this far inside the tray's walls
FLOOR_TOLERANCE_M: Final = 0.01  # the object's bottom may sink this far below the tray floor
RIM_M: Final = 0.02  # and must lie this far below the rim (not lying across the walls)
REST_SPEED: Final = (0.02, 0.2)  # m/s, rad/s: at rest below these


@dataclass(frozen=True)
class DrawerPlacementTask:
    """Put one object into one drawer.

    Attributes:
        task_id: `<target>-in-<object>-<joint>`.
        target_id: the object to move.
        support_id: what it stands on.
        object_id: the furniture with the drawer.
        joint_name: the drawer's manifest joint.
        instruction: the natural-language instruction.
        open_fraction: the drawer's open fraction at the start.
        frame: the drawer's joint in the world.
        rim: the target's pinchable rim (a mug, a pen holder: held by it), else None.
    """

    task_id: str
    target_id: str
    support_id: str
    object_id: str
    joint_name: str
    instruction: str
    open_fraction: float
    frame: JointFrame
    rim: RimGeometry | None = None

    @property
    def skill(self) -> str:
        """The skill recorded with its episodes."""
        return PLACE_IN_DRAWER


def _axes(frame: JointFrame) -> tuple[FloatArray, FloatArray]:
    """The drawer's horizontal outward direction and its lateral (right-hand) direction."""
    out = np.array([frame.front[0], frame.front[1], 0.0])
    out /= np.linalg.norm(out)
    return out, np.array([out[1], -out[0], 0.0])


def part_extents(frame: JointFrame, q: float) -> tuple[tuple[float, float], ...]:
    """The part's box at joint position `q` as (min, max) along the outward direction, the
    lateral direction and z."""
    out, lateral = _axes(frame)
    corners = frame.corners + q * frame.axis
    return tuple(
        (float((corners @ d).min()), float((corners @ d).max()))
        for d in (out, lateral, np.array([0.0, 0.0, 1.0]))
    )


def exposed_region(frame: JointFrame, q: float) -> GoalRegion:
    """The tray's floor where it stands out of the carcass with the drawer at `q`, as a
    container goal ("in": its rim the part's top, its bottom the tray floor).

    Raises:
        ValueError: the drawer is not open enough to expose a footprint, or has no part box.
    """
    if frame.kind != "prismatic" or not len(frame.corners):
        raise ValueError("frame: a drawer with a part box is required")
    out, lateral = _axes(frame)
    (_, front), (left, right), (bottom, top) = part_extents(frame, q)
    facade = part_extents(frame, frame.lower)[0][1]  # the closed front: the carcass's face
    # Out of the carcass: from its face to the panel's back; handle bars lie outside.
    near = facade - _handle_depth(frame) + MARGIN_M
    far = front - _handle_depth(frame) - PANEL_M - MARGIN_M
    width = (right - left) / 2 - WALL_M - MARGIN_M
    if far - near < 0.04 or width < 0.02:
        raise ValueError(f"drawer open {q:.3f}: exposes no footprint to place into")
    middle_out, middle_lateral = (near + far) / 2, (left + right) / 2
    centre = middle_out * out + middle_lateral * lateral
    return GoalRegion(
        centre=(float(centre[0]), float(centre[1])),
        half_extents=(float((far - near) / 2), float(width)),
        yaw=math.atan2(float(out[1]), float(out[0])),
        surface_z=top,
        relation="in",
        bottom_z=bottom + WALL_M,
    )


def _handle_depth(frame: JointFrame) -> float:
    """How far the handle's grasp point stands out of the front panel's face (the part box
    includes the bar)."""
    out, _ = _axes(frame)
    front = part_extents(frame, frame.lower)[0][1]
    return max(0.0, front - float(frame.handle @ out))


def judge_in_drawer(
    frame: JointFrame, q: float, box: ObjectBox, speeds: tuple[float, float], held: bool
) -> tuple[bool, str, dict[str, float | bool]]:
    """Verdict from the simulated state: the object's centre inside the part's footprint at the
    joint's final position `q`, its bottom between the tray floor and `RIM_M` below the rim,
    at rest, let go.

    Returns:
        (success, reason, checks): reason "ok", "held", "moving", "outside" or "not_in_tray".
    """
    out, lateral = _axes(frame)
    (back, front), (left, right), (bottom, top) = part_extents(frame, q)
    centre = np.asarray(box.centre, dtype=float)
    along, across = float(centre @ out), float(centre @ lateral)
    inside = back < along < front - PANEL_M and left < across < right
    floor = bottom + WALL_M - FLOOR_TOLERANCE_M
    in_tray = floor <= box.bottom <= top - RIM_M
    resting = speeds[0] < REST_SPEED[0] and speeds[1] < REST_SPEED[1]
    checks: dict[str, float | bool] = {
        "inside_footprint": inside, "in_tray": in_tray, "at_rest": resting, "released": not held,
        "bottom_above_floor_m": box.bottom - (bottom + WALL_M), "drawer_position": q,
    }  # fmt: skip
    for failed, reason in ((held, "held"), (not resting, "moving"), (not inside, "outside")):
        if failed:
            return False, reason, checks
    if not in_tray:
        return False, "not_in_tray", checks
    return True, "ok", checks


def drawer_placement_tasks(
    manifest: SceneManifest, targets: dict[str, str]
) -> list[DrawerPlacementTask]:
    """One task per drawer with a handle (the open/close tasks' rule) and target.

    Args:
        manifest: the scene contract.
        targets: graspable object id -> the id of what it stands on.

    Returns:
        Tasks in a stable order (drawer, then target).
    """
    drawers: list[ArticulatedTask] = [
        t for t in derive_articulated_tasks(manifest) if t.skill == OPEN_DRAWER
    ]
    labels = {o.id: o.semantics.label.replace("_", " ").strip().lower() for o in manifest.objects}
    return [
        DrawerPlacementTask(
            task_id=f"{target}-in-{drawer.object_id}-{drawer.joint_name}",
            target_id=target,
            support_id=support,
            object_id=drawer.object_id,
            joint_name=drawer.joint_name,
            instruction=INSTRUCTION.format(
                target=labels.get(target, target), furniture=labels[drawer.object_id]
            ),
            open_fraction=OPEN_FRACTION,
            frame=drawer.frame,
        )
        for drawer in drawers
        for target, support in sorted(targets.items())
    ]


def tray_record(frame: JointFrame, q: float) -> str:
    """The tray's volume at joint position `q` as stored with an episode (JSON): the outward
    and lateral directions and the (min, max) along them and z, the floor and the rim."""
    out, lateral = _axes(frame)
    (back, front), (left, right), (bottom, top) = part_extents(frame, q)
    box = {
        "out": [float(out[0]), float(out[1])], "lateral": [float(lateral[0]), float(lateral[1])],
        "along": [back, front - PANEL_M], "across": [left, right],
        "floor": bottom + WALL_M, "rim": top,
    }  # fmt: skip
    return json.dumps(box, sort_keys=True)


def recheck_in_drawer(env_state: FloatArray, extra: dict[str, Any]) -> list[str]:
    """Judge a kept place-in-drawer episode again from its recorded frames: the target's last
    recorded centre inside the stored tray volume (above its floor, below its rim), moved
    from where it started, let go and at rest.

    Args:
        env_state: (T, 14) target pose then goal pose per frame.
        extra: the episode's columns (`tray`, `checks/released`, `checks/at_rest`).

    Returns:
        Human-readable problems (empty: the stored success holds).
    """
    raw = extra.get("tray")
    if not isinstance(raw, str) or len(env_state) < 2:
        return ["no tray record or frames"]
    tray = json.loads(raw)
    centre = np.asarray(env_state[-1, :3], dtype=float)
    along = float(centre[:2] @ np.asarray(tray["out"]))
    across = float(centre[:2] @ np.asarray(tray["lateral"]))
    problems = []
    inside = tray["along"][0] < along < tray["along"][1]
    if not (inside and tray["across"][0] < across < tray["across"][1]):
        problems.append("re-judged from its frames: target not over the tray")
    if not tray["floor"] - FLOOR_TOLERANCE_M < centre[2] < tray["rim"]:
        problems.append(
            f"re-judged from its frames: target centre z {centre[2]:.3f} not in the tray"
        )
    if float(np.linalg.norm(env_state[-1, :3] - env_state[0, :3])) < 0.05:
        problems.append("the target did not move")
    if extra.get("checks/released") is not True or extra.get("checks/at_rest") is not True:
        problems.append("not recorded let go and at rest")
    return problems
