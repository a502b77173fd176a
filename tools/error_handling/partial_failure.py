"""SPEC-005's `PartialFailureHandler`: run items one by one, keep what succeeded, enforce a rate.

The bookkeeping is `tools.partial_failure.ItemOutcomes` (the same as the steps'
`PartialFailureTracker`); this handler adds the spec's call shape and saves its successful
items through a callback instead of a scene checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.partial_failure import ItemOutcomes, PartialFailureTracker, check_success_rate
from tools.scene_layout import checkpoint_path
from tools.storage import Storage


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one `PartialFailureHandler.execute` call."""

    item_id: str
    success: bool
    value: Any = None
    error: BaseException | None = None


class PartialFailureHandler(ItemOutcomes):
    """Runs items, records each outcome and keeps the values the caller adds as successful.

    Owns `successful_items` (what `save_checkpoint` hands to `save_successful_fn`) and the
    per-item outcomes behind `success_rate` and `failed_items`.
    """

    def __init__(
        self,
        min_success_rate: float = 0.5,
        save_successful_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        """Create an empty handler.

        Args:
            min_success_rate: the rate `raise_if_below_rate()` enforces, within [0, 1].
            save_successful_fn: called with the successful items by `save_checkpoint()`.

        Raises:
            ValueError: `min_success_rate` is outside [0, 1].
        """
        check_success_rate(min_success_rate)
        self.min_success_rate = min_success_rate
        self.succeeded: dict[str, Any] = {}
        self.failed: dict[str, dict[str, Any]] = {}
        self.successful_items: list[Any] = []
        self._save = save_successful_fn

    def execute(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any] = (),
        item_id: str | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> ItemResult:
        """Call `fn(*args, **kwargs)`; an exception fails this item only.

        Returns:
            The item's result: `success` and `value`, or the `error` it raised.
        """
        item = item_id if item_id is not None else f"item_{len(self.succeeded) + len(self.failed)}"
        try:
            value = fn(*args, **(kwargs or {}))
        except Exception as exc:
            self.record_failure(item, exc)
            return ItemResult(item, False, error=exc)
        self.record_success(item)
        return ItemResult(item, True, value)

    def add_successful(self, value: Any) -> None:
        """Keep `value` among the items `save_checkpoint()` saves."""
        self.successful_items.append(value)

    @property
    def failed_items(self) -> list[dict[str, Any]]:
        """One dict per failed item: item, error type, message, trace, time."""
        return list(self.failed.values())

    def save_checkpoint(self) -> None:
        """Hand the successful items so far to `save_successful_fn` (if one was given)."""
        if self._save is not None:
            self._save(list(self.successful_items))


def save_successful_items(storage: Storage, step: str, items: Sequence[Any]) -> str:
    """Write `items` as the step's checkpoint `.checkpoints/<step>.json` and return its key.

    The checkpoint is the one `PartialFailureTracker` keeps (items keyed `item_<i>`), so a
    rerun of the step sees them as done. Use it as a handler's save function:
    `save_successful_fn=functools.partial(save_successful_items, storage, "episodes")`.
    """
    tracker = PartialFailureTracker(storage, step, min_success_rate=0.0, checkpoint_every=2**31)
    for index, item in enumerate(items):
        tracker.record_success(f"item_{index}", item)
    tracker.checkpoint()
    return checkpoint_path(step)
