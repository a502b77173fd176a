"""Checks of the simready outputs: every object has plausible physics and readable hulls."""

from __future__ import annotations

import numpy as np
import trimesh

from simready_job.convex_pieces import ENGINE_MAX_HULL_VERTICES
from simready_job.manifest_update import NOTE_PREFIX
from simready_job.material_priors import load_prior_table
from tools.errors import InputError
from tools.scene_manifest import SceneManifest, SceneObject, load_manifest
from tools.steps import Check, StepContext, Validation, checks_report


def validate_simready(ctx: StepContext) -> Validation:
    """Validate the manifest's physics and each object's collision files.

    Args:
        ctx: the step context (its scene folder is read).

    Returns:
        {"ok": bool, "checks": [Check.as_dict()], "dropped": {source id: reason},
        "warnings": [...]}: objects simready dropped do not fail the validation (the step's
        success rate decides that) but are listed, so a lost object is never silent.
    """
    try:
        manifest = load_manifest(ctx.scene_dir, through="simready")
    except InputError as exc:
        return checks_report([Check("manifest", False, str(exc))])
    checks = [
        _check("physics", [p for o in manifest.objects for p in _physics_problems(o, manifest)]),
        _check("hulls", [p for o in manifest.objects for p in _hull_problems(ctx, o)]),
    ]
    dropped = {
        source: reason
        for source, reason in sorted(manifest.provenance.dropped_objects.items())
        if reason.startswith(NOTE_PREFIX)
    }
    return checks_report(
        checks,
        dropped=dropped,
        warnings=[f"object {source} dropped: {reason}" for source, reason in dropped.items()],
    )


def _check(name: str, problems: list[str]) -> Check:
    return Check(name, not problems, "; ".join(problems[:20]) or "ok")


def _physics_problems(obj: SceneObject, manifest: SceneManifest) -> list[str]:
    table = load_prior_table()
    physics = obj.physics
    if physics is None:
        return [f"{obj.id}: no physics"]
    problems = []
    density = physics.density_kg_m3 or 0.0
    if not table.min_bulk_density_kg_m3 <= density <= table.max_bulk_density_kg_m3 * (1 + 1e-6):
        problems.append(f"{obj.id}: bulk density {density:.4g} kg/m^3 out of bounds")
    if physics.dynamic_friction > physics.static_friction:
        problems.append(f"{obj.id}: dynamic friction above static")
    values = [physics.mass_kg, *physics.inertia_diagonal, *physics.center_of_mass]
    if not np.isfinite(values).all() or max(physics.inertia_diagonal) <= 0:
        problems.append(f"{obj.id}: non-finite or zero inertia")
    if not physics.ranges.get("mass_kg"):
        problems.append(f"{obj.id}: no randomization ranges")
    return problems


def _hull_problems(ctx: StepContext, obj: SceneObject) -> list[str]:
    paths = obj.asset.collision_paths
    if not paths:
        return [f"{obj.id}: no collision hulls"]
    problems = []
    for relative in paths:
        path = ctx.scene_dir / relative
        if not path.is_file():
            problems.append(f"{obj.id}: {relative} missing")
            continue
        hull = trimesh.load(str(path), file_type="obj", force="mesh", process=False)
        if not isinstance(hull, trimesh.Trimesh) or len(hull.vertices) < 4:
            problems.append(f"{obj.id}: {relative} unreadable")
        elif len(hull.vertices) > ENGINE_MAX_HULL_VERTICES:
            problems.append(f"{obj.id}: {relative} has {len(hull.vertices)} vertices")
        elif not hull.is_watertight or hull.volume <= 0:
            problems.append(f"{obj.id}: {relative} is not a closed convex hull")
    return problems
