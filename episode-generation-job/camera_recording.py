"""Collect an episode's camera frames: RGB videos, and the data columns and metadata documents
that depth, segmentation and camera poses add to the dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from episode_generation_job.cameras import (
    camera_features,
    depth_key,
    extrinsics_key,
    segmentation_key,
)
from tools.lerobot import FeatureSpec
from tools.lerobot.format import LayerInfo

if TYPE_CHECKING:
    from episode_generation_job.backends.base import SimBackend


@dataclass
class CameraRecording:
    """What an episode's cameras add to the dataset beyond the RGB videos.

    Attributes:
        features: the data features (depth / segmentation layers, per-frame poses).
        columns: feature -> (T, ...) values.
        documents: meta/<name>.json documents (calibration, segmentation id map).
        rgb: the cameras recorded as videos.
    """

    features: dict[str, FeatureSpec] = field(default_factory=dict)
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    rgb: tuple[str, ...] = ()

    @property
    def has_layers(self) -> bool:
        """Whether the episode carries per-pixel layers (depth or segmentation columns)."""
        return any(isinstance(spec.info, LayerInfo) for spec in self.features.values())


class CameraRecorder:
    """Accumulates one episode's camera frames from a backend, one `capture` per frame."""

    def __init__(self, backend: SimBackend) -> None:
        self._backend = backend
        self._images: dict[str, list[NDArray[np.uint8]]] = {}
        self._columns: dict[str, list[NDArray[Any]]] = {}

    def capture(self) -> None:
        """Render every camera at the backend's current state and keep the frames."""
        for name, frame in self._backend.render_frames().items():
            if frame.rgb is not None:
                self._images.setdefault(name, []).append(frame.rgb)
            for key, value in (
                (depth_key(name), frame.depth_mm),
                (segmentation_key(name), frame.segmentation),
                (extrinsics_key(name), frame.extrinsics),
            ):
                if value is not None:  # layers as row-major pixel vectors
                    self._columns.setdefault(key, []).append(value.reshape(-1))

    def images(self) -> dict[str, NDArray[np.uint8]]:
        """Camera -> (T, H, W, 3) RGB frames."""
        return {name: np.stack(frames) for name, frames in self._images.items()}

    def recording(self) -> CameraRecording:
        """The episode's extra columns, their features and the cameras' documents."""
        declared = camera_features(self._backend.camera_specs)
        columns = {key: np.stack(values) for key, values in self._columns.items()}
        features = {key: spec for key, spec in declared.items() if key in columns}
        documents = self._backend.camera_documents() if columns else {}
        return CameraRecording(features, columns, documents, tuple(self._images))
