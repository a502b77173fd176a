"""A clean run prints no USD noise a user can do nothing about, and hides nothing else."""

import os
import subprocess
import sys

from tools.usd_diagnostics import dropping_stderr_lines

CHILD = """
import os
from usd_assembly_job.shader_defs import ensure_preview_surface_definitions
from tools.usd_diagnostics import sdr_registry
assert "UsdPreviewSurface" in ensure_preview_surface_definitions()
assert "UsdPreviewSurface" in sdr_registry().GetShaderNodeIdentifiers()
"""


def test_building_the_shader_registry_prints_nothing(tmp_path):
    """usd-core's missing-shaderDefs 'Coding Error' (from C++ threads) no longer reaches stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_other_stderr_lines_pass_through(capfd):
    with dropping_stderr_lines("known noise"):
        os.write(2, b"Coding Error: known noise\nsomething a user can act on\n")
    assert capfd.readouterr().err == "something a user can act on\n"
