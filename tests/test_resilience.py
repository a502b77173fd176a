"""Contracts of retry_transient and CircuitBreaker, driven by a fake clock (no real sleeps)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pytest

from tools.errors import (
    CircuitOpenError,
    InputError,
    ObjectNotFound,
    StorageError,
    TransientError,
)
from tools.resilience import CircuitBreaker, CircuitState, retry_transient
from tools.structured_logging import capture_logs

P = ParamSpec("P")
R = TypeVar("R")


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The breaker's state, read through a call so mypy does not narrow it across calls."""
    return breaker.state


class FakeClock:
    """Monotonic time that only moves when told to; `sleep` advances it and records the wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Flaky:
    """Raises the given errors in order, then returns "ok"; counts calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


def fast_retry(clock: FakeClock, **overrides: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """retry_transient with deterministic waits on the fake clock."""
    options: dict[str, Any] = {"initial_delay_s": 0.1, "jitter_s": 0.0, **overrides}
    return retry_transient(sleep=clock.sleep, clock=clock, **options)


# --- retry_transient -----------------------------------------------------------------------


def test_retries_retryable_pipeline_errors_until_success(clock: FakeClock) -> None:
    """Retryable PipelineErrors are retried and the eventual result is returned."""
    fn = Flaky(TransientError("blip"), StorageError("503"))
    assert fast_retry(clock)(fn)() == "ok"
    assert fn.calls == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [InputError("scene.json", "bad field"), ObjectNotFound("k"), ValueError("bug")],
)
def test_does_not_retry_permanent_errors(clock: FakeClock, error: Exception) -> None:
    """Non-retryable PipelineErrors and foreign exceptions propagate after one call."""
    fn = Flaky(error)
    with pytest.raises(type(error)):
        fast_retry(clock)(fn)()
    assert fn.calls == 1
    assert clock.sleeps == []


def test_retries_explicit_exception_types(clock: FakeClock) -> None:
    """Exception types passed in retry_on are retried too."""
    fn = Flaky(ConnectionResetError(), TimeoutError())
    assert fast_retry(clock, retry_on=(ConnectionError, TimeoutError))(fn)() == "ok"
    assert fn.calls == 3


def test_reraises_last_error_after_attempts(clock: FakeClock) -> None:
    """When attempts run out the last error itself propagates (not a tenacity RetryError)."""
    errors = [TransientError(f"blip {i}") for i in range(5)]
    fn = Flaky(*errors)
    with pytest.raises(TransientError, match="blip 2"):
        fast_retry(clock, attempts=3)(fn)()
    assert fn.calls == 3


def test_backoff_is_exponential_capped_and_jittered(clock: FakeClock) -> None:
    """Waits double from initial_delay_s, stay under max_delay_s and add at most jitter_s."""
    fn = Flaky(*[TransientError("x")] * 6)
    decorated = fast_retry(clock, attempts=7, initial_delay_s=0.1, max_delay_s=1.0, jitter_s=0.05)
    assert decorated(fn)() == "ok"
    assert len(clock.sleeps) == 6
    for n, wait in enumerate(clock.sleeps):
        base = 0.1 * 2**n
        assert min(base, 1.0) <= wait <= min(base + 0.05, 1.0)


def test_total_delay_budget_stops_early(clock: FakeClock) -> None:
    """Retrying stops before a wait that would overrun total_delay_s, counting attempt time."""
    calls = 0

    def slow_failure() -> None:
        nonlocal calls
        calls += 1
        clock.advance(1.0)  # each attempt takes one second
        raise TransientError("slow")

    decorated = fast_retry(
        clock, attempts=100, initial_delay_s=1.0, max_delay_s=1.0, total_delay_s=5.5
    )
    with pytest.raises(TransientError):
        decorated(slow_failure)()
    # attempt 1 (t=1), wait (t=2), attempt 2 (t=3), wait (t=4), attempt 3 (t=5): next wait > 5.5
    assert calls == 3
    assert sum(clock.sleeps) + calls * 1.0 <= 5.5


