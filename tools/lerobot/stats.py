"""Feature statistics in lerobot's layout: per episode, aggregated, and their serialized forms.

Numeric features get exact per-episode statistics over their frames (quantiles with numpy's
linear interpolation). Video features get per-channel statistics of every frame, scaled to
[0, 1] and shaped (3, 1, 1), from 256-bin histograms so frames can stream through; pixels are
taken on a grid of every PIXEL_STRIDE-th row and column (an unbiased sample costing a quarter
of a full count, which would rival the encoder's own time). Dataset statistics aggregate the
per-episode ones: count, min, max, mean and std exactly (pooled variance); quantiles as the
count-weighted mean of the episodes' quantiles, as lerobot does (only an approximation).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tools.lerobot.format import QUANTILES, STAT_NAMES, stats_column

FeatureStats = dict[str, npt.NDArray[Any]]
PIXEL_STRIDE = 2
LAYER_STRIDE = 7
_LEVELS = np.arange(256, dtype=np.float64) / 255.0


def vector_stats(values: npt.NDArray[Any], *, integer: bool = False) -> FeatureStats:
    """Statistics of one numeric feature over an episode.

    Args:
        values: array of shape (T,) or (T, n), T >= 1.
        integer: the feature is an int dtype: min and max stay int64 (as lerobot's own stats).

    Returns:
        min, max, mean, std, q01..q99 of shape (n,) (scalars as (1,)) and count [T].
    """
    raw = np.asarray(values).reshape(values.shape[0], -1)
    data = raw.astype(np.float64)
    extreme_type = np.int64 if integer else np.float64
    stats: FeatureStats = {
        "min": raw.min(axis=0).astype(extreme_type),
        "max": raw.max(axis=0).astype(extreme_type),
        "mean": data.mean(axis=0),
        "std": data.std(axis=0),
        "count": np.array([data.shape[0]], dtype=np.int64),
    }
    levels = np.quantile(data, list(QUANTILES.values()), axis=0)
    for row, name in enumerate(QUANTILES):
        stats[name] = levels[row]
    return stats


def layer_stats(values: npt.NDArray[Any]) -> FeatureStats:
    """Statistics of a per-pixel uint16 layer (T, H * W) over an episode, pooled over all its
    pixels and repeated per pixel: shape (H * W,) as lerobot gives any (H * W,) feature, so its
    `aggregate_datasets` can mix ours with lerobot-written layers (it stacks stats of equal
    shapes); a normaliser reading them scales every pixel alike. count is [T]. min and max are
    exact; mean, std and quantiles come from a 65,536-bin histogram of every LAYER_STRIDE-th
    pixel (a prime stride, so rows are not sampled in one column), as the image statistics
    sample a grid; true per-pixel quantiles would sort every pixel's T values."""
    frames = np.asarray(values)
    flat = frames.reshape(-1)
    pixels = flat.size // frames.shape[0]
    counts = np.bincount(flat[::LAYER_STRIDE], minlength=65536).astype(np.float64)
    levels = np.arange(counts.size, dtype=np.float64)
    total = counts.sum()
    mean = float(levels @ counts / total)
    cumulative = np.cumsum(counts)
    pooled = {
        "min": int(flat.min()),
        "max": int(flat.max()),
        "mean": mean,
        "std": float(np.sqrt(((levels - mean) ** 2) @ counts / total)),
    }
    for name, q in QUANTILES.items():
        pooled[name] = min(int(np.searchsorted(cumulative, q * total, side="left")), 65535)
    stats: FeatureStats = {
        name: np.full(pixels, value, dtype=np.int64 if name in ("min", "max") else np.float64)
        for name, value in pooled.items()
    }
    stats["count"] = np.array([frames.shape[0]], dtype=np.int64)
    return stats


class ImageStatsAccumulator:
    """Owns per-channel pixel histograms of one camera's episode; frames stream through."""

    def __init__(self) -> None:
        self._hist = np.zeros((3, 256), dtype=np.int64)
        self._frames = 0

    def update(self, frame: npt.NDArray[np.uint8]) -> None:
        """Add one (H, W, 3) uint8 frame."""
        sample = frame[::PIXEL_STRIDE, ::PIXEL_STRIDE]
        for channel in range(3):
            self._hist[channel] += np.bincount(sample[..., channel].ravel(), minlength=256)
        self._frames += 1

    def result(self) -> FeatureStats:
        """Per-channel statistics in [0, 1], shaped (3, 1, 1); count is the frame count."""
        hist = self._hist
        pixels = hist.sum(axis=1).astype(np.float64)
        mean = (hist * _LEVELS).sum(axis=1) / pixels
        var = (hist * (_LEVELS[None, :] - mean[:, None]) ** 2).sum(axis=1) / pixels
        present = hist > 0
        stats: FeatureStats = {
            "min": _LEVELS[present.argmax(axis=1)],
            "max": _LEVELS[255 - present[:, ::-1].argmax(axis=1)],
            "mean": mean,
            "std": np.sqrt(var),
        }
        cumulative = hist.cumsum(axis=1)
        for name, q in QUANTILES.items():
            stats[name] = np.array([_hist_quantile(cumulative[c], q) for c in range(3)])
        shaped = {name: value.reshape(3, 1, 1) for name, value in stats.items()}
        shaped["count"] = np.array([self._frames], dtype=np.int64)
        return shaped


def _hist_quantile(cumulative: npt.NDArray[np.int64], q: float) -> float:
    """numpy's 'linear' quantile of the values a cumulative 256-bin histogram describes."""
    position = (int(cumulative[-1]) - 1) * q
    below = int(np.floor(position))
    low = _LEVELS[np.searchsorted(cumulative, below, side="right")]
    above = min(below + 1, int(cumulative[-1]) - 1)
    high = _LEVELS[np.searchsorted(cumulative, above, side="right")]
    return float(low + (position - below) * (high - low))


def aggregate(stats_list: Sequence[FeatureStats]) -> FeatureStats:
    """Combine per-episode statistics of one feature (see the module docstring for quantiles).

    Args:
        stats_list: one FeatureStats per episode, all of the same shapes.

    Returns:
        The dataset-level statistics.

    Raises:
        ValueError: if `stats_list` is empty.
    """
    if not stats_list:
        raise ValueError("no statistics to aggregate")
    counts = np.array([int(s["count"][0]) for s in stats_list], dtype=np.float64)
    total = counts.sum()
    ndim = np.asarray(stats_list[0]["mean"]).ndim
    weights = (counts / total).reshape(-1, *([1] * ndim))
    means = np.stack([s["mean"] for s in stats_list]).astype(np.float64)
    mean = (means * weights).sum(axis=0)
    spread = np.stack([s["std"] for s in stats_list]).astype(np.float64) ** 2
    var = ((spread + (means - mean) ** 2) * weights).sum(axis=0)
    out: FeatureStats = {
        "min": np.stack([s["min"] for s in stats_list]).min(axis=0),
        "max": np.stack([s["max"] for s in stats_list]).max(axis=0),
        "mean": mean,
        "std": np.sqrt(np.maximum(var, 0.0)),
        "count": np.array([int(total)], dtype=np.int64),
    }
    for name in QUANTILES:
        out[name] = (np.stack([s[name] for s in stats_list]) * weights).sum(axis=0)
    return out


def aggregate_features(
    per_episode: Sequence[Mapping[str, FeatureStats]],
) -> dict[str, FeatureStats]:
    """Aggregate every feature over episodes (order of features from the first episode)."""
    if not per_episode:
        return {}
    return {name: aggregate([ep[name] for ep in per_episode]) for name in per_episode[0]}


def to_json(stats: Mapping[str, FeatureStats]) -> dict[str, dict[str, Any]]:
    """meta/stats.json content: {feature: {stat: nested lists}}."""
    return {
        name: {stat: np.asarray(values[stat]).tolist() for stat in STAT_NAMES}
        for name, values in stats.items()
    }


def json_text(stats: Mapping[str, FeatureStats]) -> str:
    """meta/stats.json's text: `to_json` as JSON, one feature per line. A statistic whose
    values are all equal (a layer's pooled statistics, one per pixel) is written as one number
    repeated: json would format each of its H * W numbers anew (seconds at 256²)."""
    lines = []
    for name, values in stats.items():
        fields = ", ".join(
            f"{json.dumps(stat)}: {_array_text(np.asarray(values[stat]))}" for stat in STAT_NAMES
        )
        lines.append(f"    {json.dumps(name, ensure_ascii=False)}: {{{fields}}}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _array_text(array: npt.NDArray[Any]) -> str:
    if array.ndim == 1 and array.size > 1 and (array == array[0]).all():
        return "[" + ", ".join([json.dumps(array[0].item())] * array.size) + "]"
    return json.dumps(array.tolist())


def to_columns(stats: Mapping[str, FeatureStats]) -> dict[str, Any]:
    """Episode-row columns `stats/<feature>/<stat>` -> values: vectors as numpy arrays (Arrow
    converts them in bulk: a layer's 65,536 per-pixel values as a list cost ~10x more),
    image statistics (3, 1, 1) as nested lists."""
    return {
        stats_column(name, stat): _column_value(np.asarray(values[stat]))
        for name, values in stats.items()
        for stat in STAT_NAMES
    }


def _column_value(array: npt.NDArray[Any]) -> Any:
    return array if array.ndim == 1 else array.tolist()


def from_columns(row: Mapping[str, Any], features: Iterable[str]) -> dict[str, FeatureStats]:
    """Inverse of `to_columns` for the given features.

    Raises:
        KeyError: if a `stats/<feature>/<stat>` column is missing from the row.
    """
    out: dict[str, FeatureStats] = {}
    for name in features:
        out[name] = {stat: _stat_array(stat, row[stats_column(name, stat)]) for stat in STAT_NAMES}
    return out


def _stat_array(stat: str, value: Any) -> npt.NDArray[Any]:
    """A stored statistic as an array: count int64, min/max as stored (int features keep ints)."""
    if stat == "count":
        return np.asarray(value, dtype=np.int64)
    array = np.asarray(value)
    if stat in ("min", "max") and np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64)
    return array.astype(np.float64)
