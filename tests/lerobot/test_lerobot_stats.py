"""Contracts of the statistics helpers: exact where documented, lerobot's layout throughout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tools.lerobot import STAT_NAMES
from tools.lerobot.stats import (
    PIXEL_STRIDE,
    ImageStatsAccumulator,
    aggregate,
    json_text,
    layer_stats,
    to_json,
    vector_stats,
)


def test_vector_stats_are_numpy_statistics():
    """Per-episode numeric stats equal numpy's min/max/mean/std/quantiles over frames."""
    values = np.random.default_rng(1).normal(size=(50, 4))
    stats = vector_stats(values)
    assert set(stats) == set(STAT_NAMES)
    np.testing.assert_allclose(stats["std"], values.std(axis=0))
    np.testing.assert_allclose(stats["q99"], np.quantile(values, 0.99, axis=0))
    assert stats["count"].tolist() == [50] and stats["min"].shape == (4,)
    assert vector_stats(np.arange(5.0))["mean"].shape == (1,)


def test_image_stats_are_exact_on_the_sampled_grid():
    """Image stats equal numpy over the sampled pixels, per channel, in [0, 1], shape (3,1,1)."""
    frames = np.random.default_rng(2).integers(0, 256, size=(7, 32, 48, 3), dtype=np.uint8)
    accumulator = ImageStatsAccumulator()
    for frame in frames:
        accumulator.update(frame)
    stats = accumulator.result()
    sample = frames[:, ::PIXEL_STRIDE, ::PIXEL_STRIDE].reshape(-1, 3) / 255.0
    for name, expected in {
        "min": sample.min(0),
        "max": sample.max(0),
        "mean": sample.mean(0),
        "std": sample.std(0),
        "q01": np.quantile(sample, 0.01, axis=0),
        "q50": np.quantile(sample, 0.5, axis=0),
        "q90": np.quantile(sample, 0.9, axis=0),
    }.items():
        assert stats[name].shape == (3, 1, 1)
        np.testing.assert_allclose(stats[name].ravel(), expected, atol=1e-12, err_msg=name)
    assert stats["count"].tolist() == [7]


def test_aggregate_pools_exactly_except_quantiles():
    """Pooled count/min/max/mean/std equal the statistics of the concatenated data."""
    rng = np.random.default_rng(3)
    parts = [rng.normal(loc=i, size=(n, 3)) for i, n in enumerate((10, 25, 4))]
    pooled = aggregate([vector_stats(part) for part in parts])
    every = np.concatenate(parts)
    np.testing.assert_allclose(pooled["mean"], every.mean(0))
    np.testing.assert_allclose(pooled["std"], every.std(0))
    np.testing.assert_allclose(pooled["min"], every.min(0))
    assert pooled["count"].tolist() == [39]
    weights = np.array([10, 25, 4]) / 39
    expected_q50 = sum(w * np.quantile(p, 0.5, axis=0) for w, p in zip(weights, parts, strict=True))
    np.testing.assert_allclose(pooled["q50"], expected_q50)
    with pytest.raises(ValueError):
        aggregate([])


def test_stats_json_text_is_the_json_of_the_stats():
    """The fast stats.json text (one number repeated for a layer's pooled per-pixel stats)
    parses to what json.dumps would write, for layers, vectors and images alike."""
    rng = np.random.default_rng(4)
    layer = rng.integers(0, 3000, size=(6, 12 * 8), dtype=np.uint16)
    accumulator = ImageStatsAccumulator()
    accumulator.update(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
    stats = {
        "observation.depth.scene": layer_stats(layer),
        "observation.state": vector_stats(rng.normal(size=(6, 3))),
        "observation.images.scene": accumulator.result(),
    }
    assert stats["observation.depth.scene"]["mean"].shape == (96,)
    assert json.loads(json_text(stats)) == json.loads(json.dumps(to_json(stats)))
    pooled = layer.reshape(-1)
    assert stats["observation.depth.scene"]["max"][0] == pooled.max()