def test_each_retry_is_logged_at_warning(clock: FakeClock) -> None:
    """Every retry logs one WARNING naming the function, the attempt and the error."""

    def fetch_manifest() -> str:
        return fn()

    fn = Flaky(TransientError("blip-1"), TransientError("blip-2"))
    with capture_logs(logging.WARNING) as records:
        fast_retry(clock, attempts=4)(fetch_manifest)()
    warnings = [r for r in records if r["logger"] == "bp.tools.resilience"]
    assert [r["severity"] for r in warnings] == ["WARNING", "WARNING"]
    assert "fetch_manifest" in warnings[0]["message"]
    assert "attempt 1/4" in warnings[0]["message"]
    assert "blip-2" in warnings[1]["message"]


def test_decorator_keeps_metadata_and_arguments(clock: FakeClock) -> None:
    """The decorated function keeps its name and receives its arguments unchanged."""

    @fast_retry(clock)
    def add(a: int, b: int = 0) -> int:
        """Add two numbers."""
        return a + b

    assert add(2, b=3) == 5
    assert add.__name__ == "add"
    assert add.__doc__ == "Add two numbers."


def test_a_requested_delay_longer_than_the_backoff_wins(clock: FakeClock) -> None:
    """The wait is max(backoff, retry_after_s); max_delay_s caps only the backoff."""
    fn = Flaky(TransientError("429", retry_after_s=5.0))
    assert fast_retry(clock, initial_delay_s=0.1, max_delay_s=1.0)(fn)() == "ok"
    assert clock.sleeps == [5.0]


def test_a_requested_delay_shorter_than_the_backoff_is_ignored(clock: FakeClock) -> None:
    """A server asking for less than the backoff does not shorten it."""
    fn = Flaky(TransientError("429", retry_after_s=0.2))
    assert fast_retry(clock, initial_delay_s=1.0)(fn)() == "ok"
    assert clock.sleeps == [1.0]


def test_each_wait_follows_the_error_just_raised(clock: FakeClock) -> None:
    """Only the failing attempt's request counts; the backoff keeps growing meanwhile."""
    fn = Flaky(
        TransientError("a", retry_after_s=3.0),
        TransientError("b"),
        TransientError("c", retry_after_s=0.0),
    )
    assert fast_retry(clock, initial_delay_s=0.1)(fn)() == "ok"
    assert clock.sleeps == pytest.approx([3.0, 0.2, 0.4])


def test_retry_on_types_carrying_retry_after_s_are_honoured(clock: FakeClock) -> None:
    """Any retried exception with a numeric `retry_after_s` attribute is honoured."""

    class Throttled(ConnectionError):
        retry_after_s = 2.0

    fn = Flaky(Throttled())
    assert fast_retry(clock, retry_on=(ConnectionError,))(fn)() == "ok"
    assert clock.sleeps == [2.0]


@pytest.mark.parametrize("requested", [-1.0, float("nan"), float("inf"), True, "7", None])
def test_unusable_requested_delays_fall_back_to_backoff(
    clock: FakeClock, requested: object
) -> None:
    """Negative, non-finite or non-numeric requests are ignored."""

    class Throttled(ConnectionError):
        retry_after_s = requested

    fn = Flaky(Throttled())
    assert fast_retry(clock, initial_delay_s=0.5, retry_on=(ConnectionError,))(fn)() == "ok"
    assert clock.sleeps == [0.5]


def test_a_request_beyond_the_budget_reraises_without_sleeping(clock: FakeClock) -> None:
    """Honouring a request that would overrun total_delay_s stops retrying at once."""
    error = TransientError("429", retry_after_s=61.0)
    fn = Flaky(error)
    with pytest.raises(TransientError) as info:
        fast_retry(clock, total_delay_s=60.0)(fn)()
    assert info.value is error
    assert fn.calls == 1
    assert clock.sleeps == []


