"""The `usd` step's work: asset USDs, the scene stage, its manifest layer and the preview."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.provenance import sha256_bytes
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import SceneManifest, load_manifest, manifest_to_json, save_layer
from tools.sim import RenderError
from tools.tracing import span
from usd_assembly_job.articulation_usd import write_articulated_asset
from usd_assembly_job.asset_usd import write_object_asset
from usd_assembly_job.preview import PREVIEW_PATH, write_preview
from usd_assembly_job.rest_simulation import RestLimits
from usd_assembly_job.scene_usd import build_scene_stage, check_ready
from usd_assembly_job.settle_poses import settle_scene_usd, with_settled_poses

log = logging.getLogger("bp.usd")
STEP_NAME = "usd"


@dataclass(frozen=True)
class AssemblyOptions:
    """Options of the assembly.

    Attributes:
        render_preview: render reports/scene_preview.png from the reconstruction camera.
        preview_max_side: longest side of the preview in pixels.
        settle: simulate the free bodies to rest and use the resting poses (settle_poses).
        settle_limits: rest thresholds and how far settling may move an object.
        sim_timestep: MuJoCo step of the settling, seconds (the settle check's).
    """

    render_preview: bool = True
    preview_max_side: int = 640
    settle: bool = True
    settle_limits: RestLimits = field(default_factory=RestLimits)
    sim_timestep: float = 0.002


@dataclass(frozen=True)
class AssemblyResult:
    """What the step produced (goes into the completion marker)."""

    scene_usd: str
    objects: int
    rigid_bodies: int
    colliders: int
    visual_meshes: int
    textured_meshes: int
    manifest_sha256: str
    preview: str | None
    preview_error: str | None
    settling: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return asdict(self)


def _with_usd_paths(manifest: SceneManifest, usd_paths: dict[str, str]) -> SceneManifest:
    objects = tuple(
        o.model_copy(update={"asset": o.asset.model_copy(update={"usd_path": usd_paths[o.id]})})
        for o in manifest.objects
    )
    return manifest.model_copy(update={"objects": objects})


def assemble_scene(scene_dir: Path, options: AssemblyOptions | None = None) -> AssemblyResult:
    """Write every asset USD, `usd/scene.usda`, the manifest layer and the preview.

    The layer (`usd/scene_state.json`: usd_paths and settled poses) is written last, after
    the stage that records the merged manifest's sha256, so a failure leaves the old layer
    untouched. With `options.settle` the free bodies are first simulated to rest in the
    assembled stage and the stage is re-authored at their resting poses (settle_poses).
    A preview that cannot be rendered (no GL) is reported, not fatal.

    Args:
        scene_dir: the scene folder (manifest with physics and hulls from simready).
        options: assembly options.

    Returns:
        Counts, the manifest's sha256 and the preview path (or why it is missing).

    Raises:
        InputError: a mesh or hull is missing, unreadable or changed.
        ManifestError: the manifest lacks physics or hulls the USD needs.
    """
    options = options or AssemblyOptions()
    manifest = load_manifest(scene_dir, before=STEP_NAME)  # never its own old layer
    check_ready(manifest)
    with span("usd.assets", objects=len(manifest.objects)):
        summaries = {
            obj.id: (
                write_articulated_asset(scene_dir, obj)
                if obj.articulation is not None
                else write_object_asset(scene_dir, obj)
            )
            for obj in manifest.objects
        }
    updated = _with_usd_paths(manifest, {k: s.usd_path for k, s in summaries.items()})
    settling: dict[str, Any] | None = None
    if options.settle:
        with span("usd.settle"):
            # Physics comes from scene.usda: assemble it, settle it, re-author it at rest.
            build_scene_stage(scene_dir, updated, "")
            outcome = settle_scene_usd(
                scene_dir / SCENE_USD_PATH, options.sim_timestep, options.settle_limits
            )
        updated = with_settled_poses(updated, outcome)
        settling = outcome.as_dict()
    manifest_sha = sha256_bytes(manifest_to_json(updated))
    with span("usd.scene"):
        scene = build_scene_stage(scene_dir, updated, manifest_sha)
    save_layer(scene_dir, STEP_NAME, manifest, updated)
    preview: str | None = None
    preview_error: str | None = None
    if options.render_preview:
        try:
            with span("usd.preview"):
                write_preview(scene_dir, options.preview_max_side)
            preview = PREVIEW_PATH
        except RenderError as exc:
            preview_error = str(exc)
            log.warning("scene preview not rendered: %s", exc)
    return AssemblyResult(
        scene_usd=scene.usd_path,
        objects=scene.objects,
        rigid_bodies=scene.rigid_bodies,
        colliders=scene.colliders,
        visual_meshes=sum(s.visual_meshes for s in summaries.values()),
        textured_meshes=sum(s.textured_meshes for s in summaries.values()),
        manifest_sha256=manifest_sha,
        preview=preview,
        preview_error=preview_error,
        settling=settling,
    )
