"""One property decides: a retryable error exits 1, any other pipeline error exits 2; a broken
USD file is bad input (exit 2, one line naming the file) in every job that reads it."""

import importlib
import json
import pkgutil
import re

import pytest

import tools
from tools.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    InputError,
    ObjectNotFound,
    PartialFailureError,
    PipelineError,
    PreconditionFailed,
    StepFailedError,
    StorageError,
    TransientError,
)
from tools.job_runner import JobTerminatedError, PermanentFailureSeenError, exit_code_for
from tools.usd_stage import open_usd_stage

JOB_PACKAGES = (
    "episode_generation_job",
    "genie_sim_import_job",
    "genie_sim_export_job",
    "simready_job",
    "usd_assembly_job",
    "replicator_job",
    "regen3d_ingest_job",
)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def _import_error_modules() -> None:
    for info in pkgutil.walk_packages(tools.__path__, prefix="tools."):
        if info.name.endswith(("errors", "job_runner", "render")):
            importlib.import_module(info.name)
    for package in JOB_PACKAGES:
        importlib.import_module(f"{package}.step")


def test_every_error_class_has_one_answer():
    """No class overrides the exit code: it follows `retryable`, which no class can contradict."""
    _import_error_modules()
    classes = _subclasses(PipelineError)
    assert len(classes) > 20
    for cls in classes:
        assert cls.exit_code is PipelineError.exit_code, f"{cls.__name__} overrides exit_code"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PreconditionFailed("a.json"), EXIT_BAD_INPUT),
        (ObjectNotFound("a.json"), EXIT_BAD_INPUT),
        (PartialFailureError(["a"], [{"item": "b", "error": "x"}], 0.5, 0.9), EXIT_BAD_INPUT),
        (PermanentFailureSeenError("attempt 1 failed permanently"), EXIT_BAD_INPUT),
        (InputError("scene.usda", "does not parse"), EXIT_BAD_INPUT),
        (TransientError("503"), EXIT_FAILURE),
        (JobTerminatedError("received signal SIGTERM"), EXIT_FAILURE),
        (StorageError("connection reset"), EXIT_FAILURE),
        (RuntimeError("a bug"), EXIT_FAILURE),
    ],
)
def test_exit_code_follows_retryable(error, code):
    assert exit_code_for(error) == code
    if isinstance(error, PipelineError):
        assert error.retryable == (code == EXIT_FAILURE)


def test_an_instance_marked_permanent_exits_2():
    """gcs.py marks a non-transient StorageError permanent on the instance: the code follows."""
    error = StorageError("403 forbidden")
    error.retryable = False
    assert error.exit_code == EXIT_BAD_INPUT
    step = StepFailedError("usd", error)
    assert (step.retryable, step.exit_code) == (False, EXIT_BAD_INPUT)
    assert StepFailedError("usd", RuntimeError("bug")).exit_code == EXIT_FAILURE


GARBAGE = {
    "truncated": '#usda 1.0\n(\n    upAxis = "Z"\n)\ndef Xform "World" {\n    def Mesh "m" {\n'
    "        point3f[] points = [(0, 0, 0), (1, 0",
    "binary": "\x00\x01\x02 not usd at all",
    "empty": "",
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_broken_usd_is_one_line_of_bad_input(tmp_path, kind):
    path = tmp_path / "scene.usda"
    path.write_text(GARBAGE[kind])
    with pytest.raises(InputError) as info:
        open_usd_stage(path)
    message = str(info.value)
    assert info.value.exit_code == EXIT_BAD_INPUT
    assert message.startswith(str(path)) and "\n" not in message
    assert "pxrInternal" not in message and "pegtl" not in message
    if kind == "truncated":  # the parser's own first complaint, with line and column
        assert re.search(r"scene\.usda:\d+:\d+: parse error", message), message
    assert len(message) < 320


def test_episodes_job_exits_2_on_a_corrupt_scene(tmp_path, monkeypatch, capfd):
    """The Cloud Run entrypoint: exit 2, a permanent failure marker, no pxr traceback."""
    from episode_generation_job import generate_episodes
    from episode_generation_job.testing import write_tabletop_usd

    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    usd = scene_dir / "usd/scene.usda"
    usd.write_text(usd.read_text()[:4000])
    env = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": "1"}
    env |= {"CAMERAS": "", "PREVIEW_EPISODES": "0", "STRUCTURED_LOGGING": "false"}
    env |= {"WORKERS": "1", "MUJOCO_GL": "egl", "RANDOMIZATION": "none"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_info:
        generate_episodes.main(["--workers", "1"])
    assert exit_info.value.code == EXIT_BAD_INPUT
    err = capfd.readouterr().err
    assert "scene.usda" in err and "Traceback" not in err
    (marker,) = (scene_dir / ".markers").glob("episodes.failed-*.json")
    record = json.loads(marker.read_text())
    assert record["retryable"] is False and record["exit_code"] == EXIT_BAD_INPUT
