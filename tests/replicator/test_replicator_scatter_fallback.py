"""A scattered object with no free spot keeps its rest pose instead of failing the layout."""

from __future__ import annotations

import numpy as np
import pytest

from tools.randomization import BundleConfig, load_bundle_config, sample_episode_randomization
from tools.randomization.config import ScatterConfig
from tools.randomization.errors import PlacementError
from tools.randomization.planar import convex_overlap, grow
from tools.randomization.regions import PlacementRegion
from tools.randomization.scatter import (
    Item,
    Obstacle,
    place_items,
    place_or_keep,
    primitive_footprint,
)
from tools.scene_manifest import load_manifest

IDENTITY = (1.0, 0.0, 0.0, 0.0)


def _region(region_id: str, x0: float, y0: float, width: float, depth: float) -> PlacementRegion:
    return PlacementRegion.model_validate(
        {
            "id": region_id,
            "kind": "workspace",
            "support_id": "table",
            "support_category": "table",
            "support_prim_path": "/World/Objects/table",
            "prim_path": f"/World/PlacementRegions/{region_id}",
            "height_m": 0.75,
            "contact_height_m": 0.75,
            "clearance_m": 2.0,
            "clearance_source": "room",
            "exterior": [[x0, y0], [x0 + width, y0], [x0 + width, y0 + depth], [x0, y0 + depth]],
            "area_m2": width * depth,
            "oriented_box": {
                "center": [x0 + width / 2, y0 + depth / 2],
                "size": [width, depth],
                "yaw_rad": 0.0,
            },
            "categories": ["box", "distractor"],
        }
    )


def _rest(x: float, y: float, size: float) -> Obstacle:
    half = size / 2.0
    hull = np.array([[x - half, y - half], [x + half, y - half], [x + half, y + half]])
    return Obstacle(np.vstack([hull, [[x - half, y + half]]]), 0.75, 0.75 + size)


def _item(key: str, size: float, region: PlacementRegion) -> Item:
    footprint = primitive_footprint("box", (size, size, size))
    return Item(key, footprint, IDENTITY, (region,))


QUICK = ScatterConfig(tries_per_object=60, restarts=2, yaw_range_deg=0.0)


def test_two_objects_in_a_region_for_one_keep_the_second_at_rest():
    """Only one 0.3 m box fits a 0.4 m square: place_items fails, place_or_keep keeps one."""
    region = _region("narrow", 0.0, 0.0, 0.4, 0.4)
    items = [_item("first", 0.3, region), _item("second", 0.3, region)]
    rest = {"first": _rest(1.0, 0.0, 0.3), "second": _rest(0.8, 0.8, 0.3)}
    with pytest.raises(PlacementError):
        place_items(items, [], QUICK, np.random.default_rng(0))
    placed, kept = place_or_keep(items, rest, [], QUICK, np.random.default_rng(0))
    assert len(placed) == 1 and len(kept) == 1 and placed[0].key not in kept
    # the object placed keeps clear of where the kept one stands
    assert not convex_overlap(grow(placed[0].obstacle.hull, QUICK.min_gap_m), rest[kept[0]].hull)


def test_an_object_larger_than_every_region_stays_at_rest_and_others_are_placed():
    """A box bigger than its region is kept at rest; a small one is still scattered."""
    region = _region("small", 0.0, 0.0, 0.25, 0.25)
    items = [_item("huge", 0.4, region), _item("cube", 0.05, region)]
    rest = {"huge": _rest(2.0, 2.0, 0.4), "cube": _rest(0.1, 0.1, 0.05)}
    placed, kept = place_or_keep(items, rest, [], QUICK, np.random.default_rng(1))
    assert kept == ("huge",)
    assert [p.key for p in placed] == ["cube"]
    assert region.polygon.contains_convex(placed[0].obstacle.hull)


def test_same_generator_state_gives_the_same_fallback():
    region = _region("narrow", 0.0, 0.0, 0.4, 0.4)
    items = [_item("first", 0.3, region), _item("second", 0.3, region)]
    rest = {"first": _rest(1.0, 0.0, 0.3), "second": _rest(0.8, 0.8, 0.3)}
    runs = [place_or_keep(items, rest, [], QUICK, np.random.default_rng(5)) for _ in range(2)]
    assert runs[0][1] == runs[1][1]
    assert [p.position for p in runs[0][0]] == [p.position for p in runs[1][0]]


def _with_tiny_scatter_region(config: BundleConfig) -> BundleConfig:
    """The config with every scattered object sent to a 4 cm square no object fits."""
    base = config.region(config.randomizers.object_scatter.objects[0].regions[0])
    x, y = base.oriented_box.center
    data = base.model_dump(mode="json")
    tiny = _region("tiny", x, y, 0.04, 0.04).model_dump(mode="json")
    data.update({k: tiny[k] for k in ("id", "prim_path", "exterior", "area_m2", "oriented_box")})
    region = PlacementRegion.model_validate(data)
    scatter = config.randomizers.object_scatter
    objects = tuple(o.model_copy(update={"regions": ("tiny",)}) for o in scatter.objects)
    randomizers = config.randomizers.model_copy(
        update={"object_scatter": scatter.model_copy(update={"objects": objects})}
    )
    return BundleConfig.model_validate(
        {
            **config.model_dump(mode="json"),
            "randomizers": randomizers.model_dump(mode="json"),
            "regions": [*config.model_dump(mode="json")["regions"], region.model_dump(mode="json")],
        }
    )


