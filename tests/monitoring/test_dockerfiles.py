"""Job images: each Dockerfile runs an existing entrypoint module, as non-root, on one base."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "setuptools"
]["package-dir"]
JOBS: dict[str, dict[str, Any]] = {
    j["name"]: j for j in yaml.safe_load((ROOT / "infra" / "terraform" / "jobs.yaml").read_text())
}
DOCKERFILES = sorted(ROOT.glob("*-job/Dockerfile*"))
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


def _module_file(module: str) -> Path:
    package, _, rest = module.partition(".")
    assert package in PACKAGE_DIRS, f"{package} is not a package of pyproject.toml"
    return ROOT / PACKAGE_DIRS[package] / (rest.replace(".", "/") + ".py")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_dockerfiles_found():
    """The repository has job Dockerfiles (the ingest job's entrypoint exists from the start)."""
    assert ROOT / "regen3d-ingest-job" / "Dockerfile" in DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_rel)
def test_entrypoint_module_exists(dockerfile):
    """ENTRYPOINT is [<python>, -m, <package>.<module>] and that module's file exists."""
    launcher, flag, module = _entrypoint(dockerfile)
    assert launcher in LAUNCHERS and flag == "-m"
    path = _module_file(module)
    assert path.is_file(), f"{_rel(dockerfile)} runs {module}, but {_rel(path)} does not exist"
    assert path.parent == dockerfile.parent, "a job's image runs that job's own entrypoint"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_rel)
def test_entrypoint_matches_the_cloud_run_job(dockerfile):
    """The Cloud Run job of that folder (jobs.yaml) runs the same module with the same launcher."""
    job = JOBS[dockerfile.parent.name]
    launcher, _, module = _entrypoint(dockerfile)
    variant = job["variants"].get("isaacsim", {}) if dockerfile.suffix == ".isaacsim" else {}
    assert module == job["module"]
    assert launcher == variant.get("launcher", "python")


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
    bases = {_final_base(p) for p in DOCKERFILES if p.suffix != ".isaacsim"}
    assert len(bases) == 1, bases
    (base,) = bases
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base


def test_isaacsim_image_follows_ngc_conventions():
    """Dockerfile.isaacsim: NGC Isaac Sim 5.1.0, EULA accepted, /isaac-sim/python.sh launcher."""
    images = [p for p in DOCKERFILES if p.suffix == ".isaacsim"]
    for path in images:
        assert _final_base(path) == ISAACSIM_BASE
        assert re.search(r"\bACCEPT_EULA=Y\b", path.read_text())
        assert _entrypoint(path)[0] == "/isaac-sim/python.sh"
    if not images:
        pytest.skip("no Isaac Sim image yet (its entrypoint module does not exist)")


def test_rendering_images_use_headless_egl():
    """Images of jobs that render (usd previews, episodes on CPU) set MUJOCO_GL=egl with Mesa."""
    rendering = {"usd-assembly-job", "episode-generation-job"}
    for path in DOCKERFILES:
        if path.parent.name in rendering and path.suffix != ".isaacsim":
            text = path.read_text()
            assert "MUJOCO_GL=egl" in text
            assert "libegl1" in text and "libgl1-mesa-dri" in text


def test_every_job_with_an_entrypoint_has_an_image():
    """A job whose entrypoint module exists has its Dockerfile (and the Isaac Sim one)."""
    for name, job in JOBS.items():
        if not _module_file(job["module"]).is_file():
            continue
        assert (ROOT / name / "Dockerfile").is_file(), f"{name}/Dockerfile is missing"
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
