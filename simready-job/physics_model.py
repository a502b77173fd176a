"""From mesh and priors to the manifest's Physics: mass model, clamps and randomization ranges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh

from simready_job.mass_properties import (
    MassDistribution,
    principal_frame,
    shell_distribution,
    solid_distribution,
)
from simready_job.material_priors import PriorTable, ResolvedPrior, Structure
from tools.scene_manifest import Physics

MASS_RANGE = 0.20  # randomization: mass +-20 %
FRICTION_RANGE = 0.15  # randomization: friction +-15 %


@dataclass(frozen=True)
class MassModel:
    """An object's mass properties.

    Attributes:
        mass_kg: total mass.
        enclosed_volume_m3: volume enclosed by the (scaled) mesh.
        center_of_mass: metres, asset frame (before the transform's scale).
        inertia_diagonal: principal moments, kg m^2, of the scaled (physical) body.
        principal_axes_wxyz: rotation from principal axes to asset axes.
        model: "solid", "shell" or "bulk" (after the shell test), for notes.
    """

    mass_kg: float
    enclosed_volume_m3: float
    center_of_mass: tuple[float, float, float]
    inertia_diagonal: tuple[float, float, float]
    principal_axes_wxyz: tuple[float, float, float, float]
    model: str

    @property
    def bulk_density_kg_m3(self) -> float:
        """mass / enclosed volume."""
        return self.mass_kg / self.enclosed_volume_m3


def mass_bounds(table: PriorTable, enclosed_volume_m3: float) -> tuple[float, float]:
    """The mass range allowed for an enclosed volume by the table's bulk-density bounds."""
    return (
        table.min_bulk_density_kg_m3 * enclosed_volume_m3,
        table.max_bulk_density_kg_m3 * enclosed_volume_m3,
    )


def estimate_mass(
    solid: trimesh.Trimesh,
    scale: Sequence[float],
    prior: ResolvedPrior,
    table: PriorTable,
    mass_kg: float | None = None,
) -> MassModel:
    """Mass, centre of mass and inertia of a watertight mesh under a category prior.

    Shell categories use min(enclosed volume, area x wall thickness) of material: a mesh
    whose walls are modelled is already thin (its volume wins), a closed blob standing for a
    hollow object gets a shell over its surface (mass and inertia from the surface). The
    mass is then kept within the table's bulk-density bounds (the floor stands for contents
    or packaging of nearly empty containers). Inertia follows the chosen distribution scaled
    to the final mass.

    Args:
        solid: watertight mesh in the asset frame.
        scale: the transform's per-axis scale (applied before computing physical values).
        prior: the object's resolved prior.
        table: the prior table (for the bulk-density bounds).
        mass_kg: a mass to use instead of the prior's (e.g. an LLM estimate; still bounded).

    Returns:
        The mass model.
    """
    factors = np.asarray(scale, dtype=np.float64)
    body = solid.copy()
    body.apply_transform(np.diag([*factors, 1.0]))
    filled = solid_distribution(body)
    distribution, density, model = filled, prior.material.density_kg_m3, "solid"
    if prior.shape.structure is Structure.BULK:
        assert prior.shape.bulk_density_kg_m3 is not None
        density, model = prior.shape.bulk_density_kg_m3, "bulk"
    elif prior.shape.structure is Structure.SHELL:
        assert prior.shape.wall_thickness_m is not None
        shell = shell_distribution(body, prior.shape.wall_thickness_m)
        if shell.material_volume_m3 < filled.material_volume_m3:
            distribution, model = shell, "shell"
    low, high = mass_bounds(table, filled.material_volume_m3)
    wanted = distribution.material_volume_m3 * density if mass_kg is None else mass_kg
    mass = float(min(max(wanted, low), high))
    return _model(distribution, mass, filled.material_volume_m3, factors, model)


def _model(
    distribution: MassDistribution,
    mass: float,
    enclosed: float,
    factors: np.ndarray,
    model: str,
) -> MassModel:
    inertia = distribution.inertia * (mass / distribution.material_volume_m3)
    frame = principal_frame(inertia)
    com = distribution.center / factors
    return MassModel(
        mass_kg=mass,
        enclosed_volume_m3=enclosed,
        center_of_mass=(float(com[0]), float(com[1]), float(com[2])),
        inertia_diagonal=frame.moments,
        principal_axes_wxyz=frame.rotation_wxyz,
        model=model,
    )


def randomization_ranges(
    mass_kg: float, static_friction: float, dynamic_friction: float
) -> dict[str, tuple[float, float]]:
    """Ranges for domain randomization: mass +-20 %, friction +-15 %.

    The dynamic-friction range is capped at the static range's lower end, so that any two
    samples drawn independently still satisfy dynamic <= static.

    Args:
        mass_kg: nominal mass.
        static_friction: nominal static friction.
        dynamic_friction: nominal dynamic friction (<= static).

    Returns:
        {"mass_kg": (lo, hi), "static_friction": (lo, hi), "dynamic_friction": (lo, hi)}.
    """
    static_lo = static_friction * (1 - FRICTION_RANGE)
    dynamic_hi = min(dynamic_friction * (1 + FRICTION_RANGE), static_lo)
    dynamic_lo = min(dynamic_friction * (1 - FRICTION_RANGE), dynamic_hi)
    return {
        "mass_kg": (_r(mass_kg * (1 - MASS_RANGE)), _r(mass_kg * (1 + MASS_RANGE))),
        "static_friction": (_r(static_lo), _r(static_friction * (1 + FRICTION_RANGE))),
        "dynamic_friction": (_r(dynamic_lo), _r(dynamic_hi)),
    }


def _r(value: float) -> float:
    """Round to 9 significant digits: stable JSON across platforms' last-bit differences."""
    return float(f"{value:.9g}")


def _position(value: float) -> float:
    """Round to a nanometre (and drop the sign of zero): no platform-dependent noise."""
    return round(value, 9) + 0.0


def make_physics(
    mass: MassModel,
    *,
    static_friction: float,
    dynamic_friction: float,
    restitution: float,
    material: str,
    source: str,
) -> Physics:
    """The manifest's Physics with rounded values and randomization ranges.

    Args:
        mass: the mass model.
        static_friction: static friction coefficient.
        dynamic_friction: dynamic friction coefficient (lowered to static if above it).
        restitution: restitution in [0, 1].
        material: material name.
        source: "priors" or "llm:<model>".

    Returns:
        A validated Physics.
    """
    dynamic = min(dynamic_friction, static_friction)
    return Physics(
        mass_kg=_r(mass.mass_kg),
        static_friction=_r(static_friction),
        dynamic_friction=_r(dynamic),
        restitution=_r(restitution),
        center_of_mass=(
            _position(mass.center_of_mass[0]),
            _position(mass.center_of_mass[1]),
            _position(mass.center_of_mass[2]),
        ),
        inertia_diagonal=(
            _r(mass.inertia_diagonal[0]),
            _r(mass.inertia_diagonal[1]),
            _r(mass.inertia_diagonal[2]),
        ),
        principal_axes_wxyz=_unit_quaternion(mass.principal_axes_wxyz),
        material=material,
        density_kg_m3=_r(mass.bulk_density_kg_m3),
        source=source,
        ranges=randomization_ranges(mass.mass_kg, static_friction, dynamic),
    )


def _unit_quaternion(q: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Round to 12 digits and renormalise (the manifest requires |q| = 1 within 1e-6)."""
    arr = np.round(np.asarray(q, dtype=np.float64), 12)
    arr /= np.linalg.norm(arr)
    return (float(arr[0]), float(arr[1]), float(arr[2]), float(arr[3]))