def test_an_episode_whose_objects_cannot_be_scattered_keeps_them_at_rest(bundle_scene):
    """The sampler records the objects kept at rest instead of raising PlacementError."""
    config = _with_tiny_scatter_region(load_bundle_config(bundle_scene, "pick_and_place"))
    manifest = load_manifest(bundle_scene)
    episode = sample_episode_randomization(config, manifest, np.random.default_rng(3), seed=3)
    scattered = sorted(o.object_id for o in config.randomizers.object_scatter.objects)
    assert episode.placements == ()
    assert [k.object_id for k in episode.kept_at_rest] == scattered
    for kept in episode.kept_at_rest:  # the rest pose is the manifest's
        transform = manifest.object(kept.object_id).transform
        assert kept.pose.position == pytest.approx(transform.position)
        assert kept.pose.rotation_wxyz == pytest.approx(transform.rotation_wxyz)


def test_objects_kept_at_rest_go_back_to_rest_in_mujoco(bundle_scene):
    """Applied after a layout that moved them, a sample keeping them at rest puts them back."""
    import mujoco

    from tools.randomization import apply_to_mujoco, load_randomizable_scene

    config = load_bundle_config(bundle_scene, "pick_and_place")
    manifest = load_manifest(bundle_scene)
    scene = load_randomizable_scene(bundle_scene / "usd" / "scene.usda", config)
    data = mujoco.MjData(scene.model)
    moved = sample_episode_randomization(config, manifest, np.random.default_rng(4))
    kept = sample_episode_randomization(
        _with_tiny_scatter_region(config), manifest, np.random.default_rng(4)
    )
    apply_to_mujoco(moved, scene.model, data, scene.objects)
    apply_to_mujoco(kept, scene.model, data, scene.objects)
    assert kept.kept_at_rest
    for rest in kept.kept_at_rest:
        body = scene.model.body(scene.objects[rest.object_id].prim_path)
        assert data.xpos[body.id] == pytest.approx(rest.pose.position, abs=1e-6)


def test_min_width_of_a_turned_rectangle_is_its_short_side():
    from tools.randomization.planar import min_width, rotate

    rectangle = np.array([[-0.2, -0.05], [0.2, -0.05], [0.2, 0.05], [-0.2, 0.05]])
    assert min_width(rotate(rectangle, 0.7)) == pytest.approx(0.1)


def test_a_long_thin_object_still_fits_a_narrow_long_region():
    """The width check refuses only what no yaw can fit: a 0.3 x 0.06 stick in a 0.1 m lane."""
    region = _region("lane", 0.0, 0.0, 1.0, 0.1)
    stick = primitive_footprint("box", (0.3, 0.06, 0.05))
    params = ScatterConfig(tries_per_object=400, restarts=2, yaw_range_deg=5.0)
    placed = place_items(
        [Item("stick", stick, IDENTITY, (region,))], [], params, np.random.default_rng(2)
    )
    assert [p.key for p in placed] == ["stick"]


def test_scattered_objects_are_set_down_on_their_collision_hulls_bottom(bundle_scene):
    """The bundle records each scattered object's hull bottom and height at rest (the contract's
    boxes), and the sampler sets it down by them: the box corners of a slanted round object
    (an orange reconstructed at a tilt) lie below its real bottom, and it dropped that far."""
    from tools.rotations import quat_multiply
    from tools.tasks.scene_tasks import load_scene_tasks

    config = load_bundle_config(bundle_scene, "pick_and_place")
    manifest = load_manifest(bundle_scene)
    boxes = load_scene_tasks(bundle_scene, manifest).object_boxes()
    scatter = config.randomizers.object_scatter
    assert scatter.objects
    for entry in scatter.objects:
        box, z = boxes[entry.object_id], manifest.object(entry.object_id).transform.position[2]
        assert entry.rest_bottom_m == pytest.approx(box.bottom - z, abs=1e-5)
        assert entry.rest_height_m == pytest.approx(box.top - box.bottom, abs=1e-5)
    episode = sample_episode_randomization(config, manifest, np.random.default_rng(7))
    entries = {e.object_id: e for e in scatter.objects}
    assert episode.placements
    for placed in episode.placements:
        bottom = entries[placed.object_id].rest_bottom_m
        assert bottom is not None
        surface = config.region(placed.region_id).contact_height_m + scatter.drop_height_m
        assert placed.pose.position[2] == pytest.approx(surface - bottom, abs=1e-9)
    # Slant one object 30 degrees: by its box corners it would float above its hull bottom.
    first = scatter.objects[0]
    tilt = (float(np.cos(np.pi / 12)), float(np.sin(np.pi / 12)), 0.0, 0.0)
    obj = manifest.object(first.object_id)
    slanted = obj.model_copy(
        update={
            "transform": obj.transform.model_copy(
                update={"rotation_wxyz": quat_multiply(tilt, obj.transform.rotation_wxyz)}
            )
        }
    )
    tilted = manifest.model_copy(
        update={"objects": [slanted if o.id == obj.id else o for o in manifest.objects]}
    )
    by_box = config.model_copy(
        update={
            "randomizers": config.randomizers.model_copy(
                update={
                    "object_scatter": scatter.model_copy(
                        update={
                            "objects": tuple(
                                e.model_copy(update={"rest_bottom_m": None, "rest_height_m": None})
                                for e in scatter.objects
                            )
                        }
                    )
                }
            )
        }
    )
    heights = []
    for cfg in (config, by_box):
        sample = sample_episode_randomization(cfg, tilted, np.random.default_rng(7))
        spot = next(p for p in sample.placements if p.object_id == first.object_id)
        heights.append(spot.pose.position[2] - config.region(spot.region_id).contact_height_m)
    assert heights[1] > heights[0] + 0.005
