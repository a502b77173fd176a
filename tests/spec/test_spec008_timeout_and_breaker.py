"""SPEC-008's timeout and circuit breaker under the spec's names (tools.error_handling)."""

from __future__ import annotations

import threading
import time

import pytest

from tools.error_handling import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    OperationTimeoutError,
    timeout,
)
from tools.errors import TransientError


def test_a_block_past_its_limit_raises_a_retryable_timeout():
    """A sleep of 2 s under a 0.05 s limit stops early with OperationTimeoutError."""
    started = time.monotonic()
    expected = r"glb parse ran past its 0\.05 s"
    with pytest.raises(OperationTimeoutError, match=expected) as info, timeout(0.05, "glb parse"):
        time.sleep(2)
    assert time.monotonic() - started < 1.0
    assert isinstance(info.value, TransientError) and info.value.exit_code == 1


def test_a_quick_call_passes_and_leaves_no_timer_behind():
    """As a decorator, a call within its limit returns its value and disarms the timer."""
    import signal

    @timeout(1.0)
    def quick() -> str:
        return "done"

    assert quick() == "done"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_nested_limits_each_fire_on_time():
    """An inner limit fires first when shorter; an outer one still fires inside a longer one."""
    with (
        pytest.raises(OperationTimeoutError, match="inner"),
        timeout(1.0, "outer"),
        timeout(0.05, "inner"),
    ):
        time.sleep(2)
    with pytest.raises(OperationTimeoutError, match="outer"), timeout(0.1, "outer"):
        with timeout(5.0, "inner"):
            pass
        time.sleep(2)
    with (
        pytest.raises(OperationTimeoutError, match="outer"),
        timeout(0.05, "outer"),
        timeout(5.0, "inner"),
    ):
        time.sleep(2)


def test_bad_limits_and_other_threads_are_refused():
    """A limit must be positive, and SIGALRM only reaches the main thread."""
    with pytest.raises(ValueError, match="> 0"), timeout(0):
        pass
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with timeout(1.0):
                pass
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "main thread" in str(errors[0])


def test_the_circuit_breaker_opens_after_repeated_failures():
    """Two failures open the circuit; the next call is refused without reaching the service."""
    breaker = CircuitBreaker("genie-sim", failure_threshold=2, reset_timeout_s=60)
    calls = []

    def down() -> None:
        calls.append(1)
        raise ConnectionError("refused")

    for _ in range(2):
        with pytest.raises(ConnectionError):
            breaker.call(down)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        breaker.call(down)
    assert len(calls) == 2
