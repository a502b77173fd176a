"""Write episodes behind the simulation: while episode k+1 is simulated and rendered, one
thread encodes episode k's videos and writes its parquet rows.

Encoding (PyAV/x264) and parquet writing (pyarrow) release the GIL, so on a 2-core worker the
writing of an RGB camera episode (a quarter to a third of its cost) runs beside the next
episode's physics and rendering instead of after it. Writes run one at a time in submission
order, so the dataset's bytes are those of writing in line; at most one write is in flight
(each holds an episode's frames), so memory grows by one episode at most.

Episodes with per-pixel layers are written in line (`submit(..., in_line=True)`): on the 2-vCPU
host, writing ~120 MB of 256² depth and segmentation values beside the renderer cost both
~40 % more CPU (4.9 -> 6.8 s per episode, wall 7.3 -> 8.8 s, two alternated pairs), while RGB
episodes gained 10-25 % wall.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tools.closing import ClosesOnExit


class WriteBehind(ClosesOnExit):
    """Owns one writer thread; `submit` queues a write, `drain` waits for all of them.

    An error of a write is raised by the next `submit` or `drain` (the caller's loop stops
    there, as it would have after the failed write). Use as a context manager or call
    `close()`: it waits for the write in flight and discards its error (the caller is already
    failing) before the caller aborts what the writes were writing.
    """

    def __init__(self, in_line: bool = False) -> None:
        """Start the thread.

        Args:
            in_line: run every write in `submit` instead (no thread): for callers that need
                each write done before they go on.
        """
        self._pool = None if in_line else ThreadPoolExecutor(1, thread_name_prefix="write")
        self._pending: Future[object] | None = None

    def submit(self, write: Callable[[], object], *, in_line: bool = False) -> None:
        """Wait for the previous write (raising its error), then start `write` (in line: run
        it here and return when it is done)."""
        self.drain()
        if self._pool is None or in_line:
            write()
            return
        self._pending = self._pool.submit(write)

    def drain(self) -> None:
        """Wait for the write in flight; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the write in flight (its error is dropped) and stop the thread."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.exception()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
