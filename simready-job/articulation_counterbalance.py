"""Counterbalance springs for parts their own weight turns (oven and dishwasher flaps).

A bottom-hinged door's weight pulls it open with m g rho sin(theta + phi) (rho, phi: where its
centre of mass sits about the hinge); real ones carry a spring that cancels most of it, so the
door stays where it is left and a light pull opens it. The spring is linear, torque
-k (theta - rest), so it cannot cancel a sine exactly: k and rest are the best linear fit over
the joint's range (minimax, a three-variable linear programme), and the joint's dry friction
holds the remainder with a margin. Side-hinged doors (vertical axis) and drawers get no spring.
The centre of mass is the centre of the part's bounds, where the usd step's MassAPI puts it
(usd_assembly_job.articulation_usd).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

from simready_job.articulation_priors import GRAVITY
from tools.scene_manifest import ArticulatedPart, ArticulationJoint, JointSpring

FloatArray = npt.NDArray[np.float64]
SAMPLES = 61
HOLD_SHARE = 0.25  # dry friction of a balanced part: this share of its full gravity torque
HOLD_MARGIN = 2.0  # and at least this multiple of what the spring leaves unbalanced
MIN_TORQUE_SHARE = 0.05  # a weight torque below this share of m g |r| needs no spring


@dataclass(frozen=True)
class Balance:
    """A spring fitted to a joint's gravity torque.

    Attributes:
        stiffness: N m/rad.
        rest: radians, the spring's zero-torque position.
        residual: N m, the largest gravity-minus-spring torque left over the range.
        full_torque: N m, m g times the centre of mass's distance from the axis.
    """

    stiffness: float
    rest: float
    residual: float
    full_torque: float


def gravity_torque(
    joint: ArticulationJoint, centre: FloatArray, mass: float, angles: FloatArray
) -> FloatArray:
    """Gravity's torque about the joint axis (positive opens) with the part turned to `angles`.

    Args:
        joint: a revolute joint (asset frame, Z up).
        centre: the part's centre of mass when closed (asset frame).
        mass: the part's mass, kg.
        angles: joint positions, radians.

    Returns:
        N m per angle.
    """
    axis = np.asarray(joint.axis, dtype=float)
    arm = centre - np.asarray(joint.origin, dtype=float)
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    # Rodrigues: the centre of mass turned about the axis by each angle.
    turned = arm * cos + np.cross(axis, arm) * sin + axis * (axis @ arm) * (1.0 - cos)
    force = np.array([0.0, 0.0, -mass * GRAVITY])
    return np.asarray(np.cross(turned, force) @ axis, dtype=float)


def fit_balance(joint: ArticulationJoint, part: ArticulatedPart) -> Balance | None:
    """The minimax linear spring against the part's weight over the joint's range.

    Args:
        joint: the part's joint.
        part: the moving part (mass and closed bounds).

    Returns:
        The fitted spring, or None when the joint is prismatic or the weight hardly turns it.
    """
    if joint.type != "revolute":
        return None
    centre = (np.asarray(part.bounds_min) + np.asarray(part.bounds_max)) / 2
    axis = np.asarray(joint.axis, dtype=float)
    arm = centre - np.asarray(joint.origin, dtype=float)
    radius = float(np.linalg.norm(arm - axis * (axis @ arm)))
    full = part.mass_kg * GRAVITY * radius
    angles = np.linspace(joint.lower, joint.upper, SAMPLES)
    torque = gravity_torque(joint, centre, part.mass_kg, angles)
    if float(np.max(np.abs(torque))) <= MIN_TORQUE_SHARE * full:
        return None
    # Variables (k, b, t): spring torque -k theta + b; minimise t >= |torque - k theta + b|.
    ones = np.ones_like(angles)
    upper_rows = np.column_stack([-angles, ones, -ones])
    lower_rows = np.column_stack([angles, -ones, -ones])
    result = linprog(
        c=[0.0, 0.0, 1.0],
        A_ub=np.vstack([upper_rows, lower_rows]),
        b_ub=np.concatenate([-torque, torque]),
        bounds=[(0.0, None), (None, None), (0.0, None)],
        method="highs",
    )
    stiffness, offset, residual = (float(v) for v in result.x)
    if not result.success or stiffness <= 0.0:
        return None  # the weight closes the part everywhere: nothing to balance
    return Balance(stiffness, offset / stiffness, residual, full)


def with_counterbalance(joint: ArticulationJoint, part: ArticulatedPart) -> ArticulationJoint:
    """The joint with a counterbalance spring and holding friction where its part's weight turns it.

    Args:
        joint: the joint as planned.
        part: its moving part.

    Returns:
        The joint unchanged, or with `spring` set and friction raised to hold the part anywhere.
    """
    balance = fit_balance(joint, part)
    if balance is None:
        return joint
    hold = max(HOLD_SHARE * balance.full_torque, HOLD_MARGIN * balance.residual, joint.friction)
    spring = JointSpring(stiffness=round(balance.stiffness, 4), rest=round(balance.rest, 6))
    return joint.model_copy(update={"spring": spring, "friction": round(hold, 4)})
