"""The Isaac Sim driver floor: read from the kernel module's version file, refused by name."""

from pathlib import Path

import pytest

from episode_generation_job import backend_selection
from episode_generation_job.backends import isaacsim_app
from episode_generation_job.errors import BackendUnavailableError
from episode_generation_job.gpu_driver import MIN_DRIVER, driver_problem, installed_driver

# /proc/driver/nvidia/version as the 570 and 535 kernel modules write it.
_R570 = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.172.08  Release Build  "
    "(dvs-builder@U22-I3-AF03-09-1)  Tue Jun 17 18:53:05 UTC 2025\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"
)
_R535 = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.216.03  Mon Oct 14 19:41:55 UTC 2024\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
)


def _version_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "version"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_open_and_proprietary_module_versions(tmp_path):
    assert installed_driver(_version_file(tmp_path, _R570)) == "570.172.08"
    assert installed_driver(_version_file(tmp_path, _R535)) == "535.216.03"
    assert installed_driver(_version_file(tmp_path, "garbage\n")) is None
    assert installed_driver(tmp_path / "absent") is None


def test_a_driver_at_or_above_the_floor_passes(tmp_path):
    assert driver_problem(version_file=_version_file(tmp_path, _R570)) is None
    floor = _R535.replace("535.216.03", MIN_DRIVER)
    assert driver_problem(version_file=_version_file(tmp_path, floor)) is None


def test_an_old_or_missing_driver_is_named(tmp_path):
    old = driver_problem(version_file=_version_file(tmp_path, _R535))
    assert (
        old == f"NVIDIA driver 535.216.03 is older than {MIN_DRIVER}, the Isaac Sim image's floor"
    )
    missing = driver_problem(version_file=tmp_path / "absent")
    assert missing is not None and "no NVIDIA driver found" in missing


def test_isaac_backend_refused_on_an_old_driver(monkeypatch, tmp_path):
    """With Isaac Sim importable but an R535 driver, Kit is not started and the job fails with
    the versions (BackendUnavailableError: permanent, exit 2, failure marker)."""
    old = _version_file(tmp_path, _R535)
    monkeypatch.setattr(backend_selection, "is_isaac_sim_available", lambda: True)
    monkeypatch.setattr(isaacsim_app, "is_isaac_sim_available", lambda: True)
    monkeypatch.setattr(
        backend_selection, "driver_problem", lambda: driver_problem(version_file=old)
    )
    monkeypatch.setattr(isaacsim_app, "driver_problem", lambda: driver_problem(version_file=old))
    assert not isaacsim_app.wants_isaac_sim({"PRODUCTION_MODE": "true"})
    with pytest.raises(BackendUnavailableError, match=r"535\.216\.03 is older than 570\.169"):
        backend_selection.resolve_backend(None, production_mode=True)
