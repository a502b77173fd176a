"""Metric scale of a 3D-RE-GEN scene: consensus of category size ranges, or an override."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

PRIORS_FILE = Path(__file__).with_name("size_priors.json")
TAIL = 0.03  # relative distance outside its range at which an object starts to look mislabelled
_OUTLIER_TAILS = 3.0  # farther than this many tails outside its range: not evidence
_SEARCH_FACTOR = 3.0  # the coarse search spans median / 3 .. median * 3
_GRID = 601
_MAD_TO_SIGMA = 1.4826

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SizePrior:
    """Typical size range of a category, metres: (min, max) height, longest and shortest side."""

    height_m: tuple[float, float] | None
    length_m: tuple[float, float] | None
    width_m: tuple[float, float] | None
    source: str


@dataclass(frozen=True)
class Measurement:
    """One object's measured size in scene units.

    Attributes:
        object_id: the object it came from.
        category: its category (the key into the priors).
        label: its normalised 3D-RE-GEN label (matched by a reference override).
        height: vertical extent of the upright object, scene units.
        length: longest horizontal side, scene units, when the object's yaw is known.
        width: shortest horizontal side, scene units, when the object's yaw is known.
    """

    object_id: str
    category: str
    label: str
    height: float
    length: float | None = None
    width: float | None = None


@dataclass(frozen=True)
class ScaleEstimate:
    """Metres per scene unit and how well the evidence pins it down.

    Attributes:
        metric_scale: metres per scene unit.
        spread: robust relative standard deviation of the per-object scales (each object's
            range midpoint over its measured size); 0.05 = 5 %.
        stderr: relative half-width of the scales every inlier agrees with (0 when they
            conflict: then the scale is their least-squares compromise).
        samples: how many size samples were considered.
        inliers: how many of them were used.
        method: "configured", "reference" or "priors".
    """

    metric_scale: float
    spread: float
    stderr: float
    samples: int
    inliers: int
    method: str


@cache
def load_priors(path: Path = PRIORS_FILE) -> dict[str, SizePrior]:
    """The size-range table shipped with the package (docs/SIZE_PRIORS.md gives sources).

    Args:
        path: the JSON table.

    Returns:
        Category -> prior.
    """
    data: dict[str, Any] = json.loads(path.read_text())
    return {
        name: SizePrior(
            height_m=_range(entry.get("height_m")),
            length_m=_range(entry.get("length_m")),
            width_m=_range(entry.get("width_m")),
            source=entry["source"],
        )
        for name, entry in data["priors"].items()
    }


def configured(metric_scale: float) -> ScaleEstimate:
    """A scale the operator knows; no spread.

    Args:
        metric_scale: metres per scene unit.

    Returns:
        The estimate.
    """
    return ScaleEstimate(metric_scale, 0.0, 0.0, 0, 0, "configured")


def from_reference(measurements: Sequence[Measurement], dimension_m: float) -> ScaleEstimate:
    """Scale from objects whose height is known (median over them).

    Args:
        measurements: the reference objects' measurements (at least one).
        dimension_m: their real height, metres.

    Returns:
        The estimate; its spread is the relative spread among the references.
    """
    logs = np.log([dimension_m / m.height for m in measurements])
    centre = float(np.median(logs))
    spread = float(_MAD_TO_SIGMA * np.median(np.abs(logs - centre))) if len(logs) > 1 else 0.0
    return ScaleEstimate(math.exp(centre), spread, spread, len(logs), len(logs), "reference")


def from_priors(
    measurements: Sequence[Measurement], priors: dict[str, SizePrior]
) -> ScaleEstimate | None:
    """The scale most size ranges agree with.

    Each sample (an object's height or length against its category's range) allows an
    interval of log-scales. A robust (Cauchy) consensus over a grid finds where most
    intervals overlap; samples farther than 3 tails from it are outliers; the estimate is
    the middle of the inliers' common interval (the minimax choice for uniform ranges), or,
    when they conflict, the point minimising their squared distances to their intervals.

    Args:
        measurements: recognised objects' sizes.
        priors: the size-range table.

    Returns:
        The estimate, or None when no object has a prior.
    """
    low, high = _intervals(measurements, priors)
    if len(low) == 0:
        return None
    centre = float(np.median((low + high) / 2))
    span = math.log(_SEARCH_FACTOR)
    grid = np.linspace(centre - span, centre + span, _GRID)
    best = _argmin_cost(grid, low, high)
    step = grid[1] - grid[0]
    best = _argmin_cost(np.linspace(best - 2 * step, best + 2 * step, _GRID), low, high)
    inlier = _outside(np.array([best]), low, high)[0] <= _OUTLIER_TAILS * TAIL
    lo, hi = float(low[inlier].max()), float(high[inlier].min())
    if lo <= hi:
        estimate, half_width = (lo + hi) / 2, (hi - lo) / 2
    else:
        fine = np.linspace(hi, lo, _GRID)
        misfit = (_outside(fine, low[inlier], high[inlier]) ** 2).sum(axis=1)
        estimate, half_width = float(fine[int(np.argmin(misfit))]), 0.0
    mids = (low[inlier] + high[inlier]) / 2
    spread = float(_MAD_TO_SIGMA * np.median(np.abs(mids - np.median(mids))))
    return ScaleEstimate(
        math.exp(estimate), spread, half_width, len(low), int(inlier.sum()), "priors"
    )


def _intervals(
    measurements: Sequence[Measurement], priors: dict[str, SizePrior]
) -> tuple[Array, Array]:
    """Per-sample allowed log-scale intervals [log(min/size), log(max/size)]."""
    low: list[float] = []
    high: list[float] = []
    for m in measurements:
        prior = priors.get(m.category)
        if prior is None:
            continue
        pairs = ((prior.height_m, m.height), (prior.length_m, m.length), (prior.width_m, m.width))
        for allowed, size in pairs:
            if allowed is not None and size is not None and size > 0:
                low.append(math.log(allowed[0] / size))
                high.append(math.log(allowed[1] / size))
    return np.array(low), np.array(high)


def _outside(grid: Array, low: Array, high: Array) -> Array:
    """(G, N) how far each grid log-scale lies outside each sample's interval."""
    result: Array = np.maximum(
        np.maximum(low[None, :] - grid[:, None], grid[:, None] - high[None, :]), 0.0
    )
    return result


def _argmin_cost(grid: Array, low: Array, high: Array) -> float:
    cost = np.log1p((_outside(grid, low, high) / TAIL) ** 2).sum(axis=1)
    flat = np.flatnonzero(cost <= cost.min() + 1e-12)
    return float(grid[flat].mean())  # the middle of a flat-bottomed minimum


def _range(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    low, high = (float(v) for v in value)
    if not 0 < low <= high:
        raise ValueError(f"size range {value} must satisfy 0 < min <= max")
    return (low, high)
