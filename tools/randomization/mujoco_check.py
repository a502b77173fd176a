"""Physics checks of an applied randomization: contact penetration and motion while settling."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import mujoco
import numpy as np

from tools.randomization.config import BundleConfig
from tools.randomization.errors import PlacementError
from tools.randomization.layout import distractor_name
from tools.randomization.mujoco_apply import apply_to_mujoco
from tools.randomization.sampler import sample_episode_randomization
from tools.randomization.samples import EpisodeRandomization
from tools.scene_manifest import SceneManifest
from tools.sim import ObjectHandle, captured_warnings


@dataclass(frozen=True)
class Penetration:
    """A contact deeper than the tolerance."""

    geom1: str
    geom2: str
    depth_m: float


@dataclass(frozen=True)
class SettleReport:
    """How far each moved body travelled while simulating from the applied state."""

    seconds: float
    displacement_m: dict[str, float]
    max_penetration_m: float
    stable: bool

    @property
    def max_displacement_m(self) -> float:
        """The largest displacement (0 when nothing was tracked)."""
        return max(self.displacement_m.values(), default=0.0)


def moved_bodies(
    randomization: EpisodeRandomization, model: mujoco.MjModel, name_map: Mapping[str, ObjectHandle]
) -> dict[str, int]:
    """Body ids of what the randomization placed: scattered objects and distractors.

    Args:
        randomization: the applied values.
        model: the model they were applied to.
        name_map: object id -> handle.

    Returns:
        Name (object id or distractor name) -> body id.
    """
    names = {p.object_id: name_map[p.object_id].prim_path for p in randomization.placements}
    names.update({d.name: distractor_name(d.slot) for d in randomization.distractors})
    return {
        key: int(mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, n)) for key, n in names.items()
    }


def find_penetrations(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    *,
    tolerance_m: float = 0.001,
    bodies: Collection[int] | None = None,
) -> list[Penetration]:
    """Contacts deeper than `tolerance_m` at the current state (runs mj_forward).

    Args:
        model: the model.
        data: its data (positions are not changed).
        tolerance_m: allowed penetration depth.
        bodies: only contacts touching one of these bodies (None: every contact).

    Returns:
        The offending contacts, deepest first.
    """
    mujoco.mj_forward(model, data)
    found = []
    for i in range(data.ncon):
        contact = data.contact[i]
        g1, g2 = int(contact.geom[0]), int(contact.geom[1])
        touched = {int(model.geom_bodyid[g1]), int(model.geom_bodyid[g2])}
        if bodies is not None and not touched & set(bodies):
            continue
        if -contact.dist > tolerance_m:
            found.append(
                Penetration(model.geom(g1).name, model.geom(g2).name, float(-contact.dist))
            )
    return sorted(found, key=lambda p: -p.depth_m)


def settle(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    bodies: Mapping[str, int],
    *,
    seconds: float = 1.0,
    max_displacement_m: float = 0.01,
) -> SettleReport:
    """Simulate `seconds` from the current state and measure how far the bodies move.

    Args:
        model: the model.
        data: its data (advanced in place).
        bodies: name -> body id to track.
        seconds: simulated time.
        max_displacement_m: displacement above which the layout is not `stable`.

    Returns:
        Displacement per body, deepest contact seen, and whether everything stayed put.
    """
    mujoco.mj_forward(model, data)
    start = {name: data.xpos[body].copy() for name, body in bodies.items()}
    deepest = 0.0
    with captured_warnings() as warnings:
        for _ in range(max(1, round(seconds / model.opt.timestep))):
            mujoco.mj_step(model, data)
            if data.ncon:
                deepest = max(deepest, float(-data.contact.dist[: data.ncon].min()))
    moved = {n: float(np.linalg.norm(data.xpos[b] - start[n])) for n, b in bodies.items()}
    finite = bool(np.all(np.isfinite(data.qpos)))
    stable = finite and not warnings and all(d <= max_displacement_m for d in moved.values())
    return SettleReport(seconds, moved, deepest, stable)


def sample_valid_randomization(
    config: BundleConfig,
    manifest: SceneManifest,
    rng: np.random.Generator,
    model: mujoco.MjModel,
    data: mujoco.MjData,
    name_map: Mapping[str, ObjectHandle],
    *,
    attempts: int = 10,
    tolerance_m: float = 0.001,
    seed: int | None = None,
) -> EpisodeRandomization:
    """Sample, apply and keep the first randomization whose placed bodies penetrate nothing.

    Deterministic: the same generator state gives the same sequence of attempts.

    Args:
        config: the policy config.
        manifest: the scene manifest.
        rng: the episode's generator.
        model: a model from `load_randomizable_scene` (or with distractor slots added).
        data: its data; holds the accepted randomization on return.
        name_map: object id -> handle.
        attempts: samples tried before giving up.
        tolerance_m: allowed penetration depth.
        seed: recorded in the result.

    Returns:
        The accepted randomization (already applied to `model` and `data`).

    Raises:
        PlacementError: no attempt was collision-free.
    """
    for _ in range(attempts):
        sample = sample_episode_randomization(config, manifest, rng, seed=seed)
        apply_to_mujoco(sample, model, data, name_map)
        bodies = moved_bodies(sample, model, name_map).values()
        if not find_penetrations(model, data, tolerance_m=tolerance_m, bodies=bodies):
            return sample
    raise PlacementError("a penetration-free layout", attempts)
