"""Every registered job's Cloud Run entrypoint validates its configuration before any work."""

import importlib
import tomllib
from pathlib import Path

import pytest

from tools.job_entrypoint import entrypoint_module
from tools.steps import registered_steps

ROOT = Path(__file__).resolve().parents[2]
FOLDER_TO_PACKAGE = {
    folder: package
    for package, folder in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-dir"].items()
}
STEPS = registered_steps()


def _entrypoint(job: str) -> str:
    """The module of a job folder that calls run_job_main (the Dockerfile's ENTRYPOINT)."""
    folder = ROOT / job
    callers = [p for p in folder.glob("*.py") if "run_job_main(" in p.read_text()]
    assert len(callers) == 1, f"{job}: expected one entrypoint module, found {callers}"
    return f"{FOLDER_TO_PACKAGE[job]}.{callers[0].stem}"


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_has_one_entrypoint_named_in_its_dockerfile(step):
    """Each step's job folder has one entrypoint module, and the image built for it runs it."""
    module = _entrypoint(STEPS[step].job)
    assert entrypoint_module(ROOT, STEPS[step].job) == module
    assert 'tools/job_entrypoint.py "${JOB}"' in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize(
    ("env", "variable", "rule"),
    [
        ({}, "SCENE_ID", "required variable is not set"),
        ({"SCENE_ID": "../../etc", "BUCKET": "bucket-1"}, "SCENE_ID", "must match"),
        ({"SCENE_ID": "scene 1", "BUCKET": "bucket-1"}, "SCENE_ID", "must match"),
    ],
)
def test_bad_configuration_exits_2_naming_the_variable(
    step, env, variable, rule, monkeypatch, capsys
):
    """A missing or malformed SCENE_ID exits 2 with one line naming it, never its value."""
    for name in ("SCENE_ID", "BUCKET", "SCENE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module_name = _entrypoint(STEPS[step].job)
    monkeypatch.setattr("sys.argv", [module_name])
    module = importlib.import_module(module_name)
    with pytest.raises(SystemExit) as info:
        module.main()
    assert info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert variable in lines[0] and rule in lines[0]
    if "SCENE_ID" in env:
        assert env["SCENE_ID"] not in lines[0]


def test_bad_job_variable_leaves_a_failure_marker(tmp_path, monkeypatch, capsys):
    """With a valid scene location, a bad job-specific variable also leaves a failure marker."""
    monkeypatch.setenv("SCENE_ID", "scene_ok")
    monkeypatch.setenv("SCENE_DIR", str(tmp_path))
    monkeypatch.setenv("METRIC_SCALE", "-1")
    monkeypatch.setattr("sys.argv", ["ingest"])
    module = importlib.import_module(_entrypoint("regen3d-ingest-job"))
    with pytest.raises(SystemExit) as info:
        module.main()
    assert info.value.code == 2
    assert "METRIC_SCALE" in capsys.readouterr().err
    marker = tmp_path / ".markers/regen3d.failed-0.json"
    assert marker.is_file()
    assert "METRIC_SCALE" in marker.read_text()
