"""Checks of the ingest's outputs: manifest valid, meshes present and matching their sha256."""

from __future__ import annotations

from typing import Any

from tools.errors import InputError
from tools.provenance import sha256_file
from tools.scene_manifest import load_manifest
from tools.steps import StepContext, Validation


def validate_ingest(ctx: StepContext) -> Validation:
    """Validate `assets/scene_manifest.json` and every mesh it references."""
    checks: list[dict[str, Any]] = []
    try:
        manifest = load_manifest(ctx.scene_dir)
    except InputError as exc:
        return {"ok": False, "checks": [{"name": "manifest", "ok": False, "detail": str(exc)}]}
    checks.append({"name": "manifest", "ok": True, "detail": f"{len(manifest.objects)} objects"})
    bad: list[str] = []
    for obj in manifest.objects:
        path = ctx.scene_dir / obj.asset.mesh_path
        if not path.is_file():
            bad.append(f"{obj.id}: {obj.asset.mesh_path} missing")
        elif sha256_file(path) != obj.asset.sha256:
            bad.append(f"{obj.id}: {obj.asset.mesh_path} sha256 mismatch")
    checks.append({"name": "meshes", "ok": not bad, "detail": "; ".join(bad) or "all present"})
    floating = [
        o.id
        for o in manifest.objects
        if o.sim_role != "background" and o.transform.position[2] < -0.01
    ]
    checks.append(
        {
            "name": "above_floor",
            "ok": not floating,
            "detail": ", ".join(floating) or "every object at or above z = 0",
        }
    )
    # A dropped object is listed loudly but does not fail the step: the rest of the scene is
    # usable, and some drops are the input's fault (an unreadable GLB, a failed reconstruction).
    dropped = manifest.provenance.dropped_objects
    checks.append(
        {
            "name": "dropped_objects",
            "ok": True,
            "warning": bool(dropped),
            "detail": "; ".join(f"{k}: {v}" for k, v in sorted(dropped.items()))
            or "no object dropped",
        }
    )
    return {"ok": all(c["ok"] for c in checks), "checks": checks}
