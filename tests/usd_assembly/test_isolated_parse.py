"""The UsdPhysics parse check runs in a single-threaded child; a crashing child is a failed
check, not a dead job."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.steps import Check
from usd_assembly_job import isolated_parse
from usd_assembly_job.isolated_parse import check_physics_parse_isolated
from usd_assembly_job.usd_checks import check_physics_parse
from usd_assembly_job.usd_files import open_stage


def test_the_child_finds_what_the_parse_in_this_process_finds(assembled_scene: Path):
    """Same figures and verdict as the in-process check."""
    here = check_physics_parse(
        open_stage(assembled_scene / SCENE_USD_PATH), load_manifest(assembled_scene)
    )
    isolated = check_physics_parse_isolated(assembled_scene)
    assert isolated.ok and isolated == here


def test_a_child_killed_by_a_signal_is_retried_then_reported(
    assembled_scene: Path, monkeypatch: pytest.MonkeyPatch
):
    """A child that segfaults every time: a failed check naming the signal."""
    crash = f"import os, signal; os.kill(os.getpid(), signal.{signal.SIGSEGV.name})"
    monkeypatch.setattr(isolated_parse, "child_command", lambda _: [sys.executable, "-c", crash])
    result = check_physics_parse_isolated(assembled_scene)
    assert not result.ok
    assert (
        result.detail == f"the UsdPhysics parse crashed with signal {int(signal.SIGSEGV)} (2 tries)"
    )


def test_a_child_that_fails_reports_its_last_error_line(tmp_path: Path):
    """No scene there: the child's own error ends the detail."""
    result = check_physics_parse_isolated(tmp_path / "missing")
    assert not result.ok and "exited with 1" in result.detail


def test_check_results_survive_the_json_round_trip():
    """from_dict(as_dict()) gives the same check."""
    check = Check("x", False, "d", {"n": 1.5}, ("a", "b"))
    assert Check.from_dict(check.as_dict()) == check
