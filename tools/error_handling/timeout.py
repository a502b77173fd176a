"""A time limit on a block or a function (SPEC-008's timeout): the one place jobs bound a call.

Retries never interrupt a running attempt (`tools.resilience`), so a call that can hang gets
its own limit here. The limit is a real-time interval timer (SIGALRM): it interrupts Python
code in the main thread; a C call that holds the interpreter is interrupted when it returns.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from tools.errors import OperationTimeoutError


@contextlib.contextmanager
def timeout(seconds: float, what: str = "operation") -> Iterator[None]:
    """Raise `OperationTimeoutError` if the block (or decorated function) runs past `seconds`.

    Usable as `with timeout(5, "glb parse"):` or as a decorator `@timeout(5)`. Limits nest:
    an outer limit keeps counting inside an inner one and still fires on time.

    Args:
        seconds: the limit, above 0.
        what: names the bounded call in the error.

    Raises:
        OperationTimeoutError: the limit passed (retryable: another attempt may be faster).
        ValueError: `seconds` is not above 0.
        RuntimeError: called outside the main thread (signals reach only the main thread).
    """
    if not seconds > 0:
        raise ValueError(f"timeout seconds must be > 0, got {seconds}")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("timeout() works in the main thread only (it uses SIGALRM)")
    started = time.monotonic()
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    # An outer limit due first stays in charge; otherwise this one takes the timer for a while.
    inner_first = outer_left <= 0 or seconds < outer_left

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OperationTimeoutError(what, seconds)

    previous = signal.getsignal(signal.SIGALRM)
    if inner_first:
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if inner_first:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer_left > 0:
                # Give the outer limit what is left of it (at least a tick: it may be due).
                left = outer_left - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6))
