"""Approximate convex decomposition behind a small interface; CoACD is the implementation."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import numpy as np

from simready_job.convex_pieces import (
    ENGINE_MAX_HULL_VERTICES,
    FloatArray,
    IntArray,
    hull_piece,
    merge_to_budget,
)
from simready_job.mesh_cleanup import edges_cancel
from simready_job.mesh_winding import orient_faces
from tools.errors import ConfigError

RawHull = tuple[FloatArray, IntArray]


@dataclass(frozen=True)
class DecompositionParams:
    """Decomposition settings; every field is part of the hull-cache key.

    Attributes:
        max_hulls: hull budget per decomposition (CoACD's pieces are merged down to it,
            wasting the least volume: `merge_to_budget`).
        max_hull_vertices: vertex budget per hull (<= 255, PhysX's limit).
        concavity: CoACD's concavity threshold (smaller: more, tighter hulls).
        preprocess_resolution: CoACD's manifold-remeshing resolution.
        resolution: CoACD's sampling resolution for the concavity metric.
        mcts_iterations: CoACD's tree-search iterations.
        mcts_depth: CoACD's tree-search depth.
        mcts_nodes: CoACD's tree-search width.
        seed: CoACD's random seed (same seed, same hulls).
    """

    max_hulls: int = 16
    max_hull_vertices: int = 64
    concavity: float = 0.08
    preprocess_resolution: int = 30
    resolution: int = 1000
    mcts_iterations: int = 40
    mcts_depth: int = 2
    mcts_nodes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_hulls <= 256:
            raise ValueError("max_hulls must be within [1, 256]")
        if not 8 <= self.max_hull_vertices <= ENGINE_MAX_HULL_VERTICES:
            raise ValueError(f"max_hull_vertices must be within [8, {ENGINE_MAX_HULL_VERTICES}]")
        if not 0.0 < self.concavity <= 1.0:
            raise ValueError("concavity must be within (0, 1]")

    def as_dict(self) -> dict[str, Any]:
        """The parameters as plain values (for cache keys and reports)."""
        return asdict(self)


class Decomposer(Protocol):
    """Splits a triangle mesh into convex pieces."""

    @property
    def name(self) -> str:
        """Implementation and version, e.g. "coacd-1.0.14" (part of the cache key)."""
        ...

    def decompose(
        self, vertices: FloatArray, faces: IntArray, params: DecompositionParams
    ) -> list[RawHull]:
        """Return convex pieces (vertices, faces) of the mesh, in its frame."""
        ...


class CoacdDecomposer:
    """CoACD (collision-aware approximate convex decomposition), imported on first use."""

    _lock = threading.Lock()  # CoACD's log level is process-global

    @property
    def name(self) -> str:
        """ "coacd-<version>"."""
        try:
            return f"coacd-{version('coacd')}"
        except PackageNotFoundError:
            return "coacd-missing"

    def decompose(
        self, vertices: FloatArray, faces: IntArray, params: DecompositionParams
    ) -> list[RawHull]:
        """Run CoACD with `params` (faces wound consistently first), then merge its pieces
        down to `params.max_hulls`.

        Args:
            vertices: (n, 3) positions.
            faces: (m, 3) triangle indices.
            params: decomposition settings.

        Returns:
            Convex pieces as (vertices, faces) arrays.

        Raises:
            ConfigError: the `coacd` package is not installed.
        """
        try:
            import coacd
        except ImportError:
            raise ConfigError(
                "SIMREADY decomposition", "the coacd package is missing", hint="pip install coacd"
            ) from None
        with self._lock:
            coacd.set_log_level("error")
        vertices = np.asarray(vertices, dtype=np.float64)
        faces = orient_faces(vertices, np.asarray(faces, dtype=np.int64))
        parts = coacd.run_coacd(
            coacd.Mesh(vertices, faces),
            threshold=params.concavity,
            max_convex_hull=-1,
            # A closed surface is cut as it is. CoACD's manifold check also refuses a single
            # edge shared by four triangles (decimation leaves a few) and then remeshes the
            # whole mesh at preprocess_resolution: a 3,000-triangle mug became 52,000
            # triangles, 26 s instead of 5 s, and walls thickened by the voxels.
            preprocess_mode="off" if edges_cancel(faces) else "auto",
            preprocess_resolution=params.preprocess_resolution,
            resolution=params.resolution,
            mcts_nodes=params.mcts_nodes,
            mcts_iterations=params.mcts_iterations,
            mcts_max_depth=params.mcts_depth,
            max_ch_vertex=params.max_hull_vertices,
            merge=False,  # CoACD's merge compares every pair by concavity: a third of its time
            seed=params.seed,
        )
        pieces = [p for p in (hull_piece(v, params.max_hull_vertices) for v, _ in parts) if p]
        merged = merge_to_budget(pieces, params.max_hulls, params.max_hull_vertices)
        return [(p.vertices, p.faces) for p in merged]
