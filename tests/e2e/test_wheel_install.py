"""A wheel carries everything: built, installed in a fresh venv and run from there."""

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_wheel_installs_and_runs_a_step(tmp_path):
    build = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT),
        cwd=tmp_path,
    )  # fmt: skip
    assert "Warning" not in build.stdout + build.stderr  # deprecations, packages left out
    (wheel,) = tmp_path.glob("blueprint_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "genie_sim_export_job/schemas/task_config.schema.json" in names
    assert "tools/scene_manifest/scene_manifest.schema.json" in names
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = str(venv / "bin/python")
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    )
    # Third-party packages come from this venv (a .pth entry: its own .pth files, the editable
    # install's finder among them, are not processed), the project only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "deps.pth").write_text(deps + "\n")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        str(wheel),
        cwd=tmp_path,
    )
    where = _run(
        python,
        "-c",
        "import tools, genie_sim_export_job as g; print(tools.__file__, g.__file__)",
        cwd=tmp_path,
    )
    assert str(ROOT) not in where.stdout and str(venv) in where.stdout
    _run(
        python,
        "-m",
        "fixtures.generate_mock_regen3d",
        "--scene-id",
        "w",
        "--output-dir",
        "out",
        cwd=tmp_path,
    )
    run = _run(
        str(venv / "bin/bp-run-local"),
        "--scene-dir",
        "out/w",
        "--steps",
        "regen3d",
        "--validate",
        cwd=tmp_path,
    )
    assert '"ok": true' in run.stdout
