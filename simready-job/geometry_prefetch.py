"""Compute the geometries the cache lacks on every available CPU, before the per-object pass.

Convex decomposition dominates a cold run and each object's geometry is independent of the
others, so the missing ones are computed by a pool of processes that store them in the
object-geometry cache. The sequential pass then reads every geometry from the cache, so its
results (and the bytes written) are the same as without the pool. An object whose geometry
fails here is left to the sequential pass, which reports the error as usual.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from simready_job.object_geometry import GeometryTools, geometry_key, object_geometry
from tools.structured_logging import configure_logging, get_logger, log_fields, logging_config

log = get_logger("simready.prefetch")


@dataclass(frozen=True)
class GeometryJob:
    """One object's geometry to compute."""

    path: Path
    file_format: str
    source: str
    background: bool


@dataclass(frozen=True)
class PrefetchResult:
    """What the pool did (added to the step's cache figures).

    Attributes:
        workers: processes used (0: nothing to compute, or a single CPU).
        computed: geometries computed and stored.
        failed: objects left to the sequential pass (their error is reported there).
        decompositions_cached: decompositions read from the hull cache by the pool.
        decompositions_computed: decompositions the pool computed.
    """

    workers: int = 0
    computed: int = 0
    failed: int = 0
    decompositions_cached: int = 0
    decompositions_computed: int = 0


def _missing(jobs: Sequence[GeometryJob], tools: GeometryTools) -> list[GeometryJob]:
    """The jobs whose geometry is not cached yet (unreadable meshes are left out)."""
    missing = []
    for job in jobs:
        try:
            content = job.path.read_bytes()
        except OSError:
            continue
        key = geometry_key(
            content,
            job.file_format,
            job.background,
            tools.collision,
            tools.planes,
            tools.decomposer.name,
        )
        if not tools.geometries.has(key):
            missing.append(job)
    return missing


def _compute(job: GeometryJob, tools: GeometryTools) -> tuple[bool, int, int]:
    """In a worker: compute and store one geometry; (stored, hull hits, hull misses)."""
    hits, misses = tools.hulls.hits, tools.hulls.misses
    try:
        object_geometry(job.path, job.file_format, job.source, job.background, tools)
    except Exception:
        return False, 0, 0
    return True, tools.hulls.hits - hits, tools.hulls.misses - misses


def prefetch_geometries(
    jobs: Sequence[GeometryJob], tools: GeometryTools, workers: int
) -> PrefetchResult:
    """Compute and cache the geometries of `jobs` that the cache lacks, `workers` at a time.

    Args:
        jobs: every object's geometry inputs.
        tools: parameters, decomposer and caches (a disabled cache disables the pool).
        workers: most processes to start.

    Returns:
        What the pool did; nothing when the cache is disabled, nothing is missing or only
        one process would run (the sequential pass is then just as fast).
    """
    if tools.geometries.root is None or workers < 2:
        return PrefetchResult()
    missing = _missing(jobs, tools)
    processes = min(workers, len(missing))
    if processes < 2:
        return PrefetchResult()
    # One job per task, largest meshes first, so no process idles at the end.
    ordered = sorted(missing, key=lambda j: j.path.stat().st_size, reverse=True)
    try:
        outcomes = _run_pool(ordered, tools, processes)
    except (BrokenProcessPool, OSError) as exc:  # e.g. a worker killed for memory
        log.warning("geometry pool failed (%s); the sequential pass computes the rest", exc)
        return PrefetchResult(workers=processes, failed=len(missing))
    result = PrefetchResult(
        workers=processes,
        computed=sum(1 for stored, _, _ in outcomes if stored),
        failed=sum(1 for stored, _, _ in outcomes if not stored),
        decompositions_cached=sum(hits for _, hits, _ in outcomes),
        decompositions_computed=sum(misses for _, _, misses in outcomes),
    )
    log.info("geometries prefetched", extra=log_fields(**vars(result)))
    return result


def _run_pool(
    jobs: list[GeometryJob], tools: GeometryTools, processes: int
) -> list[tuple[bool, int, int]]:
    # Spawned, not forked: the parent may hold threads (tracing exporters) and their locks.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_init_worker,
        initargs=(logging_config(),),
    ) as pool:
        return list(pool.map(_compute, jobs, repeat(tools), chunksize=1))


def _init_worker(config: dict[str, Any]) -> None:
    configure_logging(**config)
