"""Accuracy of an ingested mock scene against its ground_truth.json (tests and bench only)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tools.rotations import quat_to_matrix
from tools.scene_manifest import SceneManifest, load_manifest

GROUND_TRUTH_FILE = "ground_truth.json"

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ObjectError:
    """One object's error after the best rigid alignment on the floor plane.

    Attributes:
        source_id: the 3D-RE-GEN id.
        object_id: the manifest id.
        position_m: 3D distance between recovered and true bottom centres, metres.
        position_scale_free_m: the same with the metric-scale error divided out first, so
            it measures pose recovery alone.
        yaw_deg: absolute yaw error, degrees (None without a normalised mesh: identity pose).
        lever_m: the true position's distance from the matched objects' floor centroid (its
            height included): a relative scale error e moves the object by |e| * lever_m.
        tilt_deg: angle between the object's up axis and world up (every mock object rests
            upright: its true pose is yaw-only).
    """

    source_id: str
    object_id: str
    position_m: float
    position_scale_free_m: float
    yaw_deg: float | None
    lever_m: float
    tilt_deg: float = 0.0


@dataclass(frozen=True)
class SceneErrors:
    """Every error of one scene.

    Attributes:
        scene_id: the scene.
        gravity_deg: angle between recovered and true gravity in the camera frame.
        scale_error: recovered / true metric scale - 1.
        objects: per matched object.
        missing: true objects absent from the manifest (dropped), by 3D-RE-GEN id.
    """

    scene_id: str
    gravity_deg: float
    scale_error: float
    objects: tuple[ObjectError, ...]
    missing: tuple[str, ...]

    @property
    def max_position_m(self) -> float:
        """Worst position error after rigid alignment."""
        return max((o.position_m for o in self.objects), default=0.0)

    @property
    def max_position_scale_free_m(self) -> float:
        """Worst position error once the scale error is divided out."""
        return max((o.position_scale_free_m for o in self.objects), default=0.0)

    @property
    def max_excess_position_m(self) -> float:
        """Worst position error beyond what the scale error alone explains (|e| * lever)."""
        excess = (o.position_m - abs(self.scale_error) * o.lever_m for o in self.objects)
        return max(excess, default=0.0)

    @property
    def max_tilt_deg(self) -> float:
        """Worst angle between an object's up axis and world up."""
        return max((o.tilt_deg for o in self.objects), default=0.0)

    @property
    def max_yaw_deg(self) -> float:
        """Worst yaw error over objects with a normalised mesh."""
        return max((o.yaw_deg for o in self.objects if o.yaw_deg is not None), default=0.0)


def rigid_2d(source: Array, target: Array) -> tuple[Array, Array]:
    """Best rotation and translation (no scale) mapping 2D points `source` onto `target`.

    Args:
        source: (N, 2) points.
        target: (N, 2) corresponding points.

    Returns:
        (2, 2) rotation and (2,) translation.
    """
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((target - mean_t).T @ (source - mean_s))
    d = np.diag([1.0, float(np.sign(np.linalg.det(u @ vt)))])
    rotation: Array = u @ d @ vt
    return rotation, mean_t - rotation @ mean_s


def evaluate_scene(scene_dir: Path) -> SceneErrors:
    """Compare `assets/scene_manifest.json` with `ground_truth.json` of a mock scene.

    Args:
        scene_dir: an ingested mock scene.

    Returns:
        The errors.
    """
    manifest = load_manifest(scene_dir)
    truth: dict[str, Any] = json.loads((scene_dir / GROUND_TRUTH_FILE).read_text())
    return compare(manifest, truth)


def compare(manifest: SceneManifest, truth: dict[str, Any]) -> SceneErrors:
    """Errors of a manifest against a ground-truth document.

    Args:
        manifest: the ingest's manifest.
        truth: the parsed ground_truth.json.

    Returns:
        The errors.
    """
    by_source = {o.provenance.source_id: o for o in manifest.objects}
    matched = [s for s in truth["objects"] if s in by_source]
    scale_ratio = manifest.provenance.estimates["metric_scale"] / truth["metric_scale"]
    ours = np.array([by_source[s].transform.position for s in matched])
    true = np.array([truth["objects"][s]["position_m"] for s in matched])
    errors = []
    for scale in (1.0, scale_ratio):
        rotation, shift = rigid_2d(ours[:, :2] / scale, true[:, :2])
        aligned = np.column_stack([ours[:, :2] / scale @ rotation.T + shift, ours[:, 2] / scale])
        errors.append(np.linalg.norm(aligned - true, axis=1))
        if scale == 1.0:
            offset = math.degrees(math.atan2(rotation[1, 0], rotation[0, 0]))
    centroid = np.append(true[:, :2].mean(axis=0), 0.0)
    levers = np.linalg.norm(true - centroid, axis=1)
    objects = []
    for k, source in enumerate(matched):
        entry = truth["objects"][source]
        obj = by_source[source]
        yaw_error = None
        if entry["has_normalized_mesh"]:
            w, _, _, z = obj.transform.rotation_wxyz
            yaw = math.degrees(2 * math.atan2(z, w)) + offset
            yaw_error = abs((yaw - entry["yaw_deg"] + 180.0) % 360.0 - 180.0)
        objects.append(
            ObjectError(
                source,
                obj.id,
                float(errors[0][k]),
                float(errors[1][k]),
                yaw_error,
                float(levers[k]),
                _tilt_deg(obj.transform.rotation_wxyz),
            )
        )
    return SceneErrors(
        scene_id=manifest.scene_id,
        gravity_deg=_gravity_error(manifest, truth),
        scale_error=scale_ratio - 1.0,
        objects=tuple(objects),
        missing=tuple(s for s in truth["objects"] if s not in by_source),
    )


def _tilt_deg(rotation_wxyz: tuple[float, float, float, float]) -> float:
    """Angle between the rotated +Z and +Z (its cosine is 1 - 2 (x^2 + y^2))."""
    _, x, y, _ = rotation_wxyz
    return math.degrees(math.acos(max(-1.0, min(1.0, 1.0 - 2.0 * (x * x + y * y)))))


def _gravity_error(manifest: SceneManifest, truth: dict[str, Any]) -> float:
    assert manifest.camera is not None
    world_from_camera = quat_to_matrix(manifest.camera.pose.rotation_wxyz)
    ours = world_from_camera.T @ np.array([0.0, 0.0, -1.0])
    true = np.asarray(truth["gravity_camera_frame"], dtype=np.float64)
    cosine = float(ours @ true / np.linalg.norm(true))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))
