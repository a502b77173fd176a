"""From planned doors and drawers to part files and the manifest's articulation block.

Parts are cut from the original mesh (its texture kept): each door or drawer takes the slab of
the front within its span, handle included; the body keeps the rest. Collision is parametric:
a door is its panel (and handle) as boxes, a drawer its front panel plus an open tray of thin
boxes. A carcass body is a hollow shell of boards (articulation_shell), so that objects fit
inside an opened cupboard or drawer; other bodies (a desk) keep the object's own simready hulls.
A joint's parent and child never collide (MuJoCo filters parent-child contacts, PhysX adjacent
articulation links), so neither needs cut-outs for the parts to move. A part its own weight turns
(a flap) gets a counterbalance spring (articulation_counterbalance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import trimesh

from simready_job import articulation_priors as pri
from simready_job.articulation_counterbalance import with_counterbalance
from simready_job.articulation_facade import UP, FrontFrame
from simready_job.articulation_layout import PartPlan
from simready_job.articulation_mesh import Box, box_mesh, glb_bytes, split_by_box
from simready_job.articulation_shell import carcass_shell
from simready_job.mesh_io import obj_bytes
from tools.scene_layout import asset_dir
from tools.scene_manifest import ArticulatedPart, Articulation, ArticulationJoint

FloatArray = npt.NDArray[np.float64]
PARTS_DIR = "parts"
BODY_PART = "body"
WALL_M = 0.012  # drawer tray walls
GAP_M = 0.003  # clearance around a front so neighbours never overlap
_FAR = 10.0  # "unbounded" in front of the facade (the handle's side)
# Below these a part is blocked (by the wall or the furniture in front) and not made; above
# them it is made with the range the free space allows, however short.
MIN_SWING_RAD = math.radians(5.0)
MIN_TRAVEL_M = 0.02


def parts_dir(object_id: str) -> str:
    """Scene-relative folder of an object's part meshes: assets/<id>/parts."""
    return f"{asset_dir(object_id)}/{PARTS_DIR}"


@dataclass(frozen=True)
class _Geometry:
    cut: Box  # region of the original mesh the part takes
    colliders: tuple[Box, ...]
    extra_visuals: tuple[Box, ...]


def _box(
    front: FrontFrame, u: tuple[float, float], s: tuple[float, float], z: tuple[float, float]
) -> Box:
    corners = np.array([front.point(a, b, c) for a in u for b in s for c in z])
    return corners.min(axis=0), corners.max(axis=0)


def _travel(front: FrontFrame, plan: PartPlan) -> float:
    travel = float(np.clip(pri.DRAWER_TRAVEL_SHARE * front.depth, *pri.DRAWER_TRAVEL_M))
    return min(travel, plan.free_depth - pri.ROOM_MARGIN_M)


def opens_enough(plan: PartPlan) -> bool:
    """Whether the free space in front lets a drawer slide 2 cm or a door swing 5 deg."""
    if plan.kind == "drawer":
        return plan.free_depth - pri.ROOM_MARGIN_M >= MIN_TRAVEL_M
    height = plan.z[1] - plan.z[0] if plan.hinge in ("bottom", "top") else plan.u[1] - plan.u[0]
    return swing_limit(height, plan.free_depth) >= MIN_SWING_RAD


def _geometry(plan: PartPlan, front: FrontFrame, panel: float, travel: float) -> _Geometry:
    u = (plan.u[0] + GAP_M, plan.u[1] - GAP_M)
    z = (plan.z[0] + GAP_M, plan.z[1] - GAP_M)
    back = front.plane - panel
    cut = _box(front, plan.u, (back, front.plane + _FAR), plan.z)
    colliders = [_box(front, u, (back, front.plane), z)]
    if plan.handle_tip > 0:
        hu, hz = plan.handle
        colliders.append(
            _box(
                front,
                (hu - 0.01, hu + 0.01),
                (front.plane, front.plane + plan.handle_tip),
                (hz - 0.05, hz + 0.05),
            )
        )
    extra: list[Box] = []
    if plan.kind == "drawer":
        depth = min(travel + 0.05, front.depth - panel - 0.05)
        rear = back - depth
        top = z[1] - 0.03
        tray = [
            _box(front, u, (rear, back), (z[0], z[0] + WALL_M)),
            _box(front, (u[0], u[0] + WALL_M), (rear, back), (z[0], top)),
            _box(front, (u[1] - WALL_M, u[1]), (rear, back), (z[0], top)),
            _box(front, u, (rear, rear + WALL_M), (z[0], top)),
        ]
        colliders += tray
        extra += tray
    return _Geometry(cut, tuple(colliders), tuple(extra))


def swing_limit(width: float, free_depth: float) -> float:
    """Largest hinge angle whose free edge stays within `free_depth` (pi when unbounded)."""
    reach = free_depth - pri.ROOM_MARGIN_M
    if reach >= width:
        return math.pi
    return math.asin(max(0.0, reach) / width)


def _mass(plan: PartPlan, prior: pri.ArticulationPrior) -> float:
    area = (plan.u[1] - plan.u[0]) * (plan.z[1] - plan.z[0])
    tray = 1.6 if plan.kind == "drawer" else 1.0
    return float(np.clip(area * prior.areal_kg_m2 * tray, 0.3, 40.0))


