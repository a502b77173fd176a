"""Job images: one Dockerfile (build argument JOB) runs each job's entrypoint module, as non-root,
on one base; the Isaac Sim image of the episode job has its own."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import job_entrypoint

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "setuptools"
]["package-dir"]
JOBS: dict[str, dict[str, Any]] = {
    j["name"]: j for j in yaml.safe_load((ROOT / "infra" / "terraform" / "jobs.yaml").read_text())
}
CPU_DOCKERFILE = ROOT / "Dockerfile"
ISAACSIM_DOCKERFILE = ROOT / "episode-generation-job" / "Dockerfile.isaacsim"
DOCKERFILES = [CPU_DOCKERFILE, ISAACSIM_DOCKERFILE]
LAUNCHERS = {"python", "/isaac-sim/python.sh"}
ISAACSIM_BASE = "nvcr.io/nvidia/isaac-sim:5.1.0"
ISAACSIM_UID = "1234"


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _args(path: Path) -> dict[str, str]:
    """Default values of the Dockerfile's ARGs."""
    found = {}
    for word, rest in _instructions(path):
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            found[name] = value
    return found


def _final_base(path: Path) -> str:
    """The image the last stage builds on, with ARG defaults substituted."""
    *_, last = [rest.split()[0] for word, rest in _instructions(path) if word == "FROM"]
    return re.sub(r"\$\{(\w+)\}", lambda m: _args(path)[m.group(1)], last)


def _entrypoint(path: Path) -> list[str]:
    *_, last = [rest for word, rest in _instructions(path) if word == "ENTRYPOINT"]
    command = json.loads(last)
    assert isinstance(command, list), "ENTRYPOINT must use the exec (JSON) form"
    return command


def _built_module(job: str) -> str:
    """The entrypoint the CPU image gets for `--build-arg JOB=<job>` (the build's own command)."""
    build = [r for w, r in _instructions(CPU_DOCKERFILE) if w == "RUN" and "job_entrypoint" in r]
    assert build == ['python -I tools/job_entrypoint.py "${JOB}" > /job_module'], build
    script = [sys.executable, "-I", "tools/job_entrypoint.py", job]
    done = subprocess.run(script, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _module_file(module: str) -> Path:
    package, _, rest = module.partition(".")
    assert package in PACKAGE_DIRS, f"{package} is not a package of pyproject.toml"
    return ROOT / PACKAGE_DIRS[package] / (rest.replace(".", "/") + ".py")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_dockerfiles_found():
    """The repository has the one CPU job Dockerfile and the Isaac Sim one; no per-job copies."""
    assert all(path.is_file() for path in DOCKERFILES)
    assert not sorted(ROOT.glob("*-job/Dockerfile")), "jobs build from the root Dockerfile"


@pytest.mark.parametrize("job", sorted(JOBS))
def test_entrypoint_module_exists(job):
    """The CPU image built for a job runs `python -m <package>.<module>` of that job's folder."""
    assert _entrypoint(CPU_DOCKERFILE) == [
        "sh",
        "-c",
        'exec python -m "$(cat /etc/blueprint/job_module)" "$@"',
        "job",
    ]
    module = _built_module(job)
    path = _module_file(module)
    assert path.is_file(), f"JOB={job} runs {module}, but {_rel(path)} does not exist"
    assert path.parent == ROOT / job, "a job's image runs that job's own entrypoint"


@pytest.mark.parametrize("job", sorted(JOBS))
def test_entrypoint_matches_the_cloud_run_job(job):
    """The Cloud Run job (jobs.yaml) runs the module its image is built with."""
    assert _built_module(job) == JOBS[job]["module"]


def test_isaacsim_entrypoint_matches_the_cloud_run_job():
    """Dockerfile.isaacsim runs the episode job's module with the variant's launcher."""
    job = JOBS["episode-generation-job"]
    launcher, flag, module = _entrypoint(ISAACSIM_DOCKERFILE)
    assert launcher in LAUNCHERS and flag == "-m"
    assert module == job["module"]
    assert launcher == job["variants"]["isaacsim"]["launcher"]


def test_an_unknown_job_fails_the_build_with_one_line_naming_job():
    """A JOB that is no job folder stops the build (exit 2) with one line naming JOB."""
    for job in ("", "nope-job", "../tools"):
        script = [sys.executable, "-I", "tools/job_entrypoint.py", job]
        done = subprocess.run(script, cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("JOB: ") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_rel)
def test_image_runs_as_non_root(dockerfile):
    """The last USER is a non-root numeric uid (uid 1234 for the Isaac Sim image)."""
    *_, user = [rest for word, rest in _instructions(dockerfile) if word == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and uid != "0", user
    if dockerfile.suffix == ".isaacsim":
        assert uid == ISAACSIM_UID


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_rel)
def test_pinned_requirements_installed_before_project(dockerfile):
    """requirements.txt is installed first, then the project's wheel without re-resolving."""
    runs = [rest for word, rest in _instructions(dockerfile) if word == "RUN"]
    requirements = next(i for i, r in enumerate(runs) if "-r /tmp/requirements" in r)
    project = next(i for i, r in enumerate(runs) if "--no-deps /tmp/wheels/" in r)
    assert requirements < project
    assert any("pip wheel" in r and "--no-deps" in r for r in runs)


def test_python_images_share_one_current_base():
    """Every CPU image builds on the same Python 3.11 patch-release slim image."""
    base = _final_base(CPU_DOCKERFILE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base


def test_isaacsim_image_follows_ngc_conventions():
    """Dockerfile.isaacsim: NGC Isaac Sim 5.1.0, EULA accepted, /isaac-sim/python.sh launcher."""
    assert _final_base(ISAACSIM_DOCKERFILE) == ISAACSIM_BASE
    assert re.search(r"\bACCEPT_EULA=Y\b", ISAACSIM_DOCKERFILE.read_text())
    assert _entrypoint(ISAACSIM_DOCKERFILE)[0] == "/isaac-sim/python.sh"


def test_rendering_images_use_headless_egl():
    """The CPU image (usd previews, episodes on CPU render) sets MUJOCO_GL=egl with Mesa."""
    text = CPU_DOCKERFILE.read_text()
    assert "MUJOCO_GL=egl" in text
    assert "libegl1" in text and "libgl1-mesa-dri" in text


def test_every_job_with_an_entrypoint_has_an_image():
    """A job whose entrypoint module exists builds from the root Dockerfile (+ Isaac Sim one)."""
    for name, job in JOBS.items():
        if not _module_file(job["module"]).is_file():
            continue
        assert _built_module(name) == job["module"]
        if "isaacsim" in job["variants"]:
            assert (ROOT / name / "Dockerfile.isaacsim").is_file()


def test_dockerignore_keeps_the_context_small_but_complete():
    """.dockerignore drops the venv, git and tests, keeps what the wheel build needs."""
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "tests", "build", "*.egg-info"} <= patterns
    needed = {"requirements.txt", "pyproject.toml", "README.md", *PACKAGE_DIRS.values()}
    assert not needed & patterns


def test_the_entrypoint_script_prints_the_module_of_the_current_tree(monkeypatch, capsys):
    """`python tools/job_entrypoint.py <job>` (the build's command) prints the module, exit 0;
    a wrong argument count is a usage error (exit 2)."""
    monkeypatch.chdir(ROOT)
    assert job_entrypoint.main(["simready-job"]) == 0
    assert capsys.readouterr().out == f"{JOBS['simready-job']['module']}\n"
    assert job_entrypoint.main([]) == 2
    assert job_entrypoint.main(["nope-job"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"JOB: no job folder 'nope-job' in {ROOT}"
