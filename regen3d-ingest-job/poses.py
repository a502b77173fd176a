"""Object poses: Umeyama similarity fits between normalised and posed meshes, or baked geometry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from regen3d_ingest_job.floor import FloorFrame
from tools.rotations import yaw_matrix
from tools.scene_manifest import PoseSource

# glTF's Y-up object frame to our Z-up one: (x, y, z)_gltf -> (x, -z, y).
GLTF_TO_ZUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
MAX_FIT_RELATIVE_RMS = 0.01  # fit residual / object size above this: correspondence broken
# A resting object's canonical up within this of world up is upright: snapped to pure yaw.
# Off-floor objects are fitted with the camera's up, so they arrive tilted by the camera
# pitch (typically 10-20 deg for a photo of a table top) plus fit noise; an object really
# lying down (a bottle on its side) is ~90 deg off its canonical up, and nothing rests stably
# tilted much beyond 25 deg on a horizontal support without leaning on something.
UPRIGHT_TILT_DEG = 25.0
# Canonical up this close to the camera's +Y is the 5-DoF pose convention itself (whatever
# the pitch): upright too.
CAMERA_UP_MATCH_DEG = 3.0
FLOOR_CONTACT_FRACTION = 0.01  # bottom within this x camera height of the floor: on the floor
_TIGHTER = 0.02  # relative box-volume gain that shows a baked object stands upright once turned
_BOX_SAMPLES = 4000

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Similarity:
    """dst ≈ scale * rotation @ src + translation."""

    scale: float
    rotation: Array
    translation: Array
    rms: float


@dataclass(frozen=True)
class ObjectPose:
    """An object's pose in the aligned frame (scene units, Z-up, floor at z = 0).

    World vertices are `rotation @ local + translation`; `local` is the mesh in the object's
    canonical frame (Z-up, origin at the bottom centre of its bounding box).

    Attributes:
        rotation: (3, 3) aligned_from_object.
        translation: (3,) the bottom centre's position.
        local: (N, 3) canonical-frame vertices, scene units.
        source: how the pose was obtained.
        upright: whether the object stands upright (its local Z is world Z).
        notes: what was decided, for provenance.
    """

    rotation: Array
    translation: Array
    local: Array
    source: PoseSource
    upright: bool
    notes: tuple[str, ...]

    @property
    def extents(self) -> Array:
        """(3,) canonical bounding-box size, scene units."""
        result: Array = self.local.max(axis=0) - self.local.min(axis=0)
        return result

    def world_vertices(self) -> Array:
        """(N, 3) vertices in the aligned frame."""
        result: Array = self.local @ self.rotation.T + self.translation
        return result


def umeyama(source: Array, target: Array) -> Similarity:
    """Least-squares similarity transform between corresponding point sets (Umeyama 1991).

    Args:
        source: (N, 3) points.
        target: (N, 3) corresponding points.

    Returns:
        The similarity mapping `source` onto `target`, and its RMS residual.

    Raises:
        ValueError: mismatched shapes, fewer than 3 points, or a degenerate source.
    """
    if source.shape != target.shape or source.ndim != 2 or source.shape[1] != 3:
        raise ValueError("source and target must both be (N, 3)")
    if len(source) < 3:
        raise ValueError("need at least 3 correspondences")
    mean_src = source.mean(axis=0)
    mean_dst = target.mean(axis=0)
    src = source - mean_src
    dst = target - mean_dst
    variance = float((src**2).sum() / len(source))
    if variance <= 1e-18:
        raise ValueError("source points coincide")
    covariance = dst.T @ src / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[2] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((singular * sign).sum() / variance)
    translation = mean_dst - scale * rotation @ mean_src
    residual = target - (scale * source @ rotation.T + translation)
    rms = float(np.sqrt((residual**2).sum(axis=1).mean()))
    return Similarity(scale, rotation, translation, rms)


def pose_from_fit(canonical_gltf: Array, posed_scene: Array, floor: FloorFrame) -> ObjectPose:
    """Pose an object from its normalised (glTF Y-up) and posed (scene frame) vertices.

    Args:
        canonical_gltf: (N, 3) vertices of `output/3D/<id>/<id>.glb`.
        posed_scene: (N, 3) vertices of `output/glb/<id>.glb`, same order.
        floor: the gravity alignment.

    Returns:
        The pose, with the canonical mesh scaled to scene units.

    Raises:
        ValueError: the vertex sets do not correspond (count, degenerate, or residual too
            large); the caller falls back on the baked geometry.
    """
    if canonical_gltf.shape != posed_scene.shape:
        raise ValueError(
            f"vertex counts differ ({len(canonical_gltf)} normalised, {len(posed_scene)} posed)"
        )
    fit = umeyama(canonical_gltf, posed_scene)
    size = float(np.linalg.norm(np.ptp(posed_scene, axis=0)))
    if fit.scale <= 0 or fit.rms > MAX_FIT_RELATIVE_RMS * size:
        raise ValueError(f"similarity fit residual {fit.rms / size:.2%} of the object's size")
    canonical = canonical_gltf @ GLTF_TO_ZUP.T
    low, high = canonical.min(axis=0), canonical.max(axis=0)
    bottom = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]])
    rotation = floor.rotation @ fit.rotation @ GLTF_TO_ZUP.T
    translation = fit.scale * rotation @ bottom + floor.rotation @ fit.translation + floor.offset
    notes = [f"similarity fit scale {fit.scale:.6g}, rms {fit.rms / size:.2e} of size"]
    local = fit.scale * (canonical - bottom)
    tilt = _angle_deg(rotation[:, 2], np.array([0.0, 0.0, 1.0]))
    camera_up = floor.rotation @ np.array([0.0, 1.0, 0.0])
    upright = (
        tilt <= UPRIGHT_TILT_DEG or _angle_deg(rotation[:, 2], camera_up) <= CAMERA_UP_MATCH_DEG
    )
    if upright:
        if tilt > 0.01:
            notes.append(f"tilt {tilt:.2f} deg removed (kept yaw, turned about the bbox centre)")
        upright_rotation = yaw_matrix(yaw_of(rotation))
        translation = _turn_about_centre(local, rotation, translation, upright_rotation)
        rotation = upright_rotation
    else:
        notes.append(f"tilted {tilt:.1f} deg: full rotation kept (lying or leaning)")
    return ObjectPose(
        rotation, translation, local, PoseSource.SIMILARITY_FIT, upright, tuple(notes)
    )


def pose_from_baked(posed_scene: Array, floor: FloorFrame, reason: str) -> ObjectPose:
    """Pose an object from its baked vertices alone: identity rotation, origin at the bbox bottom.

    Args:
        posed_scene: (N, 3) vertices of `output/glb/<id>.glb`.
        floor: the gravity alignment.
        reason: why no similarity fit was used (recorded).

    Returns:
        The pose.
    """
    aligned = floor.to_aligned(posed_scene)
    notes = [reason]
    camera_up = floor.rotation @ np.array([0.0, 1.0, 0.0])
    off_floor = aligned[:, 2].min() > FLOOR_CONTACT_FRACTION * floor.camera_height
    if off_floor and _angle_deg(camera_up, np.array([0.0, 0.0, 1.0])) > 0.01:
        # 3D-RE-GEN poses off-floor objects with the camera's up: turning that up to world up
        # stands them upright. Kept only when it makes the object's box tighter (so an input
        # already upright is left alone; a round object is the same either way).
        centre = (aligned.min(axis=0) + aligned.max(axis=0)) / 2
        turn = _rotation_between(camera_up, np.array([0.0, 0.0, 1.0]))
        turned = (aligned - centre) @ turn.T + centre
        if _box_volume(turned) < (1.0 - _TIGHTER) * _box_volume(aligned):
            aligned = turned
            notes.append(f"off the floor: camera pitch {floor.camera_tilt_deg:.1f} deg removed")
    low, high = aligned.min(axis=0), aligned.max(axis=0)
    bottom = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]])
    return ObjectPose(
        np.eye(3), bottom, aligned - bottom, PoseSource.BAKED_GEOMETRY, True, tuple(notes)
    )


def _box_volume(points: Array) -> float:
    """Volume of the smallest box around the points that is upright (turned about Z only)."""
    sample = points[:: max(1, len(points) // _BOX_SAMPLES)]
    xy = sample[:, :2] - sample[:, :2].mean(axis=0)
    angles = np.radians(np.arange(0.0, 90.0, 1.0))
    along = xy @ np.stack([np.cos(angles), np.sin(angles)])
    across = xy @ np.stack([-np.sin(angles), np.cos(angles)])
    area = float((np.ptp(along, axis=0) * np.ptp(across, axis=0)).min())
    return area * float(np.ptp(sample[:, 2]))


def _angle_deg(u: Array, v: Array) -> float:
    cosine = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def _rotation_between(u: Array, v: Array) -> Array:
    """The smallest rotation taking unit vector u onto unit vector v (u != -v)."""
    axis = np.cross(u, v)
    sine, cosine = float(np.linalg.norm(axis)), float(u @ v)
    if sine < 1e-12:
        return np.eye(3)
    k = axis / sine
    skew = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    result: Array = np.eye(3) + sine * skew + (1.0 - cosine) * skew @ skew
    return result


def _turn_about_centre(local: Array, rotation: Array, translation: Array, new: Array) -> Array:
    """Translation that keeps the canonical bbox centre in place when `rotation` becomes `new`.

    The fit constrains the visible surface, whose middle is the centre; the height is set
    later, when the object is snapped onto its support.
    """
    centre = (local.min(axis=0) + local.max(axis=0)) / 2
    result: Array = rotation @ centre + translation - new @ centre
    return result


def yaw_of(rotation: Array) -> float:
    """The rotation about Z closest to `rotation` (least squares), radians."""
    return float(np.arctan2(rotation[1, 0] - rotation[0, 1], rotation[0, 0] + rotation[1, 1]))
