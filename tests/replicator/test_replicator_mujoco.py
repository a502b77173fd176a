"""Randomizations applied to MuJoCo from scene.usda: no interpenetration, at rest, exact values."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from tools.randomization import (
    ModelMismatchError,
    apply_frame_to_mujoco,
    apply_to_mujoco,
    find_penetrations,
    load_bundle_config,
    load_randomizable_scene,
    moved_bodies,
    sample_episode_randomization,
    sample_frame_randomization,
    sample_valid_randomization,
    settle,
)
from tools.randomization.mujoco_apply import NOMINAL_LIGHT_DIFFUSE
from tools.scene_manifest import load_manifest
from tools.sim import load_scene_model


@pytest.fixture(scope="module", params=["pick_and_place", "table_clearing"])
def loaded(request, bundle_scene):
    config = load_bundle_config(bundle_scene, request.param)
    scene = load_randomizable_scene(bundle_scene / "usd" / "scene.usda", config)
    return config, load_manifest(bundle_scene), scene


def _free_bodies(model) -> list[int]:
    return [b for b in range(1, model.nbody) if model.body_jntnum[b] > 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_layouts_do_not_interpenetrate_and_stay_put(loaded, seed):
    """After mj_forward no contact is deeper than 1 mm; after 1 s nothing moved more than 1 cm."""
    config, manifest, scene = loaded
    data = mujoco.MjData(scene.model)
    episode = sample_episode_randomization(config, manifest, np.random.default_rng(seed))
    apply_to_mujoco(episode, scene.model, data, scene.objects)
    assert not find_penetrations(scene.model, data, tolerance_m=0.001)
    placed = list(moved_bodies(episode, scene.model, scene.objects).values())
    assert placed and all(b > 0 for b in placed)
    tracked = {
        scene.model.body(b).name: b
        for b in _free_bodies(scene.model)
        if scene.model.body_gravcomp[b] == 0
    }
    report = settle(scene.model, data, tracked, seconds=1.0)
    assert report.stable, report.displacement_m
    assert report.max_displacement_m <= 0.01
    assert report.max_penetration_m <= 0.002  # resting contacts of MuJoCo's soft constraints


def test_apply_sets_exact_values_and_never_compounds(loaded):
    """Physics, light, colours, camera and poses are set absolutely: reapplying is exact."""
    config, manifest, scene = loaded
    model, data = scene.model, mujoco.MjData(scene.model)
    first = sample_episode_randomization(config, manifest, np.random.default_rng(21))
    second = sample_episode_randomization(config, manifest, np.random.default_rng(22))
    apply_to_mujoco(first, model, data, scene.objects)
    snapshot = (
        model.body_mass.copy(),
        model.body_inertia.copy(),
        model.geom_friction.copy(),
        model.mat_rgba.copy(),
    )
    apply_to_mujoco(second, model, data, scene.objects)
    apply_to_mujoco(first, model, data, scene.objects)
    for before, after in zip(
        snapshot,
        (model.body_mass, model.body_inertia, model.geom_friction, model.mat_rgba),
        strict=True,
    ):
        np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-15)
    for physics in first.physics:
        handle = scene.objects[physics.object_id]
        if physics.mass_kg is not None:
            assert model.body_mass[handle.body_id] == pytest.approx(physics.mass_kg)
        assert all(
            model.geom_friction[g, 0] == pytest.approx(physics.dynamic_friction)
            for g in handle.collision_geoms
        )
    for placement in first.placements:
        body = scene.objects[placement.object_id].body_id
        np.testing.assert_allclose(data.xpos[body], placement.pose.position, atol=1e-9)
    assert first.light is not None and first.camera is not None
    light = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_LIGHT, first.light.prim_path)
    np.testing.assert_allclose(model.light_dir[light], first.light.direction, atol=1e-6)
    expected = np.asarray(first.light.rgb) * NOMINAL_LIGHT_DIFFUSE * first.light.relative_intensity
    np.testing.assert_allclose(model.light_diffuse[light], expected, rtol=1e-6)
    camera = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, first.camera.prim_path)
    np.testing.assert_allclose(data.cam_xpos[camera], first.camera.pose.position, atol=1e-9)
    for color in first.colors:
        material = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_MATERIAL, color.material_path)
        np.testing.assert_allclose(model.mat_rgba[material, :3], color.rgb, rtol=1e-6)


def test_distractor_slots_take_the_sample_and_park_when_unused(loaded):
    """Used slots get the sampled size, mass and colour and collide; unused ones do not."""
    config, manifest, scene = loaded
    model, data = scene.model, mujoco.MjData(scene.model)
    episode = next(
        e
        for e in (
            sample_episode_randomization(config, manifest, np.random.default_rng(s))
            for s in range(40)
        )
        if 0 < len(e.distractors) < config.randomizers.distractors.slots
    )
    apply_to_mujoco(episode, model, data, scene.objects)
    used = {d.slot: d for d in episode.distractors}
    for slot in range(config.randomizers.distractors.slots):
        geom = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"distractor_{slot}/geom")
        body = model.geom_bodyid[geom]
        if slot in used:
            assert model.geom_contype[geom] == 1 and model.body_mass[body] == pytest.approx(
                used[slot].mass_kg
            )
            np.testing.assert_allclose(data.xpos[body], used[slot].pose.position, atol=1e-9)
            np.testing.assert_allclose(model.geom_rgba[geom, :3], used[slot].rgb)
            assert model.geom_friction[geom, 0] == pytest.approx(used[slot].friction)
        else:
            assert model.geom_contype[geom] == 0 and data.xpos[body][2] < -10


def test_frame_values_change_appearance_only(loaded):
    """apply_frame_to_mujoco with per-frame lighting moves the light and nothing else."""
    config, _, scene = loaded
    assert config.randomizers.lighting is not None
    lighting = config.randomizers.lighting.model_copy(update={"frequency": "per_frame"})
    per_frame = config.model_copy(
        update={"randomizers": config.randomizers.model_copy(update={"lighting": lighting})}
    )
    frame = sample_frame_randomization(per_frame, np.random.default_rng(4))
    before = scene.model.body_mass.copy()
    assert frame.light is not None
    apply_frame_to_mujoco(frame, scene.model)
    light = mujoco.mj_name2id(scene.model, mujoco.mjtObj.mjOBJ_LIGHT, frame.light.prim_path)
    np.testing.assert_allclose(scene.model.light_dir[light], frame.light.direction, atol=1e-6)
    np.testing.assert_array_equal(scene.model.body_mass, before)


def test_valid_sampling_is_reproducible_and_penetration_free(loaded):
    """sample_valid_randomization gives the same accepted episode for the same seed."""
    config, manifest, scene = loaded
    results = []
    for _ in range(2):
        data = mujoco.MjData(scene.model)
        episode = sample_valid_randomization(
            config, manifest, np.random.default_rng(9), scene.model, data, scene.objects, seed=9
        )
        assert not find_penetrations(scene.model, data, tolerance_m=0.001)
        results.append(episode)
    assert results[0] == results[1] and results[0].seed == 9


def test_model_without_slots_is_refused(bundle_scene):
    """Distractors applied to a model without slots raise ModelMismatchError naming the slot."""
    config = load_bundle_config(bundle_scene, "table_clearing")
    manifest = load_manifest(bundle_scene)
    plain = load_scene_model(bundle_scene / "usd" / "scene.usda")
    episode = next(
        e
        for e in (
            sample_episode_randomization(config, manifest, np.random.default_rng(s))
            for s in range(20)
        )
        if e.distractors
    )
    with pytest.raises(ModelMismatchError, match="distractor"):
        apply_to_mujoco(episode, plain.model, mujoco.MjData(plain.model), plain.objects)
