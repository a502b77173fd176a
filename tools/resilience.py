"""Retries for transient failures and circuit breakers for failing dependencies."""

from __future__ import annotations

import enum
import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import ParamSpec, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from tools.errors import CircuitOpenError, PipelineError
from tools.structured_logging import get_logger

P = ParamSpec("P")
R = TypeVar("R")

logger = get_logger(__name__)


def is_retryable(exc: BaseException, retry_on: tuple[type[BaseException], ...] = ()) -> bool:
    """Whether `exc` is worth another attempt.

    Args:
        exc: the exception an attempt raised.
        retry_on: extra exception types to treat as transient.

    Returns:
        A `PipelineError`'s own `retryable` (a permanent one is never retried, even when
        `retry_on` is as broad as `Exception`); else whether `exc` is an instance of `retry_on`.
    """
    if isinstance(exc, PipelineError):
        return exc.retryable
    return isinstance(exc, retry_on)


def _requested_delay(exc: BaseException | None) -> float | None:
    """The `retry_after_s` of `exc` if it is a finite, non-negative number, else None."""
    value = getattr(exc, "retry_after_s", None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def retry_transient(
    *,
    attempts: int = 5,
    initial_delay_s: float = 0.5,
    max_delay_s: float = 10.0,
    jitter_s: float = 0.5,
    total_delay_s: float = 60.0,
    retry_on: tuple[type[BaseException], ...] = (),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Build a decorator that retries a function while it fails with transient errors.

    The n-th wait (from 0) is `min(initial_delay_s * 2**n + uniform(0, jitter_s), max_delay_s)`.
    When the error carries `retry_after_s` (the delay the server asked for, e.g. in a
    Retry-After header), the wait is `max(backoff, retry_after_s)`: the server's request wins
    over a shorter backoff and is not capped by `max_delay_s`. Retrying stops after `attempts`
    calls, or before a wait that would end more than `total_delay_s` after the first call
    started; a requested delay beyond that budget re-raises the error at once, never sleeping
    past the budget. A running attempt is never interrupted, so bound each attempt with its
    own timeout. Do not wrap calls whose client already retries (google-cloud-storage, GAPIC
    clients): the retries would multiply.

    Args:
        attempts: maximum number of calls, at least 1.
        initial_delay_s: base of the exponential backoff.
        max_delay_s: cap on a single backoff wait (not on a server's requested delay).
        jitter_s: upper bound of the random amount added to each wait.
        total_delay_s: budget from the first call's start to the end of the last wait.
        retry_on: exception types retried besides retryable `PipelineError`s.
        sleep: waits between attempts (injectable for tests).
        clock: monotonic seconds used for the total budget (injectable for tests).

    Returns:
        A decorator; the decorated function re-raises the last error once retrying stops.

    Raises:
        ValueError: `attempts` is below 1 or a delay is negative.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    if min(initial_delay_s, max_delay_s, jitter_s, total_delay_s) < 0:
        raise ValueError("delays must be non-negative")
    backoff = wait_exponential_jitter(multiplier=initial_delay_s, max=max_delay_s, jitter=jitter_s)

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        requested = _requested_delay(state.outcome.exception() if state.outcome else None)
        return delay if requested is None else max(delay, requested)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name = getattr(fn, "__qualname__", repr(fn))

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.warning(
                "%s failed (attempt %d/%d): %s: %s; retrying in %.2fs",
                name,
                state.attempt_number,
                attempts,
                type(exc).__name__,
                exc,
                state.upcoming_sleep,
            )

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = clock()

            def should_stop(state: RetryCallState) -> bool:
                if state.attempt_number >= attempts:
                    return True
                return clock() - started + state.upcoming_sleep > total_delay_s

            retrying = Retrying(
                stop=should_stop,
                wait=wait,
                retry=retry_if_exception(lambda exc: is_retryable(exc, retry_on)),
                sleep=sleep,
                before_sleep=log_retry,
                reraise=True,
            )
            return retrying(fn, *args, **kwargs)

        return wrapper

    return decorate


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries transient failures within one call (`retry_transient`'s terms).

    The defaults suit a quick cloud API call (Secret Manager); a client with other needs
    subclasses it with its own defaults (the LLM client's waits longer).
    """

    attempts: int = 4
    """Calls at most, the first included."""
    initial_delay_s: float = 0.5
    """First wait; doubles on each retry."""
    max_delay_s: float = 4.0
    """Cap on one wait."""
    jitter_s: float = 0.25
    """Random extra wait, up to this."""
    total_delay_s: float = 20.0
    """Budget from the first call to the end of the last wait."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    """Waits between attempts (tests pass a no-op)."""

    def retrying(
        self, retry_on: tuple[type[BaseException], ...] = ()
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """The `retry_transient` decorator with these settings (this class's fields are its
        keyword arguments; a subclass's own fields, such as a call deadline, are not)."""
        settings = {f.name: getattr(self, f.name) for f in fields(RetryPolicy)}
        return retry_transient(retry_on=retry_on, **settings)


class CircuitState(enum.Enum):
    """The state of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def counts_as_failure(exc: BaseException) -> bool:
    """Default failure rule: any exception except a non-retryable `PipelineError`.

    Args:
        exc: the exception a protected call raised.

    Returns:
        False for permanent pipeline errors (bad input, missing object, lost precondition):
        the dependency answered, so they say nothing about its health.
    """
    return not (isinstance(exc, PipelineError) and not exc.retryable)


class CircuitBreaker:
    """Owns the health state of one dependency and refuses calls while it is failing.

    Closed: calls pass; `failure_threshold` consecutive failures open the circuit. Open: calls
    raise `CircuitOpenError` until `reset_timeout_s` has passed. Half-open: one trial call
    passes (others are refused); its success closes the circuit, its failure opens it again.
    Thread-safe; the protected call itself runs outside the lock.
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        is_failure: Callable[[BaseException], bool] = counts_as_failure,
    ) -> None:
        """Create a closed circuit.

        Args:
            name: the protected dependency, used in errors and logs.
            failure_threshold: consecutive failures that open the circuit, at least 1.
            reset_timeout_s: how long the circuit stays open before a trial call.
            clock: monotonic seconds (injectable for tests).
            is_failure: which exceptions count against the dependency.

        Raises:
            ValueError: `failure_threshold` is below 1 or `reset_timeout_s` is negative.
        """
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if reset_timeout_s < 0:
            raise ValueError(f"reset_timeout_s must be >= 0, got {reset_timeout_s}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._is_failure = is_failure
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        """The current state; an open circuit whose timeout has passed reports half-open."""
        with self._lock:
            if self._state is CircuitState.OPEN and self._timeout_passed():
                return CircuitState.HALF_OPEN
            return self._state

    def _timeout_passed(self) -> bool:
        return self._clock() - self._opened_at >= self.reset_timeout_s

    def _admit(self) -> bool:
        """Let a call through or raise; returns whether it is the half-open trial."""
        with self._lock:
            if self._state is CircuitState.CLOSED:
                return False
            if self._state is CircuitState.OPEN and self._timeout_passed():
                self._state = CircuitState.HALF_OPEN
            if self._state is CircuitState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            remaining = max(0.0, self.reset_timeout_s - (self._clock() - self._opened_at))
        raise CircuitOpenError(
            f"circuit {self.name} is open after repeated failures",
            hint=f"next trial call in {remaining:.1f}s",
        )

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        logger.warning(
            "circuit %s opened after %d failure(s); refusing calls for %.1fs",
            self.name,
            self._failures,
            self.reset_timeout_s,
        )

    def _record_success(self, trial: bool) -> None:
        with self._lock:
            self._failures = 0
            if trial:
                self._trial_running = False
                self._state = CircuitState.CLOSED
                logger.info("circuit %s closed: trial call succeeded", self.name)

    def _record_failure(self, trial: bool) -> None:
        with self._lock:
            self._failures += 1
            if trial:
                self._trial_running = False
                self._open()
            elif self._state is CircuitState.CLOSED and self._failures >= self.failure_threshold:
                self._open()

    def _release_trial(self) -> None:
        with self._lock:
            self._trial_running = False

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call `fn(*args, **kwargs)` through the breaker.

        Args:
            fn: the protected call.
            *args: positional arguments for `fn`.
            **kwargs: keyword arguments for `fn`.

        Returns:
            What `fn` returns.

        Raises:
            CircuitOpenError: the circuit is open, or half-open with its trial call running.
        """
        trial = self._admit()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if self._is_failure(exc):
                self._record_failure(trial)
            else:
                self._record_success(trial)
            raise
        except BaseException:
            # Interrupted (e.g. KeyboardInterrupt): no verdict, but free the trial slot.
            if trial:
                self._release_trial()
            raise
        self._record_success(trial)
        return result

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use the breaker as a decorator: every call of `fn` goes through `call`."""

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(fn, *args, **kwargs)

        return wrapper
