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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.scene_manifest import SceneManifest
from tools.sim import LoadedScene, LoaderOptions, ObjectHandle, load_scene_model
from usd_assembly_job.rest_simulation import RestLimits, simulate_to_rest
from usd_assembly_job.settle import geom_points, lowest_z, rotation_deg, surface_below

log = logging.getLogger("bp.usd.settle")

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


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
    lifted_m: dict[str, float] = field(default_factory=dict)  # out of initial penetrations

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
            "lifted_out_of_contacts_m": {k: round(v, 4) for k, v in sorted(self.lifted_m.items())},
            "warnings": list(self.warnings),
        }


def _unit_quat(quat: NDArray[np.float64]) -> Quat:
    q = quat / np.linalg.norm(quat)
    q = -q if q[0] < 0 else q
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))


# Objects whose collision extents differ by less than this ratio have no "upright" to lose: a
# ball or an apple that rolls a little turns freely, so only the translation cap applies.
_ROUND_EXTENT_RATIO = 1.3


def _is_round(scene: LoadedScene, data: mujoco.MjData, handle: ObjectHandle) -> bool:
    """Whether the body's collision geometry is about as long as it is wide and tall."""
    if not handle.collision_geoms:
        return False
    points = np.concatenate([geom_points(scene.model, data, g) for g in handle.collision_geoms])
    rotation = data.xmat[handle.body_id].reshape(3, 3)
    local = (points - data.xpos[handle.body_id]) @ rotation
    extents = local.max(axis=0) - local.min(axis=0)
    return bool(extents.min() > 0 and extents.max() / extents.min() < _ROUND_EXTENT_RATIO)


def _refusal(
    moved: float, turned: float, sank: bool, moving: bool, simulated: float, limits: RestLimits
) -> str | None:
    """Why a resting pose is not used (None: it is); `turned` is 0 for round objects."""
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
    run = simulate_to_rest(scene, limits)
    data, simulated, moving = run.data, run.simulated_s, run.moving
    results: list[SettledObject] = []
    for handle in free:
        oid, body = handle.object_id, handle.body_id
        position, quat = data.xpos[body], data.xquat[body]
        finite = bool(np.all(np.isfinite(position)) and np.all(np.isfinite(quat)))
        moved = float(np.linalg.norm(position - start.xpos[body])) if finite else math.inf
        turned = rotation_deg(start.xquat[body], quat) if finite else math.inf
        top = surfaces.get(oid, (-math.inf, ""))[0]
        sank = lowest_z(model, data, handle.collision_geoms) < top - limits.support_tolerance_m
        judged_turn = 0.0 if _is_round(scene, start, handle) else turned
        reason = _refusal(moved, judged_turn, sank, oid in moving or not finite, simulated, limits)
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
    return SettleOutcome(simulated, not moving, tuple(results), run.warnings, run.lifted_m)


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
