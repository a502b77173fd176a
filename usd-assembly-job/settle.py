"""Settle test: simulate the scene loaded from its USD and check that nothing moves or sinks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.sim import LoadedScene, ObjectHandle, captured_warnings


@dataclass(frozen=True)
class SettleLimits:
    """Pass thresholds of the settle test.

    Attributes:
        duration_s: simulated time.
        max_translation_m: largest allowed displacement of a free body.
        max_rotation_deg: largest allowed rotation of a free body.
        max_penetration_m: deepest allowed contact penetration at any step.
        support_tolerance_m: how far below its support's top (or the floor) an object may end.
    """

    duration_s: float = 2.0
    max_translation_m: float = 0.01
    max_rotation_deg: float = 5.0
    max_penetration_m: float = 0.005
    support_tolerance_m: float = 0.01


@dataclass(frozen=True)
class ObjectSettle:
    """How one free body behaved."""

    object_id: str
    translation_m: float
    rotation_deg: float
    lowest_z_m: float
    support: str
    support_z_m: float
    fell_through: bool


@dataclass(frozen=True)
class SettleReport:
    """Figures of a settle run; `ok` when every limit holds."""

    ok: bool
    steps: int
    max_penetration_m: float
    deepest_contact: str
    objects: tuple[ObjectSettle, ...]
    problems: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (without `ok` and `problems`, which the check carries)."""
        figures = asdict(self)
        del figures["ok"], figures["problems"]
        return figures


def rotation_deg(q0: NDArray[np.float64], q1: NDArray[np.float64]) -> float:
    """Angle of the rotation between two [w, x, y, z] quaternions, degrees."""
    dot = abs(float(np.dot(q0, q1)) / (np.linalg.norm(q0) * np.linalg.norm(q1)))
    return math.degrees(2.0 * math.acos(min(1.0, float(dot))))


def geom_points(model: mujoco.MjModel, data: mujoco.MjData, geom: int) -> NDArray[np.float64]:
    """World positions of a mesh geom's vertices (or the corners of its bounding box)."""
    if model.geom_type[geom] == mujoco.mjtGeom.mjGEOM_MESH:
        mesh = model.geom_dataid[geom]
        start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        local = np.asarray(model.mesh_vert[start : start + count], dtype=np.float64)
    else:
        center, half = model.geom_aabb[geom, :3], model.geom_aabb[geom, 3:]
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        local = center + signs * half
    rotation = data.geom_xmat[geom].reshape(3, 3)
    return np.asarray(local @ rotation.T + data.geom_xpos[geom], dtype=np.float64)


def lowest_z(model: mujoco.MjModel, data: mujoco.MjData, geoms: tuple[int, ...]) -> float:
    """Lowest world z of the given geoms' vertices (inf when there are none)."""
    if not geoms:
        return math.inf
    return float(min(geom_points(model, data, g)[:, 2].min() for g in geoms))


def surface_below(
    scene: LoadedScene, data: mujoco.MjData, handle: ObjectHandle
) -> tuple[float, str]:
    """Height and owner of the first surface straight below the object's collision box centre."""
    model = scene.model
    points = np.concatenate([geom_points(model, data, g) for g in handle.collision_geoms])
    low, high = points.min(axis=0), points.max(axis=0)
    origin = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, (low[2] + high[2]) / 2])
    hit = np.array([-1], dtype=np.int32)
    distance = mujoco.mj_ray(
        model, data, origin, np.array([0.0, 0.0, -1.0]), None, 1, handle.body_id, hit
    )
    if distance < 0 or hit[0] < 0:
        return 0.0, "nothing"
    name = model.geom(int(hit[0])).name
    owner = next(
        (h.object_id for h in scene.objects.values() if name.startswith(h.prim_path + "/")), name
    )
    return float(origin[2] - distance), owner


def run_settle(scene: LoadedScene, limits: SettleLimits | None = None) -> SettleReport:
    """Simulate `limits.duration_s` from rest and measure motion and penetration.

    An object falls through its support when it ends lower than the surface that was straight
    below it at the start (found by a downward ray that ignores the object itself).

    Args:
        scene: the model loaded from the scene USD.
        limits: thresholds.

    Returns:
        The report; `ok` is False when any object moves, turns, sinks or a contact penetrates
        beyond the limits, or the simulation diverges.
    """
    limits = limits or SettleLimits()
    model = scene.model
    data = scene.make_data()
    free = [h for h in scene.objects.values() if h.dynamic]
    start_pos = {h.object_id: data.xpos[h.body_id].copy() for h in free}
    start_quat = {h.object_id: data.xquat[h.body_id].copy() for h in free}
    surfaces = {h.object_id: surface_below(scene, data, h) for h in free if h.collision_geoms}
    steps = max(1, round(limits.duration_s / model.opt.timestep))
    deepest, deepest_pair = 0.0, ""
    with captured_warnings() as warnings:
        for step in range(steps + 1):
            if step:
                mujoco.mj_step(model, data)
            if data.ncon:
                dist = data.contact.dist[: data.ncon]
                index = int(np.argmin(dist))
                if -dist[index] > deepest:
                    deepest = float(-dist[index])
                    g1, g2 = data.contact.geom[index]
                    deepest_pair = f"{model.geom(g1).name} / {model.geom(g2).name}"
    problems: list[str] = []
    if warnings or not np.all(np.isfinite(data.qpos)):
        problems.append(f"simulation unstable: {'; '.join(warnings) or 'non-finite positions'}")
    results: list[ObjectSettle] = []
    for handle in free:
        oid = handle.object_id
        moved = float(np.linalg.norm(data.xpos[handle.body_id] - start_pos[oid]))
        turned = rotation_deg(start_quat[oid], data.xquat[handle.body_id])
        lowest = lowest_z(model, data, handle.collision_geoms)
        top, support = surfaces.get(oid, (0.0, "nothing"))
        sank = lowest < top - limits.support_tolerance_m
        results.append(ObjectSettle(oid, moved, turned, lowest, support, top, sank))
        if moved > limits.max_translation_m:
            problems.append(f"{oid} moved {moved * 100:.1f} cm")
        if turned > limits.max_rotation_deg:
            problems.append(f"{oid} turned {turned:.1f} deg")
        if sank:
            problems.append(f"{oid} fell through its support {support} (lowest z {lowest:.3f} m)")
    if deepest > limits.max_penetration_m:
        problems.append(f"contact {deepest_pair} penetrates {deepest * 1000:.1f} mm")
    return SettleReport(
        ok=not problems,
        steps=steps,
        max_penetration_m=deepest,
        deepest_contact=deepest_pair,
        objects=tuple(results),
        problems=tuple(problems),
    )
