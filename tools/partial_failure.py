"""Partial-failure handling: checkpoint successes, record failures, enforce a success rate."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from tools.errors import PartialFailureError
from tools.redaction import scrub
from tools.scene_layout import checkpoint_path
from tools.storage import Storage


def check_success_rate(rate: float) -> None:
    """Refuse a minimum success rate outside [0, 1]."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError("min_success_rate must be within [0, 1]")


class ItemOutcomes:
    """Per-item outcomes of a batch: what succeeded (with its result), what failed and why.

    The one bookkeeping behind `PartialFailureTracker` (checkpoints in scene storage) and the
    spec-shaped `tools.error_handling.PartialFailureHandler` (checkpoints through a callback);
    each owner sets the three attributes below.
    """

    min_success_rate: float
    succeeded: dict[str, Any]
    failed: dict[str, dict[str, Any]]

    def record_success(self, item: str, result: Any = None) -> None:
        """Record one successful item (a later success clears an earlier failure)."""
        self.succeeded[item] = result
        self.failed.pop(item, None)
        self._recorded()

    def record_failure(self, item: str, error: BaseException) -> None:
        """Record one failed item with its error type, message and trace."""
        self.failed[item] = {
            "item": item,
            "error_type": type(error).__name__,
            "error": scrub(str(error)),
            "stack_trace": scrub("".join(traceback.format_exception(error))),
            "at": time.time(),
        }
        self._recorded()

    def _recorded(self) -> None:
        """Called after each outcome (subclasses checkpoint here)."""

    @property
    def success_rate(self) -> float:
        """Succeeded / attempted (1.0 when nothing was attempted)."""
        attempted = len(self.succeeded) + len(self.failed)
        return 1.0 if attempted == 0 else len(self.succeeded) / attempted

    def summary(self) -> dict[str, Any]:
        """Counts and failed-item details for markers and reports."""
        return {
            "succeeded": len(self.succeeded),
            "failed": len(self.failed),
            "success_rate": round(self.success_rate, 4),
            "failed_items": [
                {k: v for k, v in f.items() if k != "stack_trace"} for f in self.failed.values()
            ],
        }

    def raise_if_below_rate(self) -> None:
        """Raise `PartialFailureError` if the success rate is below `min_success_rate`."""
        if self.success_rate < self.min_success_rate:
            raise PartialFailureError(
                sorted(self.succeeded),
                list(self.failed.values()),
                self.success_rate,
                self.min_success_rate,
            )


@dataclass
class PartialFailureTracker(ItemOutcomes):
    """Tracks per-item outcomes of a step and checkpoints successes periodically.

    Owns the checkpoint object `.checkpoints/<step>.json`: successes recorded there survive a
    crash, and `completed()` lets a rerun skip them.

    Args:
        storage: scene storage for the checkpoint.
        step: step name (names the checkpoint).
        min_success_rate: `finalize()` raises below this rate.
        checkpoint_every: write the checkpoint after this many new outcomes.
    """

    storage: Storage
    step: str
    min_success_rate: float = 0.5
    checkpoint_every: int = 10
    succeeded: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    _pending: int = 0

    def __post_init__(self) -> None:
        check_success_rate(self.min_success_rate)
        key = checkpoint_path(self.step)
        if self.storage.exists(key):
            saved = self.storage.read_json(key)
            self.succeeded = dict(saved.get("succeeded", {}))

    def completed(self) -> set[str]:
        """Items that already succeeded (possibly in an earlier attempt)."""
        return set(self.succeeded)

    def _recorded(self) -> None:
        self._pending += 1
        if self._pending >= self.checkpoint_every:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Write successes and failures so far (atomic)."""
        self.storage.write_json(
            checkpoint_path(self.step),
            {"step": self.step, "succeeded": self.succeeded, "failed": list(self.failed.values())},
        )
        self._pending = 0

    def finalize(self) -> None:
        """Checkpoint, then raise `PartialFailureError` if the success rate is too low."""
        self.checkpoint()
        self.raise_if_below_rate()