def test_the_budget_counts_earlier_waits_and_attempts(clock: FakeClock) -> None:
    """A request that fits alone but not after the time already spent stops retrying."""
    fn = Flaky(TransientError("a", retry_after_s=30.0), TransientError("b", retry_after_s=30.0))
    with pytest.raises(TransientError, match="b"):
        fast_retry(clock, total_delay_s=59.0)(fn)()
    assert fn.calls == 2
    assert clock.sleeps == [30.0]
    assert sum(clock.sleeps) <= 59.0


def test_a_requested_delay_is_logged_as_the_wait(clock: FakeClock) -> None:
    """The retry warning states the wait actually taken."""
    fn = Flaky(TransientError("429", retry_after_s=7.0))
    with capture_logs(logging.WARNING) as records:
        fast_retry(clock)(fn)()
    assert "retrying in 7.00s" in records[0]["message"]


def test_transient_errors_carry_an_optional_requested_delay() -> None:
    """retry_after_s is keyword-only and None by default, also for subclasses."""
    assert TransientError("blip").retry_after_s is None
    assert TransientError("blip", hint="h", retry_after_s=2.5).retry_after_s == 2.5
    opened = CircuitOpenError("circuit open", hint="next trial in 1s")
    assert opened.retry_after_s is None and opened.retryable
    assert str(opened) == "circuit open (hint: next trial in 1s)"


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"initial_delay_s": -1.0}, {"total_delay_s": -0.1}],
)
def test_retry_rejects_invalid_settings(options: dict[str, float]) -> None:
    """Non-positive attempts and negative delays are configuration errors."""
    with pytest.raises(ValueError):
        retry_transient(**options)  # type: ignore[arg-type]


# --- CircuitBreaker ------------------------------------------------------------------------


def failing() -> None:
    """A protected call that always fails like a dependency outage."""
    raise TransientError("service down")


def trip(breaker: CircuitBreaker) -> None:
    """Fail enough calls to open the breaker."""
    for _ in range(breaker.failure_threshold):
        with pytest.raises(TransientError):
            breaker.call(failing)


def test_closed_breaker_passes_calls_through(clock: FakeClock) -> None:
    """A closed breaker returns results and re-raises errors of the protected call."""
    breaker = CircuitBreaker("svc", clock=clock)
    assert breaker.call(lambda a, b: a * b, 6, b=7) == 42
    with pytest.raises(TransientError):
        breaker.call(failing)
    assert breaker.state is CircuitState.CLOSED


def test_opens_after_threshold_and_refuses_without_calling(clock: FakeClock) -> None:
    """After failure_threshold consecutive failures calls raise CircuitOpenError unattempted."""
    breaker = CircuitBreaker("svc", failure_threshold=3, clock=clock)
    trip(breaker)
    assert breaker.state is CircuitState.OPEN
    fn = Flaky()
    with pytest.raises(CircuitOpenError, match="svc") as info:
        breaker.call(fn)
    assert fn.calls == 0
    assert info.value.retryable


def test_success_resets_the_failure_count(clock: FakeClock) -> None:
    """Failures must be consecutive: a success in between keeps the circuit closed."""
    breaker = CircuitBreaker("svc", failure_threshold=2, clock=clock)
    for _ in range(3):
        with pytest.raises(TransientError):
            breaker.call(failing)
        breaker.call(lambda: None)
    assert breaker.state is CircuitState.CLOSED


def test_permanent_errors_do_not_count(clock: FakeClock) -> None:
    """Non-retryable PipelineErrors (bad input, missing object) do not open the circuit."""
    breaker = CircuitBreaker("svc", failure_threshold=1, clock=clock)
    with pytest.raises(ObjectNotFound):
        breaker.call(Flaky(ObjectNotFound("k")))
    assert breaker.state is CircuitState.CLOSED


