"""Joint velocity and acceleration of recorded actions, as shares of a robot's motion limits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from tools.robots import JointLimits


def limit_shares(arm: ArrayLike, control_hz: int, limits: JointLimits) -> tuple[float, float]:
    """Peak |finite-difference velocity| and |acceleration| at `control_hz` over any joint,
    each divided by that joint's limit (1.0: at the limit)."""
    q = np.asarray(arm, dtype=float)
    velocity = np.abs(np.diff(q, axis=0)) * control_hz / np.asarray(limits.velocity)
    acceleration = np.abs(np.diff(q, 2, axis=0)) * control_hz**2 / np.asarray(limits.acceleration)
    return float(velocity.max(initial=0.0)), float(acceleration.max(initial=0.0))
