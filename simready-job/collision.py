"""Collision hulls of an object: one hull when nearly convex, else parts and decomposition."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import trimesh

from simready_job.collision_surface import collision_surface
from simready_job.convex_pieces import ConvexPiece, hull_piece, merge_to_budget
from simready_job.decomposition import Decomposer, DecompositionParams
from simready_job.flat_base import flat_base, flat_tops
from simready_job.hull_cache import HullCache, decompose_cached
from simready_job.mesh_cleanup import enclosed_volume, separate_parts
from simready_job.mesh_repair import PreparedMesh, convex_hull_or_none, join_meshes
from tools.structured_logging import get_logger

log = get_logger("simready.collision")

MAX_COMPONENTS = 256  # more separate parts than this: decompose the mesh as a whole
# CoACD runs per object at most: the largest concave parts get one each, the others are
# decomposed together in the last run. (An office chair whose legs came apart into slivers
# ran CoACD 37 times, 2-18 s each, on 10-60 triangles.)
MAX_DECOMPOSITIONS = 4
# A concave part whose hull holds less than this share of the object's hull volume gets its
# hull: a sliver of a few dozen triangles (5 mm on a 0.8 m chair: 2e-7 of its hull) cost
# CoACD 2-18 s each, and merging folds its hull into a neighbour anyway. A drawer's handle
# (2e-3 of a filing cabinet) is still decomposed.
SMALL_PART_SHARE = 1e-3


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
    hull when it is nearly convex and a (cached) decomposition when not, the decompositions
    sharing what is left of the hull budget; hulls still over budget are merged. CoACD runs
    at most MAX_DECOMPOSITIONS times per object (`_decomposition_runs`: small concave parts
    get their hull, the smallest of many are decomposed together), and not at all for a
    part whose share of the budget is one hull. A decomposition that fails falls back to the
    part's hull. Hulls and decompositions use
    each mesh's `collision_surface` (dense scans smoothed and decimated). Last, the bottom
    few millimetres are pressed flat (`flat_base`) so the object stands as reconstructed, and
    each hull's top few millimetres (`flat_tops`) so what stands on it does not rock.

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
        flat = flat_tops(flat_base((piece,), limits.max_hull_vertices), limits.max_hull_vertices)
        return CollisionResult(flat, "convex_hull")
    parts = separate_parts(surface, MAX_COMPONENTS)
    simples = [collision_surface(p) for p in parts]
    ratios = [convexity(p, s.vertices) for p, s in zip(parts, simples, strict=True)]
    convex = [s for s, r in zip(simples, ratios, strict=True) if r >= params.convex_ratio]
    concave = [s for s, r in zip(simples, ratios, strict=True) if r < params.convex_ratio]
    notes: list[str] = []
    runs, small = _decomposition_runs(concave, sum(_hull_volume(s) for s in simples), notes)
    # Share the hull budget: one hull per convex part, the rest split among the runs.
    share = max(1, (limits.max_hulls - len(convex)) // max(1, len(runs)))
    part_limits = replace(limits, max_hulls=min(share, limits.max_hulls))
    hulled = convex + small
    pieces = [p for p in (hull_piece(c.vertices, limits.max_hull_vertices) for c in hulled) if p]
    decomposed = 0
    for run in runs:
        if part_limits.max_hulls == 1:  # CoACD would merge its pieces back into one hull
            pieces.extend(p for p in [hull_piece(run.vertices, limits.max_hull_vertices)] if p)
            continue
        pieces.extend(_decompose_part(run, part_limits, decomposer, cache, notes))
        decomposed += 1
    if not pieces:  # every part was flat; the whole still has volume (prepare_mesh checked)
        whole = hull_piece(solid.vertices, limits.max_hull_vertices)
        assert whole is not None
        pieces = [whole]
        notes.append("no part had volume: single convex hull used")
    merged = merge_to_budget(pieces, limits.max_hulls, limits.max_hull_vertices)
    if len(merged) < len(pieces):
        notes.append(f"{len(pieces)} hulls merged to the budget of {limits.max_hulls}")
    method = "decomposition" if decomposed else "parts"
    pressed = flat_tops(flat_base(merged, limits.max_hull_vertices), limits.max_hull_vertices)
    return CollisionResult(pressed, method, decomposed, tuple(notes))


def _hull_volume(mesh: trimesh.Trimesh) -> float:
    hull = convex_hull_or_none(mesh.vertices)
    return 0.0 if hull is None else float(hull.volume)


def _decomposition_runs(
    concave: list[trimesh.Trimesh], total_volume: float, notes: list[str]
) -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    """Which concave parts CoACD decomposes, and which simply get their hull.

    Parts holding under SMALL_PART_SHARE of the object's hull volume get their hull. Of the
    others, the largest MAX_DECOMPOSITIONS - 1 are decomposed one by one and the rest
    together, so an object never costs more than MAX_DECOMPOSITIONS CoACD runs.

    Args:
        concave: the concave parts' collision surfaces, in part order.
        total_volume: the sum of every part's hull volume.
        notes: receives a note for each part that was hulled or grouped.

    Returns:
        (the meshes to decompose, one per CoACD run; the parts that get their hull).
    """
    volumes = [_hull_volume(c) for c in concave]
    order = sorted(range(len(concave)), key=lambda k: (-volumes[k], k))
    large = [k for k in order if volumes[k] >= SMALL_PART_SHARE * total_volume]
    small = [concave[k] for k in order if volumes[k] < SMALL_PART_SHARE * total_volume]
    if small:
        notes.append(f"{len(small)} small concave part(s): convex hull each, not decomposed")
    if len(large) <= MAX_DECOMPOSITIONS:
        return [concave[k] for k in large], small
    alone, together = large[: MAX_DECOMPOSITIONS - 1], sorted(large[MAX_DECOMPOSITIONS - 1 :])
    notes.append(f"{len(together)} concave parts decomposed together")
    joined = collision_surface(join_meshes([concave[k] for k in together]))  # <= 3,000 triangles
    return [concave[k] for k in alone] + [joined], small


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
