"""Rolling and torsional friction of free bodies: authored in scene.usda, applied by the loader.

UsdPhysics has no rolling or torsional friction, and a mesh hull of a lemon or a can is close
enough to a sphere or a cylinder to roll away on a frictionless-rolling contact, which real fruit
does not (its skin deforms: rolling resistance). The usd step records both coefficients in the
`customData` of each free body's physics material (the keys below), so scene.usda stays the one
source of every physics value, and `tools.sim.load_scene_model` turns them into MuJoCo contact
dimension 6 with those coefficients. The settle check and the episodes' MuJoCo backend both load
the scene through that loader, so they simulate the same contacts. PhysX has no rolling friction;
an Isaac Sim backend ignores the keys.
"""

from __future__ import annotations

from typing import Final

import mujoco
from pxr import Usd

ROLLING_FRICTION_KEY: Final = "blueprint:rollingFriction"
TORSIONAL_FRICTION_KEY: Final = "blueprint:torsionalFriction"

# Metres: the lever arm of the resisting torque per newton of normal force. A 3 cm lemon then
# stays put on slopes up to atan(1e-3 / 0.03) ~ 1.9 degrees, about what a real one does on a
# table; boxes never roll, so the value is harmless for them and one setting covers every
# free body (no per-shape guess of what is "round").
ROLLING_FRICTION_M: Final = 1e-3
# MuJoCo's default torsional coefficient (a ~5 mm contact patch): resists spinning in place.
TORSIONAL_FRICTION_M: Final = 5e-3
_CONDIM_WITH_ROLLING: Final = 6


def author_rolling_friction(
    material: Usd.Prim,
    rolling_m: float = ROLLING_FRICTION_M,
    torsional_m: float = TORSIONAL_FRICTION_M,
) -> None:
    """Record rolling and torsional friction on a physics material prim (customData).

    Args:
        material: the prim carrying UsdPhysics.MaterialAPI.
        rolling_m: rolling friction coefficient, metres.
        torsional_m: torsional friction coefficient, metres.
    """
    material.SetCustomDataByKey(ROLLING_FRICTION_KEY, float(rolling_m))
    material.SetCustomDataByKey(TORSIONAL_FRICTION_KEY, float(torsional_m))


def authored_rolling_friction(material: Usd.Prim) -> tuple[float, float] | None:
    """The (torsional, rolling) coefficients a material records, or None when it has none."""
    rolling = material.GetCustomDataByKey(ROLLING_FRICTION_KEY)
    torsional = material.GetCustomDataByKey(TORSIONAL_FRICTION_KEY)
    if not isinstance(rolling, int | float) or not isinstance(torsional, int | float):
        return None
    return float(torsional), float(rolling)


def apply_rolling_friction(geom: mujoco.MjsGeom, material: Usd.Prim) -> bool:
    """Give a collision geom the material's torsional and rolling friction (contact dim 6).

    MuJoCo takes the larger condim and the larger of each friction coefficient of the two geoms
    in contact, so setting them on the free body's geoms is enough for its contacts with static
    colliders (which keep MuJoCo's defaults) and with the robot's fingers.

    Args:
        geom: the collision geom, changed in place.
        material: its bound physics material prim.

    Returns:
        True when the material recorded the coefficients and they were applied.
    """
    values = authored_rolling_friction(material)
    if values is None:
        return False
    geom.condim = _CONDIM_WITH_ROLLING
    geom.friction[1], geom.friction[2] = values
    return True