def test_half_open_trial_success_closes(clock: FakeClock) -> None:
    """After reset_timeout_s one trial call passes; its success closes the circuit."""
    breaker = CircuitBreaker("svc", failure_threshold=2, reset_timeout_s=30.0, clock=clock)
    trip(breaker)
    clock.advance(29.9)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: "early")
    clock.advance(0.1)
    assert state_of(breaker) is CircuitState.HALF_OPEN
    assert breaker.call(lambda: "trial") == "trial"
    assert state_of(breaker) is CircuitState.CLOSED
    with pytest.raises(TransientError):
        breaker.call(failing)
    assert state_of(breaker) is CircuitState.CLOSED  # the failure count restarted from zero


def test_half_open_trial_failure_reopens_for_full_timeout(clock: FakeClock) -> None:
    """A failed trial call opens the circuit again for another reset_timeout_s."""
    breaker = CircuitBreaker("svc", failure_threshold=1, reset_timeout_s=10.0, clock=clock)
    trip(breaker)
    clock.advance(10.0)
    with pytest.raises(TransientError):
        breaker.call(failing)
    assert breaker.state is CircuitState.OPEN
    clock.advance(9.0)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    clock.advance(1.0)
    assert breaker.call(lambda: "ok") == "ok"


def test_half_open_admits_exactly_one_concurrent_trial(clock: FakeClock) -> None:
    """While the trial call runs, every other caller is refused."""
    breaker = CircuitBreaker("svc", failure_threshold=1, reset_timeout_s=1.0, clock=clock)
    trip(breaker)
    clock.advance(1.0)
    release = threading.Event()
    trial_calls = 0

    def slow_trial() -> str:
        nonlocal trial_calls
        trial_calls += 1
        release.wait(timeout=10)
        return "done"

    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def caller(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = breaker.call(slow_trial)
        except CircuitOpenError as exc:
            outcomes[i] = exc
        if sum(isinstance(o, CircuitOpenError) for o in outcomes) == n - 1:
            release.set()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert trial_calls == 1
    assert outcomes.count("done") == 1
    assert sum(isinstance(o, CircuitOpenError) for o in outcomes) == n - 1
    assert breaker.state is CircuitState.CLOSED


def test_interrupted_trial_frees_the_trial_slot(clock: FakeClock) -> None:
    """A trial ended by KeyboardInterrupt gives no verdict but lets the next call try."""
    breaker = CircuitBreaker("svc", failure_threshold=1, reset_timeout_s=1.0, clock=clock)
    trip(breaker)
    clock.advance(1.0)
    with pytest.raises(KeyboardInterrupt):
        breaker.call(Flaky(KeyboardInterrupt()))
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.call(lambda: "ok") == "ok"


def test_breaker_as_decorator(clock: FakeClock) -> None:
    """Decorating a function routes every call through the breaker and keeps its metadata."""
    breaker = CircuitBreaker("svc", failure_threshold=1, clock=clock)
    calls = 0

    @breaker
    def fetch(key: str) -> str:
        """Fetch a key."""
        nonlocal calls
        calls += 1
        if key == "bad":
            raise TransientError("down")
        return key.upper()

    assert fetch("a") == "A"
    assert fetch.__name__ == "fetch"
    with pytest.raises(TransientError):
        fetch("bad")
    with pytest.raises(CircuitOpenError):
        fetch("a")
    assert calls == 2


def test_retry_waits_out_an_open_circuit(clock: FakeClock) -> None:
    """retry_transient outside a breaker retries CircuitOpenError until the trial succeeds."""
    breaker = CircuitBreaker("svc", failure_threshold=1, reset_timeout_s=1.0, clock=clock)
    trip(breaker)
    decorated = fast_retry(clock, attempts=10, initial_delay_s=0.3, max_delay_s=0.3)
    assert decorated(breaker(lambda: "recovered"))() == "recovered"
    assert breaker.state is CircuitState.CLOSED


@pytest.mark.parametrize("options", [{"failure_threshold": 0}, {"reset_timeout_s": -1.0}])
def test_breaker_rejects_invalid_settings(options: dict[str, float]) -> None:
    """A threshold below one or a negative timeout is a configuration error."""
    with pytest.raises(ValueError):
        CircuitBreaker("svc", **options)  # type: ignore[arg-type]
