"""WriteBehind: writes run one at a time, in order, beside the caller; errors surface next."""

from __future__ import annotations

import threading

import pytest

from episode_generation_job.write_behind import WriteBehind


def test_writes_run_in_order_on_another_thread_one_at_a_time():
    done: list[int] = []
    threads: set[str] = set()
    running = threading.Lock()

    def write(k: int) -> None:
        assert running.acquire(blocking=False), "two writes ran at once"
        threads.add(threading.current_thread().name)
        done.append(k)
        running.release()

    with WriteBehind() as behind:
        for k in range(5):
            behind.submit(lambda k=k: write(k))
        behind.drain()
    assert done == [0, 1, 2, 3, 4]
    assert threads and threading.current_thread().name not in threads


def test_a_failed_write_is_raised_by_the_next_submit_and_later_writes_do_not_run():
    done: list[str] = []

    def fail() -> None:
        raise OSError("disk full")

    with WriteBehind() as behind:
        behind.submit(fail)
        with pytest.raises(OSError, match="disk full"):
            behind.submit(lambda: done.append("next"))
    assert done == []


def test_drain_raises_and_close_drops_the_error_of_the_write_in_flight():
    def fail() -> None:
        raise ValueError("bad frame")

    behind = WriteBehind()
    behind.submit(fail)
    with pytest.raises(ValueError, match="bad frame"):
        behind.drain()
    behind.drain()  # nothing left
    behind.submit(fail)
    behind.close()  # the caller is failing already: waits, raises nothing
    behind.close()


def test_in_line_writes_run_in_submit():
    done: list[str] = []
    with WriteBehind(in_line=True) as behind:
        behind.submit(lambda: done.append(threading.current_thread().name))
        assert done == [threading.current_thread().name]


def test_a_write_asked_in_line_waits_for_the_one_in_flight_then_runs_here():
    done: list[str] = []
    with WriteBehind() as behind:
        behind.submit(lambda: done.append("behind"))
        behind.submit(lambda: done.append(threading.current_thread().name), in_line=True)
        assert done == ["behind", threading.current_thread().name]