def _joint(
    name: str,
    plan: PartPlan,
    front: FrontFrame,
    prior: pri.ArticulationPrior,
    travel: float,
) -> ArticulationJoint:
    back = front.plane - prior.panel_m
    right, normal = front.right, front.normal
    if plan.kind == "drawer":
        centre = front.point((plan.u[0] + plan.u[1]) / 2, front.plane, (plan.z[0] + plan.z[1]) / 2)
        return ArticulationJoint(
            name=f"{name}_slide",
            type="prismatic",
            parent_part=BODY_PART,
            child_part=name,
            axis=_vec(normal),
            origin=_vec(centre),
            lower=0.0,
            upper=round(travel, 4),
            damping=pri.DRAWER_DAMPING,
            friction=pri.DRAWER_FRICTION,
        )
    if plan.hinge in ("left", "right"):
        u = plan.u[0] if plan.hinge == "left" else plan.u[1]
        axis = -UP if plan.hinge == "left" else UP
        origin = front.point(u, back, plan.z[0])
        upper, damping, friction = prior.door_open_rad, prior.door_damping, prior.door_friction
        upper = min(upper, swing_limit(plan.u[1] - plan.u[0], plan.free_depth))
    else:  # a flap: with_counterbalance adds its spring and holding friction
        axis = right if plan.hinge == "bottom" else -right
        origin = front.point(plan.u[0], back, plan.z[0] if plan.hinge == "bottom" else plan.z[1])
        upper = min(prior.flap_open_rad, swing_limit(plan.z[1] - plan.z[0], plan.free_depth))
        damping, friction = pri.FLAP_DAMPING, 0.0
    return ArticulationJoint(
        name=f"{name}_hinge",
        type="revolute",
        parent_part=BODY_PART,
        child_part=name,
        axis=_vec(axis),
        origin=_vec(origin),
        lower=0.0,
        upper=round(upper, 6),
        damping=damping,
        friction=round(friction, 4),
        hinge_side=plan.hinge,
    )


def _vec(values: FloatArray) -> tuple[float, float, float]:
    x, y, z = (round(float(v), 6) + 0.0 for v in values)
    return x, y, z


def _write_boxes(scene_dir: Path, stem: str, boxes: tuple[Box, ...] | list[Box]) -> tuple[str, ...]:
    """Write each box as `<stem>_collision_<k>.obj`; return the scene-relative paths."""
    paths = []
    for k, collider in enumerate(boxes):
        path = f"{stem}_collision_{k}.obj"
        shape = trimesh.creation.box(bounds=np.array(collider))
        (scene_dir / path).write_bytes(obj_bytes(shape.vertices, shape.faces))
        paths.append(path)
    return tuple(paths)


def build_articulation(
    scene_dir: Path,
    object_id: str,
    meshes: list[trimesh.Trimesh],
    front: FrontFrame,
    plans: list[PartPlan],
    prior: pri.ArticulationPrior,
    body: tuple[float, tuple[str, ...]],
    source: str,
    hollow: bool = False,
) -> Articulation:
    """Write the part meshes and colliders; return the articulation block.

    Args:
        scene_dir: the scene folder.
        object_id: the object's id (files go to assets/<id>/parts/).
        meshes: the object's textured meshes, asset frame.
        front: its front frame.
        plans: the doors and drawers to make (non-empty).
        prior: the category's prior.
        body: (the whole object's mass, its simready hull paths).
        source: who decided the parts ("priors", "handles", "llm:<model>").
        hollow: make the body a hollow carcass of boards (else it keeps the hulls).

    Returns:
        The validated articulation.
    """
    folder = parts_dir(object_id)
    (scene_dir / folder).mkdir(parents=True, exist_ok=True)
    rest = meshes
    parts: list[ArticulatedPart] = []
    joints: list[ArticulationJoint] = []
    counts = {"door": 0, "drawer": 0}
    for plan in plans:
        name = f"{plan.kind}_{counts[plan.kind]}"
        counts[plan.kind] += 1
        travel = _travel(front, plan)
        geometry = _geometry(plan, front, prior.panel_m, travel)
        inside, rest = split_by_box(rest, geometry.cut)
        visuals = inside + [box_mesh(b) for b in geometry.extra_visuals]
        mesh_path = f"{folder}/{name}.glb"
        (scene_dir / mesh_path).write_bytes(glb_bytes(visuals))
        collision_paths = _write_boxes(scene_dir, f"{folder}/{name}", geometry.colliders)
        mass = _mass(plan, prior)
        lo, hi = np.min([c[0] for c in geometry.colliders], axis=0), np.max(
            [c[1] for c in geometry.colliders], axis=0
        )
        hu, hz = plan.handle
        handle = front.point(hu, front.plane + max(plan.handle_tip, 0.0) * 0.6, hz)
        parts.append(
            ArticulatedPart(
                name=name,
                kind=plan.kind,
                mesh_path=mesh_path,
                collision_paths=tuple(collision_paths),
                mass_kg=round(mass, 4),
                bounds_min=_vec(lo),
                bounds_max=_vec(hi),
                handle=_vec(handle),
            )
        )
        joints.append(with_counterbalance(_joint(name, plan, front, prior, travel), parts[-1]))
    total, hulls = body
    body_mesh = f"{folder}/{BODY_PART}.glb"
    (scene_dir / body_mesh).write_bytes(glb_bytes(rest))
    vertices = np.concatenate([m.vertices for m in meshes])
    shell = carcass_shell(front, vertices, plans) if hollow else None
    if shell is not None:
        hulls = _write_boxes(scene_dir, f"{folder}/{BODY_PART}", shell)
    moving = sum(p.mass_kg for p in parts)
    body_part = ArticulatedPart(
        name=BODY_PART,
        kind="body",
        mesh_path=body_mesh,
        collision_paths=hulls,
        mass_kg=round(max(total - moving, 0.3 * total), 4),
        bounds_min=_vec(vertices.min(axis=0)),
        bounds_max=_vec(vertices.max(axis=0)),
    )
    return Articulation(
        front=_vec(front.normal), source=source, parts=(body_part, *parts), joints=tuple(joints)
    )
