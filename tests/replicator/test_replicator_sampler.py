"""The pure-Python sampler: reproducible, serializable, inside regions, apart, within ranges."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tools.randomization import (
    EpisodeRandomization,
    load_bundle_config,
    sample_episode_randomization,
    sample_frame_randomization,
)
from tools.randomization.lighting import distant_light_direction, kelvin_to_rgb
from tools.randomization.planar import convex_overlap, grow, rotate
from tools.randomization.scatter import box_footprint, primitive_footprint
from tools.rotations import quat_to_matrix
from tools.scene_manifest import SceneManifest, load_manifest


@pytest.fixture(scope="module")
def config(bundle_scene):
    return load_bundle_config(bundle_scene, "table_clearing")


@pytest.fixture(scope="module")
def manifest(bundle_scene):
    return load_manifest(bundle_scene)


def _draw(config, manifest, seed: int) -> EpisodeRandomization:
    return sample_episode_randomization(config, manifest, np.random.default_rng(seed), seed=seed)


def test_same_seed_same_values_other_seed_other_values(config, manifest):
    """Two draws from one seed serialize to identical JSON; another seed differs."""
    first = json.dumps(_draw(config, manifest, 7).to_json_dict(), sort_keys=True)
    assert first == json.dumps(_draw(config, manifest, 7).to_json_dict(), sort_keys=True)
    assert first != json.dumps(_draw(config, manifest, 8).to_json_dict(), sort_keys=True)


def test_randomization_round_trips_through_json(config, manifest):
    """The recorded JSON validates back into the same randomization (episode metadata)."""
    episode = _draw(config, manifest, 3)
    text = json.dumps(episode.to_json_dict())
    assert EpisodeRandomization.model_validate_json(text) == episode
    assert episode.seed == 3 and episode.policy == "table_clearing"


def _footprints(
    episode: EpisodeRandomization, manifest: SceneManifest
) -> list[tuple[str, np.ndarray]]:
    shapes: list[tuple[str, np.ndarray]] = []
    for placement in episode.placements:
        obj = manifest.object(placement.object_id)
        extents = [d * s for d, s in zip(obj.dimensions, obj.transform.scale, strict=True)]
        footprint = box_footprint(extents, placement.pose.rotation_wxyz)
        shapes.append(
            (placement.region_id, footprint.hull + np.asarray(placement.pose.position[:2]))
        )
    for distractor in episode.distractors:
        footprint = primitive_footprint(distractor.shape, distractor.size_m)
        w, _, _, z = distractor.pose.rotation_wxyz  # distractors turn about z only
        hull = rotate(footprint.hull, 2.0 * math.atan2(z, w))
        shapes.append((distractor.region_id, hull + np.asarray(distractor.pose.position[:2])))
    return shapes


@pytest.mark.parametrize("seed", range(6))
def test_scattered_footprints_are_inside_their_regions_and_apart(config, manifest, seed):
    """Every footprint (objects and distractors) lies in its region, 1 cm from the others."""
    episode = _draw(config, manifest, seed)
    assert len(episode.placements) == len(config.randomizers.object_scatter.objects)
    shapes = _footprints(episode, manifest)
    for region_id, hull in shapes:
        assert config.region(region_id).polygon.contains_convex(hull)
    for i, (_, a) in enumerate(shapes):
        for _, b in shapes[i + 1 :]:
            assert not convex_overlap(grow(a, 0.009), b)


def test_placed_objects_rest_on_the_region_and_stay_upright(config, manifest):
    """An object's lowest point is the drop height above the region; rotation is about z only."""
    episode = _draw(config, manifest, 11)
    for placement in episode.placements:
        region = config.region(placement.region_id)
        obj = manifest.object(placement.object_id)
        extents = [d * s for d, s in zip(obj.dimensions, obj.transform.scale, strict=True)]
        bottom = (
            placement.pose.position[2] + box_footprint(extents, placement.pose.rotation_wxyz).bottom
        )
        assert bottom == pytest.approx(region.contact_height_m + 0.002, abs=1e-9)
        up = quat_to_matrix(placement.pose.rotation_wxyz) @ [0.0, 0.0, 1.0]
        assert up == pytest.approx([0.0, 0.0, 1.0], abs=1e-9)


def test_physics_values_stay_within_ranges_with_static_above_dynamic(config, manifest):
    """Masses and frictions lie within the config's ranges; static >= dynamic friction."""
    targets = {t.object_id: t for t in config.randomizers.physics.targets}
    assert targets["cube_1"].mass_kg == (0.08, 0.12)  # from the manifest's ranges
    for seed in range(5):
        for sample in _draw(config, manifest, seed).physics:
            target = targets[sample.object_id]
            low, high = target.static_friction
            assert low <= sample.static_friction <= high
            assert sample.dynamic_friction <= sample.static_friction
            if target.mass_kg is None:
                assert sample.mass_kg is None
            else:
                assert target.mass_kg[0] <= sample.mass_kg <= target.mass_kg[1]


def test_randomizers_draw_from_independent_streams(config, manifest):
    """Changing the lighting's parameters changes the light only, not poses or colours."""
    assert config.randomizers.lighting is not None
    lighting = config.randomizers.lighting.model_copy(update={"intensity": (1.0, 2.0)})
    other = config.model_copy(
        update={"randomizers": config.randomizers.model_copy(update={"lighting": lighting})}
    )
    a, b = _draw(config, manifest, 5), _draw(other, manifest, 5)
    assert a.placements == b.placements and a.colors == b.colors and a.camera == b.camera
    assert b.light is not None and a.light != b.light and 1.0 <= b.light.intensity <= 2.0


def test_frame_randomization_draws_only_per_frame_randomizers(config, manifest):
    """With lighting per frame, a frame carries a light and nothing else; with_frame merges it."""
    assert config.randomizers.lighting is not None
    lighting = config.randomizers.lighting.model_copy(update={"frequency": "per_frame"})
    per_frame = config.model_copy(
        update={"randomizers": config.randomizers.model_copy(update={"lighting": lighting})}
    )
    frame = sample_frame_randomization(per_frame, np.random.default_rng(1))
    assert frame.light is not None and frame.camera is None and frame.colors == ()
    episode = _draw(per_frame, manifest, 1)
    merged = episode.with_frame(frame)
    assert merged.light == frame.light and merged.placements == episode.placements
    assert sample_frame_randomization(config, np.random.default_rng(1)).light is None


def test_colour_temperature_and_light_direction():
    """Warm light is red-heavy, daylight near white; a 0-degree light shines straight down."""
    warm, day = kelvin_to_rgb(2700), kelvin_to_rgb(6500)
    assert warm[0] == 1.0 and warm[2] < 0.6
    assert min(day) > 0.9
    assert distant_light_direction((0.0, 0.0, 0.0)) == pytest.approx((0.0, 0.0, -1.0))
    assert distant_light_direction((90.0, 0.0, 0.0)) == pytest.approx((0.0, 1.0, 0.0), abs=1e-12)
