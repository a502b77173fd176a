"""Slow a planned segment down to the arm's joint velocity and acceleration limits (toppra).

A segment's joints come from IK along a minimum-jerk TCP path, one frame per control step over
the duration `motion.py` chose. The joint path is a spline through those frames, parametrized
by that planned time (toppra's `SplineInterpolator`, clamped: a minimum-jerk move starts and
ends at rest). Running the same profile k times slower scales joint velocities by 1/k and
accelerations by 1/k², so the smallest k that keeps every joint within toppra's
`JointVelocityConstraint` and `JointAccelerationConstraint` along the path is the shortest
duration that keeps the minimum-jerk TCP profile (carried objects swing no more than planned).
toppra's own time-optimal profile would be shorter, but bang-bang: it would swing them.
"""

from __future__ import annotations

import math

import numpy as np
import toppra
import toppra.constraint as constraint
from numpy.typing import NDArray

from tools.robots import JointLimits

FloatArray = NDArray[np.float64]
_STILL = 1e-9  # rad: a joint path that moves less than this is not timed


def limit_stretch(path: FloatArray, control_hz: int, limits: JointLimits) -> float:
    """How many times longer a segment must last for its joints to stay within `limits`.

    Args:
        path: (frames + 1, dof) joint positions at the control frames of the planned duration,
            the segment's start first.
        control_hz: frames per second.
        limits: what the joints may use.

    Returns:
        1.0 when the planned duration already respects the limits, else the factor (> 1).
    """
    if len(path) < 2 or float(np.ptp(path, axis=0).max()) < _STILL:
        return 1.0
    times = np.arange(len(path), dtype=float) / control_hz
    spline = toppra.SplineInterpolator(times, path, bc_type="clamped")
    grid = np.linspace(0.0, times[-1], 2 * len(path) - 1)  # the frames and the midpoints
    velocity = constraint.JointVelocityConstraint(np.asarray(limits.velocity, dtype=float))
    *_, xbound = velocity.compute_constraint_params(spline, grid)
    # x = (d planned time / d time)²: velocity bounds x directly per gridpoint.
    x_max = float(np.min(xbound[:, 1]))
    acceleration = constraint.JointAccelerationConstraint(
        np.asarray(limits.acceleration, dtype=float),
        discretization_scheme=constraint.DiscretizationType.Collocation,
    )
    _, b, c, f, g, _, _ = acceleration.compute_constraint_params(spline, grid)
    # A uniform slow-down has no path acceleration (u = 0): F (b x + c) <= g per gridpoint.
    lhs = np.einsum("km,nm->nk", f, b)
    rhs = g - np.einsum("km,nm->nk", f, c)
    pushing = lhs > 1e-12
    if pushing.any():
        x_max = min(x_max, float(np.min(rhs[pushing] / lhs[pushing])))
    return 1.0 if x_max >= 1.0 else 1.0 / math.sqrt(x_max)


def retime(path: FloatArray, control_hz: int, limits: JointLimits) -> FloatArray:
    """The segment's frames after the start, slowed down uniformly as far as `limits` ask.

    Args:
        path: (frames + 1, dof) joint positions at the control frames of the planned duration,
            the segment's start first.
        control_hz: frames per second.
        limits: what the joints may use.

    Returns:
        (frames', dof) joint positions, frames' >= frames; `path[1:]` itself when unchanged.
    """
    frames = len(path) - 1
    stretch = limit_stretch(path, control_hz, limits)
    if stretch <= 1.0:
        return path[1:]
    slower = math.ceil(frames * stretch - 1e-9)
    times = np.arange(len(path), dtype=float) / control_hz
    spline = toppra.SplineInterpolator(times, path, bc_type="clamped")
    # Frame k of the slower segment is at planned time k/slower of the planned duration.
    planned = np.arange(1, slower + 1, dtype=float) * (times[-1] / slower)
    return np.asarray(spline(planned), dtype=float)
