"""Counterbalance springs: a flap stays where it is left and a light pull moves it (MuJoCo)."""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from simready_job.articulation_counterbalance import fit_balance, with_counterbalance
from tools.scene_manifest import ArticulatedPart, ArticulationJoint

MASS_KG = 8.0
HEIGHT_M = 0.6
# An oven door 0.6 x 0.6 m, 9 cm deep with its handle, front at -Y, hinged at its bottom back edge.
DOOR = ArticulatedPart(
    name="door_0",
    kind="door",
    mesh_path="assets/oven/parts/door_0.glb",
    collision_paths=("assets/oven/parts/door_0_collision_0.obj",),
    mass_kg=MASS_KG,
    bounds_min=(-0.3, -0.39, 0.0),
    bounds_max=(0.3, -0.3, HEIGHT_M),
)
FLAP = ArticulationJoint(
    name="door_0_hinge",
    type="revolute",
    parent_part="body",
    child_part="door_0",
    axis=(1.0, 0.0, 0.0),
    origin=(-0.3, -0.3, 0.0),
    lower=0.0,
    upper=math.pi / 2,
    damping=2.0,
    friction=0.0,
    hinge_side="bottom",
)
WEIGHT_TORQUE = MASS_KG * 9.81 * HEIGHT_M / 2


def _model(joint: ArticulationJoint) -> mujoco.MjModel:
    """The door alone on its joint, as the scene loader sets it up (damping, friction, spring)."""
    spec = mujoco.MjSpec()
    spec.compiler.degree = False  # radians, as the USD loader's spec
    spec.option.timestep = 0.002
    body = spec.worldbody.add_body(name="door")
    hinge = body.add_joint(
        type=mujoco.mjtJoint.mjJNT_HINGE,
        axis=list(joint.axis),
        pos=list(joint.origin),
        range=[joint.lower, joint.upper],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
    )
    hinge.damping = [joint.damping, 0.0, 0.0]
    hinge.frictionloss = joint.friction
    hinge.armature = 0.01
    if joint.spring is not None:
        hinge.stiffness = [joint.spring.stiffness, 0.0, 0.0]
        hinge.springref = joint.spring.rest
    lo, hi = np.array(DOOR.bounds_min), np.array(DOOR.bounds_max)
    body.add_geom(
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=list((hi - lo) / 2),
        pos=list((hi + lo) / 2),
        mass=MASS_KG,
    )
    return spec.compile()


def _settle(model: mujoco.MjModel, start: float, seconds: float, pull_n: float = 0.0) -> float:
    """Joint angle after `seconds` from `start`, pulled at the top edge along the arc."""
    data = mujoco.MjData(model)
    data.qpos[0] = start
    for _ in range(round(seconds / model.opt.timestep)):
        data.qfrc_applied[0] = pull_n * HEIGHT_M
        mujoco.mj_step(model, data)
    return float(data.qpos[0])


def test_spring_follows_the_weight_over_the_range() -> None:
    """Stiffness about m g l 2/pi, rest behind closed, friction about 0.25 m g l holds the rest."""
    balance = fit_balance(FLAP, DOOR)
    assert balance is not None
    assert balance.stiffness == pytest.approx(WEIGHT_TORQUE * 2 / math.pi, rel=0.2)
    assert balance.rest < 0.0 and balance.residual < 0.15 * balance.full_torque
    joint = with_counterbalance(FLAP, DOOR)
    assert joint.spring is not None and joint.spring.stiffness == pytest.approx(balance.stiffness)
    assert joint.friction == pytest.approx(0.25 * balance.full_torque, rel=0.01)
    assert joint.friction > 1.5 * balance.residual


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_balanced_flap_stays_where_it_is_left(share: float) -> None:
    """Left closed it stays within 1 deg; left anywhere open, within 2 deg (2 s in MuJoCo)."""
    model = _model(with_counterbalance(FLAP, DOOR))
    start = share * FLAP.upper
    drift = math.degrees(abs(_settle(model, start, 2.0) - start))
    assert drift < (1.0 if share == 0.0 else 2.0)


def test_without_the_spring_the_flap_falls_open() -> None:
    """The same door with only its damper and the balanced friction drops to its limit."""
    joint = with_counterbalance(FLAP, DOOR).model_copy(update={"spring": None})
    assert _settle(_model(joint), 0.5 * FLAP.upper, 2.0) > 0.95 * FLAP.upper


def test_a_light_pull_opens_and_closes_the_flap() -> None:
    """20 N at the handle edge opens the balanced flap past 60 % and pushes it shut again."""
    model = _model(with_counterbalance(FLAP, DOOR))
    opened = _settle(model, 0.0, 3.0, pull_n=20.0)
    assert opened > 0.6 * FLAP.upper
    assert _settle(model, opened, 3.0, pull_n=-20.0) < 0.05 * FLAP.upper


def test_parts_their_weight_does_not_turn_get_no_spring() -> None:
    """A side-hinged door (vertical axis), a top-hinged flap and a drawer stay as planned."""
    side = FLAP.model_copy(update={"axis": (0.0, 0.0, -1.0), "hinge_side": "left"})
    assert fit_balance(side, DOOR) is None and with_counterbalance(side, DOOR) == side
    top = FLAP.model_copy(
        update={"axis": (-1.0, 0.0, 0.0), "origin": (-0.3, -0.3, HEIGHT_M), "hinge_side": "top"}
    )
    assert fit_balance(top, DOOR) is None  # its weight closes it everywhere
    slide = FLAP.model_copy(update={"type": "prismatic", "upper": 0.4, "hinge_side": None})
    assert fit_balance(slide, DOOR) is None
