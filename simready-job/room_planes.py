"""Planes of a noisy, dense room mesh: sequential RANSAC on area-weighted surface samples.

A reconstructed room is a Poisson surface of 100k+ small triangles with noise and bulges, so
no single face says where a wall is. Points are sampled uniformly over the surface (each
sample stands for the same area), their normals are estimated from their neighbourhood (a
patch of a few samples averages the noise out), and planes are taken one at a time: the
hypothesis agreeing with the most remaining samples in position and normal wins, is refit by
least squares on its inliers, and its inliers are removed. Every random draw comes from one
seeded generator, so the result is a function of the mesh and the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from simready_job.convex_pieces import FloatArray

# Near an edge of the room a sample's neighbourhood mixes both surfaces and its normal may
# agree with the wrong one; its own face still tells which it lies on. A sample whose face
# is more than 60 degrees (loose: faces are noisy) off its neighbourhood normal takes the
# face's normal instead.
_FACE_COS_MIN = 0.5


@dataclass(frozen=True)
class RansacParams:
    """How planes are searched for.

    Attributes:
        samples: surface points drawn (area-weighted) from the mesh.
        neighbours: samples whose covariance gives each sample's normal.
        hypotheses: candidate planes tried per plane found.
        distance_tolerance_m: inliers lie within this distance of the plane (covers bulges).
        angle_tolerance_deg: ... and their normal within this angle of the plane's.
        min_share: a plane must hold this share of the samples (= of the surface area).
        max_planes: planes found at most.
        seed: seed of the sampling and of the hypotheses.
    """

    samples: int = 12_000
    neighbours: int = 16
    hypotheses: int = 48
    distance_tolerance_m: float = 0.05
    angle_tolerance_deg: float = 20.0
    min_share: float = 0.02
    max_planes: int = 16
    seed: int = 0


@dataclass(frozen=True)
class Plane:
    """A plane n . x = offset, with the samples that support it.

    Attributes:
        normal: (3,) unit normal (sign as fitted; callers orient it).
        offset: signed distance of the plane from the origin along `normal`.
        inliers: (k, 3) supporting samples.
        share: the samples' share of the whole surface.
        rms_m: root-mean-square distance of the inliers from the plane.
    """

    normal: FloatArray
    offset: float
    inliers: FloatArray
    share: float
    rms_m: float


def surface_samples(
    mesh: trimesh.Trimesh, count: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Points spread uniformly over the surface and their faces' normals.

    Args:
        mesh: the mesh.
        count: how many points.
        rng: the random generator.

    Returns:
        (count, 3) points and (count, 3) unit face normals (zero for no faces with area).
    """
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    total = float(areas.sum())
    if total <= 0.0:
        return np.zeros((0, 3)), np.zeros((0, 3))
    faces = rng.choice(len(areas), size=count, p=areas / total)
    triangles = np.asarray(mesh.triangles, dtype=np.float64)[faces]
    a, b = rng.random(count), rng.random(count)
    fold = a + b > 1.0  # reflect into the triangle so the density stays uniform
    a[fold], b[fold] = 1.0 - a[fold], 1.0 - b[fold]
    points = (
        triangles[:, 0]
        + a[:, None] * (triangles[:, 1] - triangles[:, 0])
        + b[:, None] * (triangles[:, 2] - triangles[:, 0])
    )
    return points, np.asarray(mesh.face_normals, dtype=np.float64)[faces]


def neighbourhood_normals(points: FloatArray, neighbours: int) -> FloatArray:
    """Each point's normal from the covariance of its nearest samples (sign arbitrary)."""
    k = min(neighbours, len(points))
    _, index = cKDTree(points).query(points, k=k)
    patches = points[np.asarray(index).reshape(len(points), k)]
    centred = patches - patches.mean(axis=1, keepdims=True)
    covariance = np.einsum("nki,nkj->nij", centred, centred)
    _, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues: column 0 is the normal
    return np.asarray(vectors[:, :, 0], dtype=np.float64)


def fit_plane(points: FloatArray) -> tuple[FloatArray, float]:
    """Least-squares plane through points: (unit normal, offset)."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre, full_matrices=False)
    normal = np.asarray(vt[2], dtype=np.float64)
    return normal, float(normal @ centre)


def _agreeing(
    points: FloatArray,
    normals: FloatArray,
    normal: FloatArray,
    offset: float,
    params: RansacParams,
) -> np.ndarray:
    cos_tol = np.cos(np.radians(params.angle_tolerance_deg))
    close = np.abs(points @ normal - offset) <= params.distance_tolerance_m
    return np.asarray(close & (np.abs(normals @ normal) >= cos_tol))


def _best_hypothesis(
    points: FloatArray, normals: FloatArray, rng: np.random.Generator, params: RansacParams
) -> np.ndarray:
    """Inlier mask of the best one-point hypothesis (a sample and its normal)."""
    picks = rng.choice(len(points), size=min(params.hypotheses, len(points)), replace=False)
    candidates = normals[picks]  # (h, 3)
    offsets = np.einsum("hi,hi->h", candidates, points[picks])
    cos_tol = np.cos(np.radians(params.angle_tolerance_deg))
    close = np.abs(points @ candidates.T - offsets) <= params.distance_tolerance_m
    aligned = np.abs(normals @ candidates.T) >= cos_tol
    votes = (close & aligned).sum(axis=0)
    best = int(np.argmax(votes))  # first maximum: deterministic
    return np.asarray(close[:, best] & aligned[:, best])


def find_planes(mesh: trimesh.Trimesh, params: RansacParams) -> list[Plane]:
    """The mesh's planes, largest first.

    Args:
        mesh: the room mesh.
        params: sampling, tolerances and seed.

    Returns:
        Planes each holding at least `min_share` of the surface (possibly none).
    """
    rng = np.random.default_rng(params.seed)
    points, face_normals = surface_samples(mesh, params.samples, rng)
    if len(points) < 3:
        return []
    normals = neighbourhood_normals(points, params.neighbours)
    turned = np.abs(np.einsum("ij,ij->i", normals, face_normals)) < _FACE_COS_MIN
    normals[turned] = face_normals[turned]
    free = np.ones(len(points), dtype=bool)
    minimum = max(3, int(np.ceil(params.min_share * len(points))))
    planes: list[Plane] = []
    for _ in range(2 * params.max_planes):  # bounded: a failed refit costs one round
        index = np.flatnonzero(free)
        if len(planes) == params.max_planes or len(index) < minimum:
            break
        member = _best_hypothesis(points[index], normals[index], rng, params)
        if member.sum() < minimum:
            break
        # Two refits: the first moves the plane to the middle of its inliers, which may
        # gather a few more (or fewer) samples for the second.
        for _ in range(2):
            normal, offset = fit_plane(points[index[member]])
            member = _agreeing(points[index], normals[index], normal, offset, params)
            if member.sum() < 3:
                break
        if member.sum() < minimum:
            continue  # the refit drifted off a weak hypothesis; new draws next round
        inliers = points[index[member]]
        rms = float(np.sqrt(np.mean((inliers @ normal - offset) ** 2)))
        planes.append(Plane(normal, offset, inliers, len(inliers) / len(points), rms))
        free[index[member]] = False
    return sorted(planes, key=lambda p: -p.share)  # stable: ties keep the order found
