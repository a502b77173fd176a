"""Light values: the colour of a black-body temperature, a distant light's direction."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tools.rotations import matrix_from_rotate_xyz

Vec3 = tuple[float, float, float]
MIN_KELVIN = 1000.0
MAX_KELVIN = 40000.0


def kelvin_to_rgb(kelvin: float) -> Vec3:
    """Approximate sRGB colour of a black body, scaled so the largest channel is 1.

    A piecewise fit of the Planckian locus (good to a few percent between 1000 K and 40000 K),
    enough to tint a rasterizer's light the way a renderer's colour temperature does.

    Args:
        kelvin: colour temperature, clipped to [1000, 40000].

    Returns:
        (r, g, b) in [0, 1].
    """
    t = min(max(kelvin, MIN_KELVIN), MAX_KELVIN) / 100.0
    if t <= 66.0:
        red = 255.0
        green = 99.4708025861 * math.log(t) - 161.1195681661
        blue = 0.0 if t <= 19.0 else 138.5177312231 * math.log(t - 10.0) - 305.0447927307
    else:
        red = 329.698727446 * (t - 60.0) ** -0.1332047592
        green = 288.1221695283 * (t - 60.0) ** -0.0755148492
        blue = 255.0
    rgb = np.clip(np.array([red, green, blue]) / 255.0, 0.0, 1.0)
    rgb /= max(float(rgb.max()), 1e-9)
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def distant_light_direction(rotation_xyz_deg: Sequence[float]) -> Vec3:
    """Unit direction a USD DistantLight shines along (its local -Z) under rotateXYZ angles.

    Args:
        rotation_xyz_deg: the prim's rotateXYZ (no parent rotation).

    Returns:
        The world direction the light travels.
    """
    direction = matrix_from_rotate_xyz(rotation_xyz_deg) @ np.array([0.0, 0.0, -1.0])
    return (float(direction[0]), float(direction[1]), float(direction[2]))
