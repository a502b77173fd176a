"""Both backends draw the same randomization record for a seed and apply the same values."""

from __future__ import annotations

import numpy as np
import pytest
from pxr import Usd, UsdLux, UsdPhysics

from episode_generation_job.backends import isaacsim_randomization as usd_rand
from episode_generation_job.backends import open_backend
from episode_generation_job.backends.isaacsim_backend import isaac_randomization
from tools.randomization import load_bundle_config
from tools.scene_manifest import load_manifest

SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def drawn(bundle_scene):
    """Per seed: the record MuJoCo applied and the one the Isaac layer builds, and MuJoCo's
    model values right after applying it."""
    config = load_bundle_config(bundle_scene, "pick_and_place")
    manifest = load_manifest(bundle_scene)
    backend = open_backend("mujoco", bundle_scene / "usd/scene.usda", manifest, None, bundle=config)
    out = []
    try:
        for seed in SEEDS:
            mujoco_record = backend.randomize(config, manifest, np.random.default_rng(seed), seed)
            masses = {p.prim_path: _mass(backend, p.prim_path) for p in mujoco_record.physics}
            isaac_record = isaac_randomization(config, manifest, np.random.default_rng(seed), seed)
            out.append((mujoco_record, isaac_record, masses))
    finally:
        backend.close()
    return out


def _mass(backend, prim_path):
    model = backend.model
    body = next((b for b in range(model.nbody) if model.body(b).name == prim_path), None)
    return None if body is None else float(model.body_mass[body])


def test_same_seed_same_record_on_both_backends(drawn):
    """Placements, light, colours, camera, masses and frictions are equal for every seed;
    only the distractors (not created by the Isaac backend) are left out there."""
    for mujoco_record, isaac_record, _ in drawn:
        assert isaac_record.distractors == ()
        assert mujoco_record.model_copy(update={"distractors": ()}) == isaac_record
        assert isaac_record.placements and isaac_record.physics and isaac_record.light


def test_isaac_writes_set_on_the_stage_what_mujoco_set_in_its_model(bundle_scene, drawn):
    """The USD writes of a record, applied with pxr, carry MuJoCo's masses and frictions and
    the record's light."""
    _, isaac_record, masses = drawn[0]
    stage = Usd.Stage.Open(str(bundle_scene / "usd/scene.usda"))
    stage.SetEditTarget(stage.GetSessionLayer())  # leave the shared scene file untouched
    nominal = usd_rand.nominal_masses(stage, [p.prim_path for p in isaac_record.physics])
    usd_rand.apply_writes(stage, usd_rand.episode_writes(isaac_record, nominal))
    compared = 0
    for sample in isaac_record.physics:
        material = UsdPhysics.MaterialAPI(stage.GetPrimAtPath(sample.material_path))
        assert material.GetDynamicFrictionAttr().Get() == pytest.approx(sample.dynamic_friction)
        assert material.GetStaticFrictionAttr().Get() == pytest.approx(sample.static_friction)
        if sample.mass_kg is not None and sample.prim_path in nominal:
            usd_mass = UsdPhysics.MassAPI(stage.GetPrimAtPath(sample.prim_path)).GetMassAttr().Get()
            assert usd_mass == pytest.approx(sample.mass_kg, rel=1e-6)
            assert masses[sample.prim_path] == pytest.approx(usd_mass, rel=1e-6)
            compared += 1
    assert compared, "no randomized mass to compare"
    light = isaac_record.light
    prim = stage.GetPrimAtPath(light.prim_path)
    assert UsdLux.LightAPI(prim).GetIntensityAttr().Get() == pytest.approx(light.intensity)
    assert list(prim.GetAttribute("xformOp:rotateXYZ").Get()) == pytest.approx(
        list(light.rotation_xyz_deg)
    )
