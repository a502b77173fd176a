"""Kit's lifetime in an episode process: started before any project module that imports pxr,
omni or mujoco, closed only after the job has written its last checkpoint, shard summary,
merge and marker, and the process exits with the job's own code.

`SimulationApp.close()` must not run inside the job: with Isaac Sim's default
`fast_shutdown=True` it ends the process at once with code 0 (an exception then reads as
success, and the merge never happens). The backend therefore only stops the timeline; this
module owns the app.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from episode_generation_job.backend_selection import is_isaac_sim_available
from episode_generation_job.gpu_driver import driver_problem

_app: Any = None


def wants_isaac_sim(env: Mapping[str, str]) -> bool:
    """Whether this process will run the Isaac Sim backend (so Kit must start first).

    Reads only BACKEND and PRODUCTION_MODE, as the settings do; an unavailable Isaac Sim or a
    driver below the image's floor is left to `resolve_backend`, which fails with the reason
    (failure marker, exit 2) instead of Kit failing obscurely at start.
    """
    backend = env.get("BACKEND") or None
    production = env.get("PRODUCTION_MODE", "").strip().lower() in (
        "1",
        "on",
        "t",
        "true",
        "y",
        "yes",
    )
    requested = backend or ("isaacsim" if production else "mujoco")
    return requested == "isaacsim" and is_isaac_sim_available() and driver_problem() is None


def kit() -> Any:  # pragma: no cover - needs Isaac Sim
    """The process's running SimulationApp (started on first use)."""
    global _app
    if _app is None:
        from episode_generation_job.backends import isaacsim_api

        _app = isaacsim_api.start_app()
    return _app


def exit_status(code: object) -> int:
    """A `SystemExit.code` as a process status: None 0, an int itself, anything else 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_in_kit(
    body: Callable[[], int | None],
    *,
    start: Callable[[], Any] = kit,
    close: Callable[[Any], None] | None = None,
    exit_process: Callable[[int], NoReturn] = os._exit,
) -> NoReturn:
    """Start Kit, run the job body, close Kit, exit with the body's status.

    Args:
        body: the job (e.g. `run_job_main`, which exits through SystemExit); a returned int
            is the status, an uncaught exception is status 1 (never 0).
        start: starts Kit and returns the app.
        close: closes it (default `isaacsim_api.close_app`).
        exit_process: ends the process without running Kit's teardown a second time.
    """
    app = start()
    # SimulationApp's own SIGINT handler shuts Kit down and exits with 0 on the spot: an
    # interrupted job must fail like any other interruption (KeyboardInterrupt, status 1).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    status = 1
    try:
        status = exit_status(body())
    except SystemExit as exc:
        status = exit_status(exc.code)
    except BaseException:  # an exception is a failure, whatever Kit does on close
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            (close or _close_app)(app)
        except Exception:  # the job's outputs are written; a teardown fault keeps its status
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    exit_process(status)


def _close_app(app: Any) -> None:  # pragma: no cover - needs Isaac Sim
    from episode_generation_job.backends import isaacsim_api

    isaacsim_api.close_app(app)
