"""Physics randomization targets: each object's mass and friction ranges, from the manifest."""

from __future__ import annotations

from pxr import Usd

from replicator_job.scene_targets import physics_material_path
from tools.randomization.config import PhysicsConfig, PhysicsTarget
from tools.scene_manifest import SceneManifest, SimRole

# Used when the manifest gives no range for a quantity: nominal value +- this fraction.
DEFAULT_RELATIVE_SPREAD = {"mass_kg": 0.2, "static_friction": 0.15, "dynamic_friction": 0.15}
DYNAMIC_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)


def value_range(
    ranges: dict[str, tuple[float, float]], name: str, nominal: float
) -> tuple[float, float]:
    """The manifest's range of a quantity, or the nominal value +- its default spread.

    Args:
        ranges: the object's `physics.ranges`.
        name: "mass_kg", "static_friction" or "dynamic_friction".
        nominal: the object's value.

    Returns:
        (low, high), low >= 0.
    """
    if name in ranges:
        low, high = ranges[name]
        return (float(min(low, high)), float(max(low, high)))
    spread = DEFAULT_RELATIVE_SPREAD[name] * nominal
    return (max(nominal - spread, 0.0), nominal + spread)


def physics_config(
    manifest: SceneManifest, stage: Usd.Stage, prims: dict[str, str]
) -> PhysicsConfig:
    """A physics target for every object with physics and a bound physics material.

    Masses are randomized for free bodies only; frictions for every object (supports too).

    Args:
        manifest: the scene manifest.
        stage: the scene stage (physics material bindings).
        prims: object id -> prim path.

    Returns:
        The physics randomizer's config.
    """
    targets = []
    for obj in manifest.objects:
        material = physics_material_path(stage, prims[obj.id])
        if obj.physics is None or material is None:
            continue
        ranges = dict(obj.physics.ranges)
        dynamic = obj.sim_role in DYNAMIC_ROLES
        targets.append(
            PhysicsTarget(
                object_id=obj.id,
                prim_path=prims[obj.id],
                material_path=material,
                mass_kg=value_range(ranges, "mass_kg", obj.physics.mass_kg) if dynamic else None,
                static_friction=value_range(ranges, "static_friction", obj.physics.static_friction),
                dynamic_friction=value_range(
                    ranges, "dynamic_friction", obj.physics.dynamic_friction
                ),
            )
        )
    return PhysicsConfig(targets=tuple(targets))
