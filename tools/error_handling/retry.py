"""SPEC-008's `retry_with_backoff` and `RetryableError`, on `tools.resilience.retry_transient`."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tools.errors import TransientError
from tools.resilience import retry_transient

P = ParamSpec("P")
R = TypeVar("R")

RetryableError = TransientError
"""The spec's name for an error another attempt may fix (ours: `tools.errors.TransientError`)."""


def retry_with_backoff(
    max_retries: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    total_delay: float = 600.0,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a function with exponential backoff, the spec's way (`@retry_with_backoff(...)`).

    Args:
        max_retries: calls in all (the spec's tests count 3 calls for `max_retries=3`).
        base_delay: first wait in seconds; it doubles per attempt, plus up to `base_delay`
            of jitter.
        max_delay: cap on one wait.
        retry_on: exception types retried; any `Exception` by default, as in the spec, except
            a permanent `PipelineError` (bad input or configuration), which no retry can fix.
        total_delay: budget in seconds from the first call to the end of the last wait.

    Returns:
        The decorator of `tools.resilience.retry_transient`: it re-raises the last error.
    """
    return retry_transient(
        attempts=max_retries,
        initial_delay_s=base_delay,
        max_delay_s=max_delay,
        jitter_s=base_delay,
        total_delay_s=total_delay,
        retry_on=retry_on,
    )
