"""Checks of what callers hand the writer: feature declarations, episode arrays, camera frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from tools.lerobot.errors import FeatureError
from tools.lerobot.format import DEFAULT_FEATURES, VIDEO_DTYPE, FeatureSpec, Provenance, VideoInfo


def check_frames(
    features: Mapping[str, FeatureSpec], frames: Mapping[str, npt.NDArray[Any]]
) -> tuple[dict[str, npt.NDArray[Any]], int | None]:
    """Check one episode's numeric arrays against the declared features.

    Args:
        features: the declared numeric features.
        frames: one (T, ...) array per feature ((T,) allowed for shape (1,)).

    Returns:
        The arrays as (T, n) of the declared dtypes, and T (None without features).

    Raises:
        FeatureError: missing, undeclared or writer-computed keys; wrong shape or dtype;
            NaN or infinity; lengths that disagree.
    """
    computed = sorted(set(frames) & set(DEFAULT_FEATURES))
    if computed:
        raise FeatureError(f"frames.{computed[0]}", "is computed by the writer")
    if set(frames) != set(features):
        missing = sorted(set(features) - set(frames))
        unknown = sorted(set(frames) - set(features))
        raise FeatureError("frames", f"missing {missing}, undeclared {unknown}")
    columns: dict[str, npt.NDArray[Any]] = {}
    length: int | None = None
    for name, spec in features.items():
        values = np.asarray(frames[name])
        if spec.shape == (1,) and values.ndim == 1:
            values = values[:, None]
        if values.ndim != 1 + len(spec.shape) or values.shape[1:] != spec.shape or not len(values):
            raise FeatureError(f"frames.{name}", f"shape {values.shape} != (T, *{spec.shape})")
        if not np.can_cast(values.dtype, spec.dtype, casting="same_kind"):
            raise FeatureError(f"frames.{name}", f"dtype {values.dtype} is not {spec.dtype}")
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise FeatureError(f"frames.{name}", "contains NaN or infinity")
        if length is not None and values.shape[0] != length:
            raise FeatureError(f"frames.{name}", f"{values.shape[0]} frames, others {length}")
        length = values.shape[0]
        columns[name] = values.astype(spec.dtype, copy=False)
    return columns, length


def check_first_frame(
    key: str, frame: npt.NDArray[Any], expected: VideoInfo | None
) -> tuple[int, int]:
    """Check a camera's first frame of an episode and return its (height, width).

    Raises:
        FeatureError: not (H, W, 3) uint8, odd sizes (yuv420p), or a size change.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise FeatureError(f"images.{key}", f"frames must be (H, W, 3) uint8, not {frame.shape}")
    height, width = int(frame.shape[0]), int(frame.shape[1])
    if height % 2 or width % 2:
        raise FeatureError(f"images.{key}", f"yuv420p needs even sizes, got {height}x{width}")
    if expected is not None and (expected.height, expected.width) != (height, width):
        raise FeatureError(
            f"images.{key}", f"{height}x{width} != {expected.height}x{expected.width}"
        )
    return height, width


def parse_features(
    features: Mapping[str, FeatureSpec | Mapping[str, Any]],
) -> dict[str, FeatureSpec]:
    """Numeric feature declarations as FeatureSpec.

    Raises:
        FeatureError: a reserved name, a name with '/', an invalid spec, or a video dtype.
    """
    parsed: dict[str, FeatureSpec] = {}
    for name, spec in features.items():
        if name in DEFAULT_FEATURES or "/" in name:
            raise FeatureError(f"features.{name}", "reserved or contains '/'")
        try:
            parsed[name] = (
                spec if isinstance(spec, FeatureSpec) else FeatureSpec.model_validate(spec)
            )
        except ValidationError as exc:
            raise FeatureError(f"features.{name}", str(exc.errors()[0]["msg"])) from exc
        if parsed[name].dtype == VIDEO_DTYPE:
            raise FeatureError(f"features.{name}", "declare cameras with video_keys")
    return parsed


def parse_video_keys(video_keys: Sequence[str], features: Mapping[str, FeatureSpec]) -> list[str]:
    """Camera feature names, checked.

    Raises:
        FeatureError: duplicates, empty names, '/' in a name, or a clash with a feature.
    """
    keys = list(video_keys)
    if len(set(keys)) != len(keys) or any("/" in k or k in features or not k for k in keys):
        raise FeatureError("video_keys", f"must be unique new names without '/': {keys}")
    return keys


def parse_provenance(provenance: Provenance | Mapping[str, Any]) -> Provenance:
    """The provenance block, validated.

    Raises:
        FeatureError: if a field is missing or malformed.
    """
    try:
        return (
            provenance
            if isinstance(provenance, Provenance)
            else Provenance.model_validate(provenance)
        )
    except ValidationError as exc:
        raise FeatureError("provenance", str(exc.errors()[0]["msg"])) from exc
