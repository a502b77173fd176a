"""Validation of the `replicator` step: regions, prim paths, scripts, physics of the samples."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from replicator_job.bundle_files import script_text
from replicator_job.episode_samples import physics_check
from replicator_job.region_checks import (
    collect_prim_paths,
    compose_with_regions,
    missing_prims,
    region_problems,
    script_compiles,
    script_prim_literals,
)
from replicator_job.scene_geometry import open_scene_stage, read_object_geometry
from tools.errors import InputError
from tools.provenance import sha256_file
from tools.randomization import BundleConfig, load_bundle_config
from tools.randomization.layout import (
    METADATA_PATH,
    REGIONS_JSON_PATH,
    REGIONS_USD_PATH,
    SCRIPT_PATH,
    samples_path,
)
from tools.randomization.regions import RegionsFile
from tools.randomization.samples import EpisodeSamples
from tools.scene_layout import SCENE_USD_PATH
from tools.steps import Check, StepContext, Validation

MAX_PENETRATION_M = 0.001
MAX_DISPLACEMENT_M = 0.01


def check_regions(scene_dir: Path) -> Check:
    """Every region lies on the top of its support's mesh (1 cm) and inside its footprint.

    Args:
        scene_dir: the scene folder.

    Returns:
        The check.
    """
    regions = RegionsFile.model_validate_json((scene_dir / REGIONS_JSON_PATH).read_text())
    geometry = {
        g.object_id: g for g in read_object_geometry(open_scene_stage(scene_dir / SCENE_USD_PATH))
    }
    problems = [p for r in regions.regions for p in region_problems(r, geometry[r.support_id])]
    detail = f"{len(regions.regions)} regions on their supports"
    return Check(
        "placement_regions",
        not problems,
        detail,
        {"regions": len(regions.regions)},
        tuple(problems),
    )


def check_prims_and_script(scene_dir: Path, configs: list[BundleConfig]) -> Check:
    """The script compiles; every prim it and the configs name exists in scene.usda (+ regions).

    Args:
        scene_dir: the scene folder.
        configs: the policies' configs.

    Returns:
        The check.
    """
    stage = compose_with_regions(scene_dir / SCENE_USD_PATH, scene_dir / REGIONS_USD_PATH)
    bundled = (scene_dir / SCRIPT_PATH).read_text()
    problems = [e for e in (script_compiles(bundled, SCRIPT_PATH),) if e]
    if bundled != script_text():
        problems.append(f"{SCRIPT_PATH} differs from the job's script")
    paths = script_prim_literals(bundled)
    for config in configs:
        paths |= collect_prim_paths(config.model_dump(mode="json"))
    problems += [f"missing prim {p}" for p in missing_prims(stage, paths)]
    return Check(
        "prims_and_script",
        not problems,
        f"{len(paths)} prim paths checked",
        {"prims": len(paths)},
        tuple(problems),
    )


def check_samples_physics(scene_dir: Path, config: BundleConfig) -> Check:
    """The first pre-sampled episode: no contact deeper than 1 mm, nothing moves > 1 cm in 1 s.

    Args:
        scene_dir: the scene folder.
        config: the policy's config.

    Returns:
        The check.
    """
    samples = EpisodeSamples.model_validate_json(
        (scene_dir / samples_path(config.policy)).read_text()
    )
    figures = physics_check(scene_dir, config, samples.episodes[0])
    problems = []
    if float(figures["initial_penetration_m"]) > MAX_PENETRATION_M:
        problems.append(
            f"initial penetration {float(figures['initial_penetration_m']) * 1e3:.2f} mm"
        )
    if float(figures["max_displacement_m"]) > MAX_DISPLACEMENT_M or not figures["stable"]:
        problems.append(f"a placed body moved {float(figures['max_displacement_m']) * 100:.1f} cm")
    return Check(
        f"physics_{config.policy}",
        not problems,
        "first sample applied in MuJoCo",
        dict(figures),
        tuple(problems),
    )


def check_metadata(scene_dir: Path) -> Check:
    """bundle_metadata.json lists every bundle file with its current sha256.

    Args:
        scene_dir: the scene folder.

    Returns:
        The check.
    """
    metadata = json.loads((scene_dir / METADATA_PATH).read_text())
    recorded: dict[str, str] = metadata.get("files_sha256", {})
    problems = [
        p
        for p, digest in sorted(recorded.items())
        if not (scene_dir / p).is_file() or sha256_file(scene_dir / p) != digest
    ]
    return Check(
        "metadata",
        not problems,
        f"{len(recorded)} files hashed",
        {"files": len(recorded)},
        tuple(f"{p}: changed or missing" for p in problems),
    )


def validate_bundle(ctx: StepContext) -> Validation:
    """Validate `replicator/` against the scene.

    Args:
        ctx: the step context.

    Returns:
        {"ok": bool, "checks": [...]}.
    """
    scene_dir = ctx.scene_dir
    try:
        metadata = json.loads((scene_dir / METADATA_PATH).read_text())
        configs = [load_bundle_config(scene_dir, p) for p in metadata["policies"]]
        checks = [check_regions(scene_dir), check_prims_and_script(scene_dir, configs)]
        checks += [check_samples_physics(scene_dir, c) for c in configs]
        checks.append(check_metadata(scene_dir))
    except (InputError, OSError, KeyError, ValueError, ValidationError) as exc:
        failed = Check("bundle", False, f"cannot read the bundle: {exc}")
        return {"ok": False, "checks": [failed.as_dict()]}
    return {"ok": all(c.ok for c in checks), "checks": [c.as_dict() for c in checks]}
