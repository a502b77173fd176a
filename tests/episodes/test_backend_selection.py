"""Backend choice: MuJoCo locally, Isaac Sim required in production, never a silent fallback."""

import importlib
import sys

import pytest

from episode_generation_job.backends import (
    is_isaac_sim_available,
    is_replicator_available,
    resolve_backend,
)
from episode_generation_job.errors import BackendUnavailableError


def test_local_default_is_mujoco():
    """Without PRODUCTION_MODE the embedded MuJoCo backend is the default."""
    assert resolve_backend(None, production_mode=False) == "mujoco"


def test_production_requires_isaacsim_and_fails_fast_here():
    """PRODUCTION_MODE refuses mujoco and fails when Isaac Sim is not importable."""
    with pytest.raises(BackendUnavailableError, match="requires BACKEND=isaacsim"):
        resolve_backend("mujoco", production_mode=True)
    with pytest.raises(BackendUnavailableError, match="not importable") as info:
        resolve_backend(None, production_mode=True)
    assert info.value.exit_code == 2


def test_explicit_isaacsim_without_isaac_fails_instead_of_falling_back():
    """BACKEND=isaacsim off the NGC image is an error, not MuJoCo in disguise."""
    with pytest.raises(BackendUnavailableError):
        resolve_backend("isaacsim", production_mode=False)


def test_an_empty_isaacsim_folder_is_not_isaac_sim(tmp_path, monkeypatch):
    """A namespace package named isaacsim (no __init__.py) does not count as installed."""
    (tmp_path / "isaacsim").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert not is_isaac_sim_available()
    assert not is_replicator_available()
    sys.modules.pop("isaacsim", None)


def test_isaacsim_module_imports_without_isaac_sim():
    """The Isaac Sim backend module loads anywhere (its omni imports are deferred)."""
    module = importlib.import_module("episode_generation_job.backends.isaacsim_backend")
    assert module.FRANKA_ASSET_CANDIDATES[0].endswith("franka.usda")
