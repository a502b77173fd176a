"""The simready step on one scene: physics and hulls for every object, in its manifest layer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simready_job.articulation import ArticulationOutcome, infer_articulation, with_articulations
from simready_job.articulation_llm import ArticulationAdvisor
from simready_job.collision import CollisionParams
from simready_job.decomposition import CoacdDecomposer, Decomposer
from simready_job.geometry_prefetch import GeometryJob, PrefetchResult, prefetch_geometries
from simready_job.hull_cache import HullCache
from simready_job.llm_physics import LLMPhysicsEstimator
from simready_job.manifest_update import apply_outcomes
from simready_job.material_priors import load_prior_table
from simready_job.object_geometry import GeometryCache, GeometryTools
from simready_job.object_simready import ObjectOutcome, ObjectTools, process_object, remove_hulls
from simready_job.room_colliders import PlaneParams
from tools.cpus import available_cpus
from tools.errors import ConfigError, TransientError
from tools.llm_client import LLMClient, create_llm_client
from tools.partial_failure import PartialFailureTracker
from tools.scene_manifest import SceneManifest, SimRole, load_manifest, save_layer
from tools.scene_manifest.asset_files import verify_asset_files
from tools.storage import LocalStorage, Storage
from tools.structured_logging import get_logger, log_fields
from tools.tracing import span

log = get_logger("simready")

STEP_NAME = "simready"


@dataclass(frozen=True)
class SimreadyOptions:
    """Everything that shapes the step's outputs (built from SimreadySettings by the step).

    Attributes:
        collision: hull thresholds and decomposition budgets.
        planes: room-plane detection and slab thickness.
        cache_dir: cache folder (decompositions, and whole object geometries under
            objects/); None disables both caches.
        min_success_rate: the step fails when fewer objects than this share succeed.
        llm: "off", "auto", "gemini" or "openai".
        llm_model: model name (None: the provider's default).
        llm_base_url: API root override (tests, proxies).
        llm_timeout_s: per-attempt timeout of LLM calls.
        priors_path: another prior table (None: the packaged one).
        workers: processes computing uncached geometries (None: the CPUs available).
        articulation: infer doors and drawers of furniture (simready-job/articulation.py).
    """

    collision: CollisionParams = field(default_factory=CollisionParams)
    planes: PlaneParams = field(default_factory=PlaneParams)
    cache_dir: Path | None = None
    min_success_rate: float = 0.5
    llm: str = "off"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_timeout_s: float = 30.0
    priors_path: Path | None = None
    workers: int | None = None
    articulation: bool = True


@dataclass(frozen=True)
class SimreadyReport:
    """What the step did (the step's result, stored in its completion marker)."""

    objects: int
    ready: int
    dropped: dict[str, str]
    methods: dict[str, int]
    hulls: int
    max_hull_vertices: int
    decomposed_parts: int
    cache_hits: int
    cache_misses: int
    object_cache_hits: int
    object_cache_misses: int
    workers: int
    llm: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "objects": self.objects,
            "ready": self.ready,
            "dropped": dict(self.dropped),
            "methods": dict(self.methods),
            "hulls": self.hulls,
            "max_hull_vertices": self.max_hull_vertices,
            "decomposed_parts": self.decomposed_parts,
            "hull_cache": {"hits": self.cache_hits, "misses": self.cache_misses},
            "object_cache": {"hits": self.object_cache_hits, "misses": self.object_cache_misses},
            "workers": self.workers,
            "llm": self.llm,
        }


def run_simready(
    scene_dir: Path,
    options: SimreadyOptions | None = None,
    *,
    storage: Storage | None = None,
    decomposer: Decomposer | None = None,
    llm_client: LLMClient | None = None,
) -> SimreadyReport:
    """Give every object of the scene physics and collision hulls: `assets/simready.json`.

    A mesh the manifest names that is missing or differs from its sha256 stops the step (bad
    input). Objects whose mesh is unreadable or degenerate are dropped (by the layer)
    and recorded in `provenance.dropped_objects`; the step fails when too many are.
    Running twice on the same scene writes the same bytes.

    Args:
        scene_dir: the scene folder (the ingest's manifest and meshes; writes
            assets/simready.json, the manifest layer the loader merges).
        options: step options (defaults: no cache, no LLM).
        storage: scene storage for the failure checkpoint (default: the folder itself).
        decomposer: convex decomposition (default: CoACD).
        llm_client: an LLM client to use instead of the one `options.llm` describes.

    Returns:
        The report.

    Raises:
        InputError: the manifest is missing/invalid, names a missing or edited mesh, or the
            robot's work surface was dropped.
        PartialFailureError: fewer than `min_success_rate` of the objects succeeded.
        ConfigError: a required dependency or key is missing.
    """
    opts = options or SimreadyOptions()
    manifest = load_manifest(scene_dir, before=STEP_NAME)  # the ingest's, never an old layer
    verify_asset_files(scene_dir, manifest)  # a missing or edited mesh is a broken scene
    client = llm_client or create_llm_client(
        opts.llm, model=opts.llm_model, base_url=opts.llm_base_url, timeout_s=opts.llm_timeout_s
    )
    tools = ObjectTools(
        table=load_prior_table(opts.priors_path),
        geometry=GeometryTools(
            collision=opts.collision,
            planes=opts.planes,
            decomposer=decomposer or CoacdDecomposer(),
            hulls=HullCache(opts.cache_dir),
            geometries=GeometryCache(
                None if opts.cache_dir is None else opts.cache_dir / "objects"
            ),
        ),
        estimator=LLMPhysicsEstimator(client) if client is not None else None,
    )
    tracker = PartialFailureTracker(
        storage or LocalStorage(scene_dir), STEP_NAME, min_success_rate=opts.min_success_rate
    )
    with span("simready.prefetch", objects=len(manifest.objects)):
        prefetch = prefetch_geometries(
            _geometry_jobs(scene_dir, manifest), tools.geometry, opts.workers or available_cpus()
        )
    outcomes: dict[str, ObjectOutcome] = {}
    failures: dict[str, str] = {}
    for obj in manifest.objects:
        with span("simready.object", object_id=obj.id, category=obj.category):
            try:
                outcome = process_object(scene_dir, obj, tools)
            except (ConfigError, TransientError):
                raise  # systemic: no object can succeed, or a retry of the job may
            except Exception as exc:  # one bad object must not sink the scene
                tracker.record_failure(obj.id, exc)
                failures[obj.id] = str(exc)
                remove_hulls(scene_dir, obj.id)
                log.warning(
                    "object %s (%s) DROPPED from the scene: %s",
                    obj.id,
                    obj.semantics.label,
                    exc,
                    extra=log_fields(object_id=obj.id, category=obj.category, reason=str(exc)),
                )
                continue
        outcomes[obj.id] = outcome
        tracker.record_success(obj.id, {"hulls": len(outcome.collision_paths)})
        log.info(
            "object %s ready",
            obj.id,
            extra=log_fields(
                object_id=obj.id,
                method=outcome.method,
                hulls=len(outcome.collision_paths),
                mass_kg=outcome.physics.mass_kg,
                source=outcome.physics.source,
            ),
        )
    if failures:
        log.warning(
            "%d of %d objects dropped: %s",
            len(failures),
            len(manifest.objects),
            "; ".join(f"{k}: {v}" for k, v in sorted(failures.items())),
            extra=log_fields(dropped=sorted(failures)),
        )
    tracker.finalize()
    updated = apply_outcomes(manifest, outcomes, failures, tools.geometry.decomposer.name)
    if opts.articulation:
        advisor = ArticulationAdvisor(client) if client is not None else None
        updated = with_articulations(updated, _articulations(scene_dir, updated, advisor))
    save_layer(scene_dir, STEP_NAME, manifest, updated)
    return _report(len(manifest.objects), outcomes, failures, tools, client, prefetch)


def _articulations(
    scene_dir: Path, manifest: SceneManifest, advisor: ArticulationAdvisor | None
) -> dict[str, ArticulationOutcome]:
    outcomes = {}
    for obj in manifest.objects:
        with span("simready.articulation", object_id=obj.id, category=obj.category):
            outcome = infer_articulation(
                scene_dir,
                obj,
                manifest.room_bounds,
                obj.asset.collision_paths,
                advisor,
                list(manifest.objects),
            )
        if outcome is not None:
            outcomes[obj.id] = outcome
            log.info("object %s articulation: %s", obj.id, outcome.note)
    return outcomes


def _geometry_jobs(scene_dir: Path, manifest: SceneManifest) -> list[GeometryJob]:
    return [
        GeometryJob(
            scene_dir / obj.asset.mesh_path,
            obj.asset.format,
            obj.asset.mesh_path,
            obj.sim_role is SimRole.BACKGROUND,
        )
        for obj in manifest.objects
    ]


def _report(
    total: int,
    outcomes: dict[str, ObjectOutcome],
    failures: dict[str, str],
    tools: ObjectTools,
    client: LLMClient | None,
    prefetch: PrefetchResult,
) -> SimreadyReport:
    vertices = [n for o in outcomes.values() for n in o.hull_vertices]
    estimator = tools.estimator
    llm = None
    if client is not None and estimator is not None:
        llm = {
            "provider": client.provider.value,
            "model": client.model,
            "calls": estimator.calls,
            "reused": estimator.reused,
        }
    return SimreadyReport(
        objects=total,
        ready=len(outcomes),
        dropped=dict(sorted(failures.items())),
        methods=dict(sorted(Counter(o.method for o in outcomes.values()).items())),
        hulls=len(vertices),
        max_hull_vertices=max(vertices, default=0),
        decomposed_parts=sum(o.decomposed_parts for o in outcomes.values()),
        # Geometries the pool computed were misses, read back by the sequential pass as hits.
        cache_hits=tools.geometry.hulls.hits + prefetch.decompositions_cached,
        cache_misses=tools.geometry.hulls.misses + prefetch.decompositions_computed,
        object_cache_hits=tools.geometry.geometries.hits - prefetch.computed,
        object_cache_misses=tools.geometry.geometries.misses + prefetch.computed,
        workers=max(1, prefetch.workers),
        llm=llm,
    )
