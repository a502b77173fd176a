"""Which backend runs the episodes; never a silent fallback. Light on purpose: the job's parent
process decides (and fails fast) before it loads any engine or starts its workers."""

from __future__ import annotations

import importlib.util

from episode_generation_job.errors import BackendUnavailableError
from episode_generation_job.gpu_driver import driver_problem

BACKENDS = ("mujoco", "isaacsim")


def _real_package(name: str) -> bool:
    """Whether `name` resolves to an installed package with an `__init__.py` (not a namespace)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.origin and spec.origin.endswith("__init__.py"))


def is_isaac_sim_available() -> bool:
    """Whether Isaac Sim's Python package is importable here (the NGC image or pip `isaacsim`).

    Returns:
        True only for a real `isaacsim` package (an `__init__.py` origin); an empty folder
        named isaacsim on the path does not count.
    """
    return _real_package("isaacsim")


def is_replicator_available() -> bool:
    """Whether Omniverse Replicator (camera annotators) can be used in this interpreter.

    Replicator is an extension a running `SimulationApp` loads; this checks Isaac Sim first,
    then whether the module resolves.

    Returns:
        True when `omni.replicator.core` resolves.
    """
    return is_isaac_sim_available() and _real_package("omni.replicator.core")


def resolve_backend(requested: str | None, production_mode: bool) -> str:
    """The backend to use; never falls back silently.

    Production requires Isaac Sim and fails fast when it is not importable; locally the default
    is the embedded MuJoCo backend, and an explicit `isaacsim` that is missing also fails.

    Args:
        requested: BACKEND (None: the mode's default).
        production_mode: PRODUCTION_MODE.

    Returns:
        "mujoco" or "isaacsim".

    Raises:
        BackendUnavailableError: the backend is not allowed or not importable here.
    """
    name = requested or ("isaacsim" if production_mode else "mujoco")
    if name not in BACKENDS:
        raise BackendUnavailableError(name, f"unknown; use one of {BACKENDS}")
    if production_mode and name != "isaacsim":
        raise BackendUnavailableError(
            name, "PRODUCTION_MODE=true requires BACKEND=isaacsim", hint="run in the NGC image"
        )
    if name == "isaacsim" and not is_isaac_sim_available():
        raise BackendUnavailableError(
            name,
            "Isaac Sim is not importable (no `isaacsim` package with a real origin)",
            hint="run inside nvcr.io/nvidia/isaac-sim (docs/ISAAC_SIM_SETUP.md)",
        )
    if name == "isaacsim" and (problem := driver_problem()):
        raise BackendUnavailableError(
            name,
            problem,
            hint="deploy on GKE or Compute Engine with an R570+ driver (docs/ISAAC_SIM_SETUP.md)",
        )
    return name
