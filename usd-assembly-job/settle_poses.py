"""Settle the free bodies of a scene into resting poses before the scene is written.

Reconstructed poses are close to, not at, rest: an object a few millimetres above its support,
tilted by the fit's camera "up", or a round one on a facet of its hull. The usd step simulates
the assembled scene.usda (loaded exactly as the settle check and the episodes load it) until
every free body is at rest, and writes the resting poses back into the manifest, so the scene
re-authored from it starts at rest. A body that falls through or off its support, moves or turns
beyond the caps, or never comes to rest keeps its reconstructed pose and is reported: settling
fixes small errors, it never hides a large one (the settle check then shows it).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.scene_manifest import SceneManifest
from tools.sim import LoadedScene, LoaderOptions, captured_warnings, load_scene_model
from usd_assembly_job.settle import lowest_z, rotation_deg, surface_below

log = logging.getLogger("bp.usd.settle")

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


@dataclass(frozen=True)
class RestLimits:
    """When a body counts as at rest, how long to wait, and how far settling may move it.

    Attributes:
        max_seconds: simulated time cap.
        hold_seconds: every body must stay below both speeds this long in a row.
        linear_speed_m_s: rest threshold of a body's linear speed.
        angular_speed_rad_s: rest threshold of a body's angular speed.
        min_translation_m: below this and `min_rotation_deg` the authored pose is kept as is, so
            a rerun on its own output writes the same bytes (a body at rest still shifts by
            micrometres in the soft contacts).
        min_rotation_deg: see `min_translation_m`.
        max_translation_m: beyond this the reconstructed pose is kept and the object reported.
        max_rotation_deg: same for rotation (a tilt of ~15 degrees is corrected, a topple is not).
        support_tolerance_m: how far below the surface that was under it an object may end.
    """

    max_seconds: float = 5.0
    hold_seconds: float = 0.25
    linear_speed_m_s: float = 0.003
    angular_speed_rad_s: float = 0.03
    min_translation_m: float = 0.0005
    min_rotation_deg: float = 0.1
    max_translation_m: float = 0.05
    max_rotation_deg: float = 30.0
    support_tolerance_m: float = 0.01


@dataclass(frozen=True)
class SettledObject:
    """Where one free body came to rest and whether that pose is used.

    Attributes:
        object_id: the manifest id.
        position: resting position of the body frame (= the manifest transform), metres.
        rotation_wxyz: resting orientation, unit quaternion with w >= 0.
        translation_m: distance from the reconstructed position.
        rotation_deg: rotation from the reconstructed orientation.
        accepted: the resting pose replaces the reconstructed one.
        reason: why it was not accepted (None when accepted or already at rest).
        already_at_rest: it moved less than the minimum: the authored pose stays.
    """

    object_id: str
    position: Vec3
    rotation_wxyz: Quat
    translation_m: float
    rotation_deg: float
    accepted: bool
    reason: str | None = None
    already_at_rest: bool = False


@dataclass(frozen=True)
class SettleOutcome:
    """Result of settling a scene's free bodies."""

    simulated_s: float
    all_at_rest: bool
    objects: tuple[SettledObject, ...]
    warnings: tuple[str, ...] = ()

    def accepted(self) -> dict[str, SettledObject]:
        """Objects whose resting pose is used, by id."""
        return {o.object_id: o for o in self.objects if o.accepted}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: totals, the largest corrections, every object kept as it was."""
        moved = sorted(self.accepted().values(), key=lambda o: -o.translation_m)
        turned = sorted(self.accepted().values(), key=lambda o: -o.rotation_deg)
        return {
            "simulated_s": round(self.simulated_s, 3),
            "all_at_rest": self.all_at_rest,
            "settled": len(moved),
            "already_at_rest": sum(o.already_at_rest for o in self.objects),
            "max_translation_m": round(moved[0].translation_m, 5) if moved else 0.0,
            "max_rotation_deg": round(turned[0].rotation_deg, 3) if turned else 0.0,
            "kept_reconstructed_pose": [
                {k: v for k, v in asdict(o).items() if k not in ("position", "rotation_wxyz")}
                for o in self.objects
                if o.reason is not None
            ],
            "warnings": list(self.warnings),
        }


def _free_dofs(scene: LoadedScene) -> tuple[list[str], NDArray[np.int64]]:
    """Ids of the free bodies and, per body, the 6 dof indices of its free joint."""
    model = scene.model
    ids: list[str] = []
    dofs: list[list[int]] = []
    for handle in scene.objects.values():
        if not handle.dynamic or model.body_jntnum[handle.body_id] == 0:
            continue
        joint = model.body_jntadr[handle.body_id]
        if model.jnt_type[joint] != mujoco.mjtJoint.mjJNT_FREE:
            continue
        start = int(model.jnt_dofadr[joint])
        ids.append(handle.object_id)
        dofs.append(list(range(start, start + 6)))
    return ids, np.asarray(dofs, dtype=np.int64).reshape(-1, 6)


def simulate_to_rest(
    scene: LoadedScene, limits: RestLimits
) -> tuple[mujoco.MjData, float, set[str], list[str]]:
    """Step from the authored poses until every free body has been at rest `hold_seconds`.

    Returns:
        The final data, the simulated time, the ids still moving at the end (empty when the
        scene came to rest before the cap) and MuJoCo's warnings.
    """
    model = scene.model
    data = scene.make_data()
    ids, dofs = _free_dofs(scene)
    # Judge rest every ~10 ms: per-step checks would cost more Python than physics.
    every = max(1, round(0.01 / model.opt.timestep))
    hold = max(1, math.ceil(limits.hold_seconds / (every * model.opt.timestep)))
    checks = max(1, math.ceil(limits.max_seconds / (every * model.opt.timestep)))
    still = 0
    moving = np.ones(len(ids), dtype=bool)
    with captured_warnings() as warnings:
        for _ in range(checks):
            mujoco.mj_step(model, data, nstep=every)
            if not np.all(np.isfinite(data.qvel)):
                break
            velocity = data.qvel[dofs]
            moving = (np.linalg.norm(velocity[:, :3], axis=1) > limits.linear_speed_m_s) | (
                np.linalg.norm(velocity[:, 3:], axis=1) > limits.angular_speed_rad_s
            )
            still = 0 if moving.any() else still + 1
            if still >= hold:
                break
    if not np.all(np.isfinite(data.qpos)):
        moving[:] = True
    return data, float(data.time), {oid for oid, m in zip(ids, moving, strict=True) if m}, warnings


def _unit_quat(quat: NDArray[np.float64]) -> Quat:
    q = quat / np.linalg.norm(quat)
    q = -q if q[0] < 0 else q
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))


def _refusal(
    moved: float, turned: float, sank: bool, moving: bool, simulated: float, limits: RestLimits
) -> str | None:
    """Why a resting pose is not used (None: it is)."""
    if moving:
        return f"not at rest after {simulated:.2f} s"
    if sank:
        return "fell through or off the surface that was under it"
    if moved > limits.max_translation_m:
        return f"would move {moved * 100:.1f} cm (cap {limits.max_translation_m * 100:g})"
    if turned > limits.max_rotation_deg:
        return f"would turn {turned:.1f} deg (cap {limits.max_rotation_deg:g})"
    return None


def settle_scene(scene: LoadedScene, limits: RestLimits | None = None) -> SettleOutcome:
    """Simulate a loaded scene to rest and decide, per free body, whether its resting pose is used.

    Args:
        scene: the model loaded from the scene USD (body frames are the manifest transforms).
        limits: rest thresholds and caps.

    Returns:
        Every free body's resting pose and verdict.
    """
    limits = limits or RestLimits()
    model = scene.model
    start = scene.make_data()
    free = [h for h in scene.objects.values() if h.dynamic]
    surfaces = {h.object_id: surface_below(scene, start, h) for h in free if h.collision_geoms}
    data, simulated, moving, warnings = simulate_to_rest(scene, limits)
    results: list[SettledObject] = []
    for handle in free:
        oid, body = handle.object_id, handle.body_id
        position, quat = data.xpos[body], data.xquat[body]
        finite = bool(np.all(np.isfinite(position)) and np.all(np.isfinite(quat)))
        moved = float(np.linalg.norm(position - start.xpos[body])) if finite else math.inf
        turned = rotation_deg(start.xquat[body], quat) if finite else math.inf
        top = surfaces.get(oid, (-math.inf, ""))[0]
        sank = lowest_z(model, data, handle.collision_geoms) < top - limits.support_tolerance_m
        reason = _refusal(moved, turned, sank, oid in moving or not finite, simulated, limits)
        still = moved <= limits.min_translation_m and turned <= limits.min_rotation_deg
        if reason is not None or still:
            position, quat = start.xpos[body], start.xquat[body]
        pose = (float(position[0]), float(position[1]), float(position[2]))
        accepted = reason is None and not still
        results.append(
            SettledObject(oid, pose, _unit_quat(quat), moved, turned, accepted, reason, still)
        )
        if reason is not None:
            log.warning("settling: %s keeps its reconstructed pose: %s", oid, reason)
    return SettleOutcome(simulated, not moving, tuple(results), tuple(warnings))


def settle_scene_usd(
    usd_path: Path, timestep: float, limits: RestLimits | None = None
) -> SettleOutcome:
    """Load a scene USD with `tools.sim` (as the settle check does) and settle it.

    Args:
        usd_path: the assembled `usd/scene.usda`.
        timestep: simulation step, seconds (the settle check's).
        limits: rest thresholds and caps.

    Returns:
        The outcome.
    """
    scene = load_scene_model(usd_path, LoaderOptions(timestep=timestep))
    return settle_scene(scene, limits)


SETTLED_NOTE_PREFIX = "usd step settled the pose in simulation"


def with_settled_poses(manifest: SceneManifest, outcome: SettleOutcome) -> SceneManifest:
    """The manifest with accepted resting poses as transforms, each noted in its provenance.

    Args:
        manifest: the manifest the scene was assembled from.
        outcome: the settle outcome.

    Returns:
        A copy; objects not accepted are unchanged (a rerun replaces, not repeats, the note).
    """
    accepted = outcome.accepted()
    objects = []
    for obj in manifest.objects:
        rest = accepted.get(obj.id)
        if rest is None:
            objects.append(obj)
            continue
        transform = obj.transform.model_copy(
            update={"position": rest.position, "rotation_wxyz": rest.rotation_wxyz}
        )
        note = (
            f"{SETTLED_NOTE_PREFIX}: moved {rest.translation_m * 1000:.1f} mm, "
            f"turned {rest.rotation_deg:.1f} deg"
        )
        notes = [n for n in obj.provenance.notes if not n.startswith(SETTLED_NOTE_PREFIX)]
        provenance = obj.provenance.model_copy(update={"notes": (*notes, note)})
        objects.append(obj.model_copy(update={"transform": transform, "provenance": provenance}))
    return manifest.model_copy(update={"objects": tuple(objects)})
