"""The replicator step's work: regions, per-policy configs, checked samples, script, metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from replicator_job.bundle_files import (
    bundle_metadata,
    write_json,
    write_metadata,
    write_readme,
    write_script,
)
from replicator_job.episode_samples import sample_episodes
from replicator_job.llm_suggestions import suggest
from replicator_job.placement_regions import FREE_ROLES, CategorySize, RegionParams, compute_regions
from replicator_job.policy_configs import (
    DISTRACTOR_CATEGORY,
    BundleOptions,
    SceneFacts,
    policy_configs,
)
from replicator_job.regions_usd import write_regions_usd
from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
from tools.llm_client import LLMClient
from tools.randomization.config import DistractorConfig
from tools.randomization.layout import (
    REGIONS_JSON_PATH,
    REGIONS_USD_PATH,
    config_path,
    samples_path,
)
from tools.randomization.regions import RegionsFile
from tools.randomization.scatter import box_footprint
from tools.scene_layout import SCENE_TASKS_PATH, SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, load_manifest
from tools.structured_logging import get_logger
from tools.tasks.rest_scene import scene_tasks_at_rest
from tools.tasks.scene_tasks import save_scene_tasks
from tools.tracing import span

log = get_logger("replicator")


@dataclass(frozen=True)
class StepOptions:
    """Everything the step's settings decide.

    Attributes:
        bundle: choices shaping every config.
        regions: region thresholds.
        sample_episodes: episodes pre-sampled (and physics-checked) per policy.
    """

    bundle: BundleOptions = field(default_factory=BundleOptions)
    regions: RegionParams = field(default_factory=RegionParams)
    sample_episodes: int = 8


@dataclass(frozen=True)
class BundleResult:
    """What the step produced (goes into the completion marker)."""

    regions: int
    workspace_regions: int
    policies: list[str]
    samples: dict[str, int]
    files: list[str]
    llm: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return asdict(self)


def _min_width(hull: np.ndarray) -> float:
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    normals = normals[np.linalg.norm(normals, axis=1) > 1e-12]
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    spans = (hull @ normals.T).max(axis=0) - (hull @ normals.T).min(axis=0)
    return float(spans.min())


def category_sizes(
    manifest: SceneManifest, distractors: DistractorConfig
) -> dict[str, CategorySize]:
    """The largest half-width and height of each placeable category, and of distractors.

    Args:
        manifest: the scene manifest (free objects at their rest orientation).
        distractors: distractor parameters (their largest size).

    Returns:
        category -> size.
    """
    sizes: dict[str, CategorySize] = {}
    for obj in manifest.objects:
        if obj.sim_role not in FREE_ROLES:
            continue
        extents = [d * s for d, s in zip(obj.dimensions, obj.transform.scale, strict=True)]
        footprint = box_footprint(extents, obj.transform.rotation_wxyz)
        size = CategorySize(_min_width(footprint.hull) / 2.0, footprint.height)
        known = sizes.get(obj.category, size)
        sizes[obj.category] = CategorySize(
            max(known.half_width, size.half_width), max(known.height, size.height)
        )
    largest = distractors.size_m[1]
    sizes[DISTRACTOR_CATEGORY] = CategorySize(largest / 2.0, largest)
    return sizes


def build_bundle(
    scene_dir: Path, options: StepOptions, llm: LLMClient | None = None
) -> BundleResult:
    """Write the whole `replicator/` bundle of a scene whose usd step completed.

    Args:
        scene_dir: the scene folder.
        options: the step's choices.
        llm: an optional LLM client for suggestions (None: deterministic defaults).

    Returns:
        Counts, policies and written files.

    Raises:
        InputError: the manifest or stage is missing or unusable.
        PlacementError: a policy's pre-sampled episode found no penetration-free layout.
    """
    manifest = load_manifest(scene_dir)
    stage = open_scene_stage(scene_dir / SCENE_USD_PATH)
    with span("replicator.regions"):
        geometry = read_object_geometry(stage)
        # What rests on what and the candidate tasks, decided once for every later step.
        hulls = {g.object_id: g.hulls for g in geometry}
        scene_tasks = scene_tasks_at_rest(scene_dir, manifest, hulls, generator="replicator-job")
        save_scene_tasks(scene_dir, scene_tasks)
        sizes = category_sizes(manifest, DistractorConfig())
        regions = compute_regions(geometry, manifest, sizes, options.regions)
    scene_id = manifest.scene_id
    write_json(
        scene_dir / REGIONS_JSON_PATH,
        RegionsFile(
            scene_id=scene_id,
            generator="replicator-job",
            parameters=options.regions.as_dict(),
            robot=options.regions.robot,
            regions=regions,
        ),
    )
    write_regions_usd(scene_dir / REGIONS_USD_PATH, regions, scene_id)
    prims = {g.object_id: g.prim_path for g in geometry}
    facts = SceneFacts(
        manifest, regions, stage, prims, scene_tasks.supports, scene_tasks.object_boxes()
    )
    configs = policy_configs(facts, options.bundle)
    accepted = suggest(llm, manifest, sorted(configs))
    if accepted is not None and accepted.distractor_labels:
        configs = policy_configs(
            facts, replace(options.bundle, distractor_labels=accepted.distractor_labels)
        )
    files = [SCENE_TASKS_PATH, REGIONS_JSON_PATH, REGIONS_USD_PATH]
    samples: dict[str, int] = {}
    for policy, config in sorted(configs.items()):
        write_json(scene_dir / config_path(policy), config)
        with span("replicator.samples", policy=policy):
            drawn = sample_episodes(scene_dir, config, manifest, options.sample_episodes)
        write_json(scene_dir / samples_path(policy), drawn)
        samples[policy] = len(drawn.episodes)
        files += [config_path(policy), samples_path(policy)]
    if not configs:
        log.warning("scene %s supports no policy: only placement regions were written", scene_id)
    files.append(write_script(scene_dir))
    files.append(write_readme(scene_dir, scene_id, options.bundle.seed, configs))
    llm_record = accepted.record if accepted is not None else None
    extra = {
        "regions": len(regions),
        "samples_per_policy": options.sample_episodes,
        "primary_policy": (
            accepted.primary_policy if accepted else (sorted(configs)[0] if configs else None)
        ),
        "llm": llm_record,
    }
    metadata = bundle_metadata(scene_dir, scene_id, options.bundle.seed, sorted(configs), extra)
    files.append(write_metadata(scene_dir, metadata))
    workspace = sum(1 for r in regions if r.kind == "workspace")
    return BundleResult(
        len(regions) - workspace, workspace, sorted(configs), samples, files, llm_record
    )
