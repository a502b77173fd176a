"""Which policies a scene supports, and each one's randomizer config built from the scene."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pxr import Usd

from replicator_job.physics_targets import physics_config
from replicator_job.scene_targets import (
    color_targets,
    key_light,
    scene_camera,
)
from tools.randomization.config import (
    BundleConfig,
    CameraJitterConfig,
    ColorConfig,
    DistractorConfig,
    Frequency,
    LightingConfig,
    Randomizers,
    ScatterConfig,
    ScatterObject,
    TaskSpec,
)
from tools.randomization.layout import (
    POLICY_PICK_AND_PLACE,
    POLICY_TABLE_CLEARING,
    REGIONS_USD_PATH,
)
from tools.randomization.regions import PlacementRegion
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, SceneObject, SimRole
from tools.tasks.geometry import ObjectBox

DISTRACTOR_CATEGORY = "distractor"
MAX_FILL = 0.35  # scattered footprints cover at most this share of the scatter regions
SCATTER_GAP_M = 0.01  # = ScatterConfig.min_gap_m: counted around each footprint


@dataclass(frozen=True)
class BundleOptions:
    """Choices of the step that shape every config.

    Attributes:
        seed: the bundle's seed (recorded in each config).
        max_distractors: distractor slots per policy.
        per_frame: randomizers drawn per frame: lighting, object_colors, background_colors,
            camera_jitter.
        camera_jitter_m: camera position jitter per axis.
        camera_jitter_deg: camera rotation jitter.
        distractor_labels: semantic classes given to distractors.
    """

    seed: int = 0
    max_distractors: int = 3
    per_frame: frozenset[str] = frozenset()
    camera_jitter_m: float = 0.02
    camera_jitter_deg: float = 2.0
    distractor_labels: tuple[str, ...] = (DISTRACTOR_CATEGORY,)


@dataclass(frozen=True)
class SceneFacts:
    """What configs are built from: manifest, regions, stage, object prims and what rests on
    what (`replicator/scene_tasks.json`'s supports)."""

    manifest: SceneManifest
    regions: tuple[PlacementRegion, ...]
    stage: Usd.Stage
    prims: dict[str, str]
    supports: Mapping[str, str | None]
    # Each object's box around its collision hulls at rest (the contract's boxes): where a
    # scattered object's real bottom is.
    rest_boxes: Mapping[str, ObjectBox] = field(default_factory=dict)


def work_surface(facts: SceneFacts) -> str | None:
    """The robot's work surface: the manifest's, else the support with most resting objects.

    Args:
        facts: the scene.

    Returns:
        The support's object id, or None when nothing rests on any support.
    """
    if facts.manifest.robot.work_surface is not None:
        return facts.manifest.robot.work_surface
    counts: dict[str, int] = {}
    for region in facts.regions:
        if region.kind == "support":
            counts[region.support_id] = counts.get(region.support_id, 0) + len(
                region.resting_objects
            )
    best = max(sorted(counts), key=lambda k: counts[k], default=None)
    return best if best is not None and counts[best] > 0 else None


def _reach_regions(facts: SceneFacts, support: str | None, *, on: bool) -> list[PlacementRegion]:
    return [r for r in facts.regions if r.kind == "workspace" and (r.support_id == support) == on]


def _task_objects(facts: SceneFacts, support: str) -> list[SceneObject]:
    resting = {
        o
        for r in facts.regions
        if r.support_id == support and r.kind != "workspace"
        for o in r.resting_objects
    }
    on_top = {oid for oid, below in facts.supports.items() if below == support}
    return [
        o
        for o in facts.manifest.objects
        if o.sim_role == SimRole.MANIPULABLE and o.id in resting | on_top
    ]


def _footprint_area(obj: SceneObject) -> float:
    d, s = obj.dimensions, obj.transform.scale
    return (d[0] * s[0] + 2 * SCATTER_GAP_M) * (d[1] * s[1] + 2 * SCATTER_GAP_M)


def _scatter(
    facts: SceneFacts, objects: Sequence[SceneObject], regions: Sequence[PlacementRegion]
) -> ScatterConfig:
    """Objects that fit a region, largest first, while they cover at most MAX_FILL of it.

    Objects left out stay at rest (the sampler keeps clear of them), so a crowded surface
    still gets a layout instead of failing every episode.
    """
    entries = []
    budget = MAX_FILL * sum(r.area_m2 for r in regions)
    for obj in sorted(objects, key=lambda o: (-_footprint_area(o), o.id)):
        fitting = tuple(r.id for r in regions if obj.category in r.categories)
        if not fitting or _footprint_area(obj) > budget:
            continue
        budget -= _footprint_area(obj)
        box = facts.rest_boxes.get(obj.id)
        at_rest = (
            {}
            if box is None
            else {
                "rest_bottom_m": round(box.bottom - obj.transform.position[2], 6),
                "rest_height_m": round(box.top - box.bottom, 6),
            }
        )
        entries.append(
            ScatterObject(
                object_id=obj.id,
                prim_path=facts.prims[obj.id],
                category=obj.category,
                regions=fitting,
                **at_rest,
            )
        )
    return ScatterConfig(objects=tuple(sorted(entries, key=lambda e: e.object_id)))


def _colors(facts: SceneFacts, objects: Sequence[SceneObject], frequency: Frequency) -> ColorConfig:
    targets = [t for o in objects for t in color_targets(facts.stage, o.id, facts.prims[o.id])]
    return ColorConfig(frequency=frequency, targets=tuple(targets))


def _frequency(options: BundleOptions, name: str) -> Frequency:
    return "per_frame" if name in options.per_frame else "per_episode"


def build_config(
    facts: SceneFacts,
    policy: str,
    task: TaskSpec,
    scatter_regions: Sequence[PlacementRegion],
    distractors: tuple[int, int],
    options: BundleOptions,
) -> BundleConfig:
    """One policy's config: its task, every randomizer's parameters and the regions used.

    Args:
        facts: the scene.
        policy: the policy name.
        task: task objects, work surface and place regions.
        scatter_regions: where task objects and distractors are scattered.
        distractors: (min, max) distractors per episode.
        options: step choices.

    Returns:
        The config (regions it names embedded).
    """
    manifest = facts.manifest
    objects = [manifest.object(i) for i in task.objects]
    light, camera = key_light(facts.stage), scene_camera(facts.stage)
    lighting = None
    if light is not None:
        lighting = LightingConfig(
            frequency=_frequency(options, "lighting"),
            prim_path=light.prim_path,
            nominal_intensity=light.intensity,
            intensity=(0.5 * light.intensity, 1.5 * light.intensity),
        )
    jitter = None
    if camera is not None:
        jitter = CameraJitterConfig(
            frequency=_frequency(options, "camera_jitter"),
            prim_path=camera.prim_path,
            nominal=camera.pose,
            nominal_rotation_xyz_deg=camera.rotation_xyz_deg,
            position_m=options.camera_jitter_m,
            rotation_deg=options.camera_jitter_deg,
        )
    background = [o for o in manifest.objects if o.sim_role in (SimRole.STATIC, SimRole.BACKGROUND)]
    distractor_regions = tuple(r.id for r in scatter_regions if DISTRACTOR_CATEGORY in r.categories)
    randomizers = Randomizers(
        object_scatter=_scatter(facts, objects, scatter_regions),
        distractors=DistractorConfig(
            count=distractors,
            regions=distractor_regions,
            labels=options.distractor_labels,
            enabled=bool(distractor_regions) and distractors[1] > 0,
        ),
        lighting=lighting,
        object_colors=_colors(facts, objects, _frequency(options, "object_colors")),
        background_colors=_colors(facts, background, _frequency(options, "background_colors")),
        camera_jitter=jitter,
        physics=physics_config(facts.manifest, facts.stage, facts.prims),
    )
    used = {r for o in randomizers.object_scatter.objects for r in o.regions}
    used |= set(randomizers.distractors.regions) | set(task.place_regions)
    return BundleConfig(
        scene_id=manifest.scene_id,
        policy=policy,
        seed=options.seed,
        scene_usd=SCENE_USD_PATH,
        regions_usd=REGIONS_USD_PATH,
        task=task,
        randomizers=randomizers,
        regions=tuple(r for r in facts.regions if r.id in used),
    )


def policy_configs(facts: SceneFacts, options: BundleOptions) -> dict[str, BundleConfig]:
    """A config for each policy the scene supports.

    pick_and_place needs a manipulable object on the robot's work surface with room within
    reach; table_clearing also needs somewhere else within reach to put objects down.

    Args:
        facts: the scene.
        options: step choices.

    Returns:
        policy -> config, for the supported policies only.
    """
    support = work_surface(facts)
    if support is None:
        return {}
    on_surface = _reach_regions(facts, support, on=True)
    elsewhere = _reach_regions(facts, support, on=False)
    objects = _task_objects(facts, support)
    scatter = _scatter(facts, objects, on_surface)
    if not scatter.objects:
        return {}
    ids = tuple(o.object_id for o in scatter.objects)
    surface_ids = tuple(r.id for r in on_surface)
    configs = {
        POLICY_PICK_AND_PLACE: build_config(
            facts,
            POLICY_PICK_AND_PLACE,
            TaskSpec(
                description="pick one task object and place it on a free spot of the work surface",
                objects=ids,
                work_surface=support,
                place_regions=surface_ids,
            ),
            on_surface,
            (0, min(2, options.max_distractors)),
            options,
        )
    }
    if elsewhere:
        configs[POLICY_TABLE_CLEARING] = build_config(
            facts,
            POLICY_TABLE_CLEARING,
            TaskSpec(
                description="move every object off the work surface to reachable regions elsewhere",
                objects=ids,
                work_surface=support,
                place_regions=tuple(r.id for r in elsewhere),
            ),
            on_surface,
            (min(1, options.max_distractors), options.max_distractors),
            options,
        )
    return configs
