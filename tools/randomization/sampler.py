"""Sampling of one episode's (or frame's) randomization from a policy config and the manifest."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from tools.randomization.config import (
    BundleConfig,
    CameraJitterConfig,
    ColorConfig,
    DistractorConfig,
    LightingConfig,
    PhysicsConfig,
)
from tools.randomization.joints import sample_joints
from tools.randomization.layout import distractor_name
from tools.randomization.lighting import distant_light_direction, kelvin_to_rgb
from tools.randomization.samples import (
    CameraSample,
    ColorSample,
    DistractorSample,
    EpisodeRandomization,
    FrameRandomization,
    LightSample,
    ObjectPlacement,
    PhysicsSample,
    Pose,
    RestPose,
    Vec3,
)
from tools.randomization.scatter import (
    Item,
    Obstacle,
    box_footprint,
    place_items,
    place_or_keep,
    primitive_footprint,
)
from tools.rotations import quat_multiply, random_small_rotation
from tools.scene_manifest import SceneManifest, SceneObject, SimRole

_FREE_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)
_STREAMS = 7  # layout, light, object colours, background colours, camera, physics, joints


def _vec3(values: np.ndarray) -> Vec3:
    return (float(values[0]), float(values[1]), float(values[2]))


def _extents(obj: SceneObject) -> tuple[float, float, float]:
    d, s = obj.dimensions, obj.transform.scale
    return (d[0] * s[0], d[1] * s[1], d[2] * s[2])


def _rest_obstacle(obj: SceneObject) -> Obstacle:
    footprint = box_footprint(_extents(obj), obj.transform.rotation_wxyz)
    x, y, z = obj.transform.position
    low = z + footprint.bottom
    return Obstacle(footprint.hull + np.array([x, y]), low, low + footprint.height)


def _rest_pose(manifest: SceneManifest, object_id: str) -> Pose:
    transform = manifest.object(object_id).transform
    return Pose(
        position=_vec3(np.asarray(transform.position)), rotation_wxyz=transform.rotation_wxyz
    )


def _layout(
    config: BundleConfig, manifest: SceneManifest, rng: np.random.Generator
) -> tuple[tuple[ObjectPlacement, ...], tuple[RestPose, ...], tuple[DistractorSample, ...]]:
    scatter = config.randomizers.object_scatter
    moved = {o.object_id: o for o in scatter.objects} if scatter.enabled else {}
    items = []
    for entry in moved.values():
        obj = manifest.object(entry.object_id)
        footprint = box_footprint(_extents(obj), obj.transform.rotation_wxyz)
        if entry.rest_bottom_m is not None and entry.rest_height_m is not None:
            # Set down by its collision hulls' real bottom; the box's outline stays the
            # (conservative) footprint.
            footprint = replace(footprint, bottom=entry.rest_bottom_m, height=entry.rest_height_m)
        regions = tuple(config.region(r) for r in entry.regions)
        items.append(Item(obj.id, footprint, obj.transform.rotation_wxyz, regions))
    items.sort(key=lambda item: -float(np.ptp(item.footprint.hull, axis=0).prod()))
    obstacles = [
        _rest_obstacle(o)
        for o in manifest.objects
        if o.sim_role in _FREE_ROLES and o.id not in moved
    ]
    rest = {key: _rest_obstacle(manifest.object(key)) for key in moved}
    placed, kept = place_or_keep(items, rest, obstacles, scatter, rng)
    placements = tuple(
        ObjectPlacement(
            object_id=p.key,
            prim_path=moved[p.key].prim_path,
            region_id=p.region.id,
            pose=Pose(position=p.position, rotation_wxyz=p.rotation),
        )
        for p in sorted(placed, key=lambda p: p.key)
    )
    at_rest = tuple(
        RestPose(object_id=key, prim_path=moved[key].prim_path, pose=_rest_pose(manifest, key))
        for key in sorted(kept)
    )
    occupied = [*obstacles, *(rest[key] for key in kept), *(p.obstacle for p in placed)]
    return placements, at_rest, _distractors(config, occupied, rng)


def _distractors(
    config: BundleConfig, obstacles: list[Obstacle], rng: np.random.Generator
) -> tuple[DistractorSample, ...]:
    params: DistractorConfig = config.randomizers.distractors
    if not params.enabled or not params.regions or params.slots == 0:
        return ()
    regions = tuple(config.region(r) for r in params.regions)
    count = int(rng.integers(params.count[0], params.count[1] + 1))
    drafts: dict[str, DistractorSample] = {}
    items = []
    for slot in range(count):
        shape = params.shapes[slot % len(params.shapes)]
        low, high = params.size_m
        if shape == "box":
            size = _vec3(rng.uniform(low, high, 3))
        elif shape == "cylinder":
            diameter, height = rng.uniform(low, high, 2)
            size = (float(diameter), float(diameter), float(height))
        else:
            diameter = float(rng.uniform(low, high))
            size = (diameter, diameter, diameter)
        name = distractor_name(slot)
        drafts[name] = DistractorSample(
            slot=slot,
            name=name,
            shape=shape,
            size_m=size,
            region_id=regions[0].id,
            pose=Pose(position=(0.0, 0.0, 0.0), rotation_wxyz=(1.0, 0.0, 0.0, 0.0)),
            rgb=_vec3(rng.uniform(params.rgb_low, params.rgb_high)),
            mass_kg=float(rng.uniform(*params.mass_kg)),
            friction=params.friction,
            label=params.labels[int(rng.integers(len(params.labels)))],
        )
        items.append(Item(name, primitive_footprint(shape, size), (1.0, 0.0, 0.0, 0.0), regions))
    scatter = config.randomizers.object_scatter
    placed = place_items(items, obstacles, scatter, rng, required=False)
    return tuple(
        drafts[p.key].model_copy(
            update={
                "region_id": p.region.id,
                "pose": Pose(position=p.position, rotation_wxyz=p.rotation),
            }
        )
        for p in placed
    )


def _light(params: LightingConfig, rng: np.random.Generator) -> LightSample:
    intensity = float(rng.uniform(*params.intensity))
    kelvin = float(rng.uniform(*params.color_temperature_k))
    rotation = (
        float(rng.uniform(*params.rotation_x_deg)),
        0.0,
        float(rng.uniform(*params.rotation_z_deg)),
    )
    return LightSample(
        prim_path=params.prim_path,
        intensity=intensity,
        color_temperature_k=kelvin,
        rotation_xyz_deg=rotation,
        direction=distant_light_direction(rotation),
        rgb=kelvin_to_rgb(kelvin),
        relative_intensity=intensity / params.nominal_intensity,
    )


def _colors(params: ColorConfig, rng: np.random.Generator) -> tuple[ColorSample, ...]:
    tints: dict[str, np.ndarray] = {}
    samples = []
    for target in params.targets:  # one tint per object, drawn in config order
        if target.object_id not in tints:
            tints[target.object_id] = rng.uniform(params.tint_low, params.tint_high)
        rgb = np.clip(tints[target.object_id] * np.asarray(target.base_rgb), 0.0, 1.0)
        samples.append(
            ColorSample(
                object_id=target.object_id,
                material_path=target.material_path,
                shader_path=target.shader_path,
                shader_input=target.shader_input,
                rgb=_vec3(rgb),
            )
        )
    return tuple(samples)


def _camera(params: CameraJitterConfig, rng: np.random.Generator) -> CameraSample:
    offset = rng.uniform(-params.position_m, params.position_m, 3)
    position = _vec3(np.asarray(params.nominal.position) + offset)
    turn = random_small_rotation(rng, math.radians(params.rotation_deg))
    rotation = quat_multiply(params.nominal.rotation_wxyz, turn)  # about the camera's own axes
    return CameraSample(
        prim_path=params.prim_path, pose=Pose(position=position, rotation_wxyz=rotation)
    )


def _physics(params: PhysicsConfig, rng: np.random.Generator) -> tuple[PhysicsSample, ...]:
    samples = []
    for target in params.targets:
        quantile = float(rng.uniform())  # one quantile for both frictions keeps static >= dynamic
        static = target.static_friction[0] + quantile * np.ptp(target.static_friction)
        dynamic = target.dynamic_friction[0] + quantile * np.ptp(target.dynamic_friction)
        mass = float(rng.uniform(*target.mass_kg)) if target.mass_kg else None
        samples.append(
            PhysicsSample(
                object_id=target.object_id,
                prim_path=target.prim_path,
                material_path=target.material_path,
                mass_kg=mass,
                static_friction=float(static),
                dynamic_friction=float(min(dynamic, static)),
            )
        )
    return tuple(samples)


def sample_episode_randomization(
    config: BundleConfig,
    manifest: SceneManifest,
    rng: np.random.Generator,
    *,
    seed: int | None = None,
) -> EpisodeRandomization:
    """Draw every randomizer of a policy for one episode.

    `rng` is split into one independent stream per randomizer (layout, light, object colours,
    background colours, camera, physics), so changing one randomizer's parameters leaves the
    others' values unchanged. The same config, manifest and generator state give the same
    values.

    Args:
        config: the policy's bundle config (`load_bundle_config`).
        manifest: the scene manifest the config was made for.
        rng: the episode's generator, e.g. `np.random.default_rng(episode_seed)`.
        seed: the seed `rng` was built from, recorded in the result (optional).

    Returns:
        The episode's values (serialize with `to_json_dict()`).

    A scattered object that finds no free spot keeps its rest pose (listed in
    `kept_at_rest`) instead of failing the episode; distractors that find none are left out.

    Raises:
        KeyError: the config names an object the manifest lacks.
    """
    streams = rng.spawn(_STREAMS)  # a new stream goes last: earlier ones keep their values
    layout_rng, light_rng, color_rng, background_rng, camera_rng, physics_rng = streams[:6]
    r = config.randomizers
    placements, kept_at_rest, distractors = _layout(config, manifest, layout_rng)
    light = _light(r.lighting, light_rng) if r.lighting and r.lighting.enabled else None
    colors = _colors(r.object_colors, color_rng) if r.object_colors.enabled else ()
    if r.background_colors.enabled:
        colors += _colors(r.background_colors, background_rng)
    camera = (
        _camera(r.camera_jitter, camera_rng)
        if r.camera_jitter and r.camera_jitter.enabled
        else None
    )
    physics = _physics(r.physics, physics_rng) if r.physics.enabled else ()
    joints = sample_joints(r.joints, manifest, streams[6]) if r.joints.enabled else ()
    return EpisodeRandomization(
        scene_id=config.scene_id,
        policy=config.policy,
        seed=seed,
        placements=placements,
        kept_at_rest=kept_at_rest,
        distractors=distractors,
        light=light,
        colors=colors,
        camera=camera,
        physics=physics,
        joints=joints,
    )


def sample_frame_randomization(
    config: BundleConfig, rng: np.random.Generator
) -> FrameRandomization:
    """Draw the randomizers whose frequency is "per_frame" (light, colours, camera).

    Args:
        config: the policy's bundle config.
        rng: a generator for this frame (e.g. spawned from the episode's).

    Returns:
        The frame's values; apply `episode.with_frame(frame)` with `apply_to_mujoco`.
    """
    light_rng, color_rng, background_rng, camera_rng = rng.spawn(4)
    r = config.randomizers
    light = None
    if r.lighting and r.lighting.enabled and r.lighting.frequency == "per_frame":
        light = _light(r.lighting, light_rng)
    colors: tuple[ColorSample, ...] = ()
    if r.object_colors.enabled and r.object_colors.frequency == "per_frame":
        colors += _colors(r.object_colors, color_rng)
    if r.background_colors.enabled and r.background_colors.frequency == "per_frame":
        colors += _colors(r.background_colors, background_rng)
    camera = None
    if r.camera_jitter and r.camera_jitter.enabled and r.camera_jitter.frequency == "per_frame":
        camera = _camera(r.camera_jitter, camera_rng)
    return FrameRandomization(light=light, colors=colors, camera=camera)
