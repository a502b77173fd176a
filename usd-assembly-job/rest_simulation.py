"""Simulate a loaded scene's free bodies until they are at rest (the physics of settle_poses)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.sim import LoadedScene, captured_warnings


@dataclass(frozen=True)
class RestLimits:
    """When a body counts as at rest, how long to wait, and how far settling may move it.

    Rest is judged on displacement over a window, not on instantaneous speed: bodies on noisy
    multi-hull contacts chatter (speeds flicker around 0.1 rad/s) while going nowhere.

    Attributes:
        min_seconds: never judge rest earlier (a body tipping from near balance starts slowly).
        max_seconds: simulated time cap.
        hold_seconds: the window over which each body must move less than the speeds allow.
        linear_speed_m_s: mean linear speed over the window below which a body rests.
        angular_speed_rad_s: mean angular speed over the window below which a body rests.
        max_depenetration_m: how far a body sunk into something may be lifted before the drop.
        min_translation_m: below this and `min_rotation_deg` the authored pose is kept as is, so
            a rerun on its own output writes the same bytes (a body at rest still shifts by
            micrometres in the soft contacts).
        min_rotation_deg: see `min_translation_m`.
        max_translation_m: beyond this the reconstructed pose is kept and the object reported.
        max_rotation_deg: same for rotation (a lemon stood on its end lies down, ~31 degrees; a
            carton or mug that topples turns 60-90 and is refused);
            not applied to round objects (extents within 1.3x), which have no upright to lose.
        support_tolerance_m: how far below the surface that was under it an object may end.
    """

    min_seconds: float = 1.0
    max_seconds: float = 5.0
    hold_seconds: float = 0.3
    linear_speed_m_s: float = 0.005
    angular_speed_rad_s: float = 0.05
    max_depenetration_m: float = 0.02
    min_translation_m: float = 0.0005
    min_rotation_deg: float = 0.1
    max_translation_m: float = 0.05
    max_rotation_deg: float = 45.0
    support_tolerance_m: float = 0.01


@dataclass(frozen=True)
class RestRun:
    """What the simulation to rest ended with.

    Attributes:
        data: the final state.
        simulated_s: simulated time.
        moving: ids of the bodies still moving at the end (empty when all came to rest).
        lifted_m: object id -> how far it was lifted out of an initial interpenetration.
        warnings: MuJoCo's warnings.
    """

    data: mujoco.MjData
    simulated_s: float
    moving: frozenset[str]
    lifted_m: dict[str, float]
    warnings: tuple[str, ...]


def _free_joints(scene: LoadedScene) -> dict[str, tuple[int, int]]:
    """Object id -> (qpos address, dof address) of its free joint."""
    model = scene.model
    joints: dict[str, tuple[int, int]] = {}
    for handle in scene.objects.values():
        if not handle.dynamic or model.body_jntnum[handle.body_id] == 0:
            continue
        joint = model.body_jntadr[handle.body_id]
        if model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_FREE:
            joints[handle.object_id] = (int(model.jnt_qposadr[joint]), int(model.jnt_dofadr[joint]))
    return joints


def lift_out_of_contacts(
    scene: LoadedScene, data: mujoco.MjData, max_lift_m: float, rounds: int = 8
) -> dict[str, float]:
    """Raise free bodies that start sunk into something by their deepest penetration.

    A body authored a few millimetres into the table would be shot out by the contact spring,
    hard enough to tip a light, tall object over; lifted first, it simply drops. Repeated a few
    rounds because lifting one body can push it into the one above.

    Args:
        scene: the loaded scene.
        data: its state, changed in place (positions, then mj_forward).
        max_lift_m: total lift allowed per body (a side contact is not solved by lifting).
        rounds: lifting passes.

    Returns:
        Object id -> total lift, for the bodies that were lifted.
    """
    model = scene.model
    joints = _free_joints(scene)
    owner = {h.body_id: h.object_id for h in scene.objects.values() if h.object_id in joints}
    lifted: dict[str, float] = {}
    mujoco.mj_forward(model, data)
    for _ in range(rounds):
        deepest: dict[str, float] = {}
        for i in range(data.ncon):
            depth = -float(data.contact.dist[i])
            if depth <= 0.0:
                continue
            bodies = [int(model.geom_bodyid[g]) for g in data.contact.geom[i]]
            free = [b for b in bodies if b in owner]
            if not free:
                continue
            # Of two free bodies in contact, the upper one moves (a lemon sunk into its bowl).
            oid = owner[max(free, key=lambda b: (float(data.xpos[b][2]), b))]
            deepest[oid] = max(deepest.get(oid, 0.0), depth)
        raised = False
        for oid, depth in sorted(deepest.items()):
            step = min(depth, max_lift_m - lifted.get(oid, 0.0))
            if depth < 5e-4 or step <= 0.0:
                continue  # resting contacts keep a fraction of a millimetre
            data.qpos[joints[oid][0] + 2] += step
            lifted[oid] = lifted.get(oid, 0.0) + step
            raised = True
        if not raised:
            break
        mujoco.mj_forward(model, data)
    return lifted


def _rotation_rad(q0: NDArray[np.float64], q1: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-row rotation angle between two (N, 4) arrays of unit quaternions."""
    dots = np.clip(np.abs(np.sum(q0 * q1, axis=1)), 0.0, 1.0)
    return np.asarray(2.0 * np.arccos(dots), dtype=np.float64)


def simulate_to_rest(scene: LoadedScene, limits: RestLimits) -> RestRun:
    """Lift sunk bodies out, then step until every free body has rested `hold_seconds`.

    Args:
        scene: the loaded scene (its model is simulated as loaded).
        limits: rest thresholds and time limits.

    Returns:
        The final state and what happened.
    """
    model = scene.model
    data = scene.make_data()
    lifted = lift_out_of_contacts(scene, data, limits.max_depenetration_m)
    joints = _free_joints(scene)
    if not joints:
        return RestRun(data, 0.0, frozenset(), lifted, ())
    ids = sorted(joints)
    qpos = np.array([joints[i][0] for i in ids], dtype=np.int64)
    positions = qpos[:, None] + np.arange(3)
    quats = qpos[:, None] + np.arange(3, 7)
    # Sample poses every ~10 ms; rest compares the newest sample with the one a window ago.
    every = max(1, round(0.01 / model.opt.timestep))
    interval = every * model.opt.timestep
    window = max(1, math.ceil(limits.hold_seconds / interval))
    samples = max(window, math.ceil(limits.max_seconds / interval))
    history = [(data.qpos[positions].copy(), data.qpos[quats].copy())]
    moving = np.ones(len(ids), dtype=bool)
    with captured_warnings() as warnings:
        for sample in range(1, samples + 1):
            mujoco.mj_step(model, data, nstep=every)
            if not np.all(np.isfinite(data.qpos)):
                moving[:] = True
                break
            history.append((data.qpos[positions].copy(), data.qpos[quats].copy()))
            if len(history) <= window:
                continue
            old_pos, old_quat = history.pop(0)
            span = window * interval
            moved = np.linalg.norm(history[-1][0] - old_pos, axis=1) / span
            turned = _rotation_rad(old_quat, history[-1][1]) / span
            moving = (moved > limits.linear_speed_m_s) | (turned > limits.angular_speed_rad_s)
            if sample * interval >= limits.min_seconds and not moving.any():
                break
    still_moving = frozenset(oid for oid, m in zip(ids, moving, strict=True) if m)
    return RestRun(data, float(data.time), still_moving, lifted, tuple(warnings))
