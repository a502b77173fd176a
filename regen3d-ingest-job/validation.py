"""Checks of the ingest's outputs: manifest valid, meshes present and matching their sha256."""

from __future__ import annotations

from tools.errors import InputError
from tools.provenance import sha256_file
from tools.scene_manifest import load_manifest
from tools.steps import Check, StepContext, Validation, checks_report


def validate_ingest(ctx: StepContext) -> Validation:
    """Validate `assets/scene_manifest.json` and every mesh it references."""
    try:
        # The ingest's own manifest: a later step's layer made from an earlier ingest is that
        # step's to redo, not a fault of this one (a rerun of the ingest alone left them stale).
        manifest = load_manifest(ctx.scene_dir, before="simready")
    except InputError as exc:
        return checks_report([Check("manifest", False, str(exc))])
    checks = [Check("manifest", True, f"{len(manifest.objects)} objects")]
    bad: list[str] = []
    for obj in manifest.objects:
        path = ctx.scene_dir / obj.asset.mesh_path
        if not path.is_file():
            bad.append(f"{obj.id}: {obj.asset.mesh_path} missing")
        elif sha256_file(path) != obj.asset.sha256:
            bad.append(f"{obj.id}: {obj.asset.mesh_path} sha256 mismatch")
    checks.append(Check("meshes", not bad, "; ".join(bad) or "all present"))
    floating = [
        o.id
        for o in manifest.objects
        if o.sim_role != "background" and o.transform.position[2] < -0.01
    ]
    checks.append(
        Check("above_floor", not floating, ", ".join(floating) or "every object at or above z = 0")
    )
    # A dropped object is listed loudly but does not fail the step: the rest of the scene is
    # usable, and some drops are the input's fault (an unreadable GLB, a failed reconstruction).
    dropped = manifest.provenance.dropped_objects
    listed = "; ".join(f"{k}: {v}" for k, v in sorted(dropped.items()))
    checks.append(
        Check("dropped_objects", True, listed or "no object dropped", warning=bool(dropped))
    )
    return checks_report(checks)
