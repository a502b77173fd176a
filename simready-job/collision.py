"""Collision hulls of an object: one hull when nearly convex, else parts and decomposition."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import trimesh

from simready_job.collision_surface import collision_surface
from simready_job.convex_pieces import ConvexPiece, hull_piece, merge_to_budget
from simready_job.decomposition import Decomposer, DecompositionParams
from simready_job.flat_base import flat_base
from simready_job.hull_cache import HullCache, decompose_cached
from simready_job.mesh_cleanup import enclosed_volume, separate_parts
from simready_job.mesh_repair import PreparedMesh, convex_hull_or_none
from tools.structured_logging import get_logger

log = get_logger("simready.collision")

MAX_COMPONENTS = 64  # more separate parts than this: decompose the mesh as a whole


@dataclass(frozen=True)
class CollisionParams:
    """How hulls are chosen.

    Attributes:
        convex_ratio: mesh volume / hull volume at or above which one hull stands for a
            (part of a) mesh.
        decomposition: settings of the convex decomposition.
    """

    convex_ratio: float = 0.9
    decomposition: DecompositionParams = field(default_factory=DecompositionParams)

    def __post_init__(self) -> None:
        if not 0.0 < self.convex_ratio <= 1.0:
            raise ValueError("convex_ratio must be within (0, 1]")


@dataclass(frozen=True)
class CollisionResult:
    """Hulls in the asset frame and how they were obtained.

    Attributes:
        pieces: the convex hulls.
        method: "convex_hull", "parts" (every separate part nearly convex),
            "decomposition" or "room_planes".
        decomposed_parts: how many parts went through the decomposer (cached or not).
        notes: anything worth recording in the manifest.
    """

    pieces: tuple[ConvexPiece, ...]
    method: str
    decomposed_parts: int = 0
    notes: tuple[str, ...] = ()


def convexity(mesh: trimesh.Trimesh, hull_points: np.ndarray | None = None) -> float:
    """Enclosed volume / convex-hull volume (1.0 for a convex solid, 0 when undefined).

    An open mesh counts with its holes closed by fans (`enclosed_volume`), so a box
    reconstructed without its unseen bottom is still recognised as convex.

    Args:
        mesh: a consistently wound mesh.
        hull_points: the points whose hull is compared (default: the mesh's vertices; the
            collision surface's, so that scan noise does not inflate the hull).

    Returns:
        The ratio in [0, 1].
    """
    volume = enclosed_volume(mesh)
    points = mesh.vertices if hull_points is None else hull_points
    hull = convex_hull_or_none(points) if volume > 0 else None
    if hull is None:
        return 0.0
    return float(min(max(volume / hull.volume, 0.0), 1.0))


def build_hulls(
    prepared: PreparedMesh, params: CollisionParams, decomposer: Decomposer, cache: HullCache
) -> CollisionResult:
    """Collision hulls of one object.

    One hull when the whole mesh is nearly convex; otherwise each separate part gets one
    hull when it is nearly convex and a (cached) decomposition when not, the concave parts
    sharing what is left of the hull budget; hulls still over budget are merged. A
    decomposition that fails falls back to the part's hull. Hulls and decompositions use
    each mesh's `collision_surface` (dense scans smoothed and decimated). Last, the bottom
    few millimetres are pressed flat (`flat_base`) so the object stands as reconstructed.

    Args:
        prepared: the repaired mesh (asset frame).
        params: thresholds and budgets.
        decomposer: the convex decomposition.
        cache: the hull cache.

    Returns:
        The hulls (at least one).
    """
    limits = params.decomposition
    solid = prepared.solid
    surface = prepared.surface
    simple = collision_surface(surface)
    if convexity(surface, simple.vertices) >= params.convex_ratio:
        piece = hull_piece(simple.vertices, limits.max_hull_vertices)
        if piece is None:  # smoothing flattened a sliver: the body's hull has volume
            piece = hull_piece(solid.vertices, limits.max_hull_vertices)
        assert piece is not None  # prepare_mesh guarantees a 3-D hull
        return CollisionResult(flat_base((piece,), limits.max_hull_vertices), "convex_hull")
    parts = separate_parts(surface, MAX_COMPONENTS)
    simples = [collision_surface(p) for p in parts]
    ratios = [convexity(p, s.vertices) for p, s in zip(parts, simples, strict=True)]
    convex = [s for s, r in zip(simples, ratios, strict=True) if r >= params.convex_ratio]
    concave = [s for s, r in zip(simples, ratios, strict=True) if r < params.convex_ratio]
    # Share the hull budget: one hull per convex part, the rest split among concave parts.
    share = max(1, (limits.max_hulls - len(convex)) // max(1, len(concave)))
    part_limits = replace(limits, max_hulls=min(share, limits.max_hulls))
    notes: list[str] = []
    pieces = [p for p in (hull_piece(c.vertices, limits.max_hull_vertices) for c in convex) if p]
    for part in concave:
        pieces.extend(_decompose_part(part, part_limits, decomposer, cache, notes))
    decomposed = len(concave)
    if not pieces:  # every part was flat; the whole still has volume (prepare_mesh checked)
        whole = hull_piece(solid.vertices, limits.max_hull_vertices)
        assert whole is not None
        pieces = [whole]
        notes.append("no part had volume: single convex hull used")
    merged = merge_to_budget(pieces, limits.max_hulls, limits.max_hull_vertices)
    if len(merged) < len(pieces):
        notes.append(f"{len(pieces)} hulls merged to the budget of {limits.max_hulls}")
    method = "decomposition" if decomposed else "parts"
    pressed = flat_base(merged, limits.max_hull_vertices)
    return CollisionResult(pressed, method, decomposed, tuple(notes))


def _decompose_part(
    part: trimesh.Trimesh,
    limits: DecompositionParams,
    decomposer: Decomposer,
    cache: HullCache,
    notes: list[str],
) -> list[ConvexPiece]:
    vertices = np.asarray(part.vertices, dtype=np.float64)
    faces = np.asarray(part.faces, dtype=np.int64)
    try:
        raw = decompose_cached(vertices, faces, limits, decomposer, cache)
    except (RuntimeError, ValueError) as exc:
        log.warning("convex decomposition failed (%s); using the part's hull", exc)
        notes.append(f"decomposition failed ({type(exc).__name__}): part's convex hull used")
        raw = []
    pieces = [p for p in (hull_piece(v, limits.max_hull_vertices) for v, _ in raw) if p]
    if not pieces:
        fallback = hull_piece(vertices, limits.max_hull_vertices)
        pieces = [fallback] if fallback is not None else []
    return pieces
