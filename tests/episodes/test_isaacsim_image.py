"""The Isaac Sim image installs only the job's generated runtime list, keeps what the job
imports, and its setup doc states how to build, run and where (driver floor, RT-core GPUs)."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name

from tests.git_repos import commit_and_tag
from tools import isaacsim_image_requirements as image_requirements

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "episode-generation-job/Dockerfile.isaacsim"
DOC = ROOT / "docs/ISAAC_SIM_SETUP.md"


def _listed() -> dict[str, str]:
    pins = {}
    for line in image_requirements.OUTPUT.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _provided() -> dict[str, str]:
    header = next(
        line for line in image_requirements.OUTPUT.read_text().splitlines()
        if line.startswith("# prebundled by Isaac Sim")
    )  # fmt: skip
    return dict(p.split("==") for p in header.split(": ", 1)[1].split(", "))


def test_runtime_list_is_pinned_like_the_lock_and_keeps_kit_s_own():
    """Every pin equals requirements.txt; Kit's numpy/pxr and mujoco-usd are left out; what the
    job imports (mujoco for IK, the Franka URDF's pybullet, pyarrow, av) stays."""
    listed, lock = _listed(), image_requirements.lock_pins()
    assert listed and all(lock[n] == v for n, v in listed.items())
    assert not {"numpy", "usd-core", "mujoco-usd", "scipy"} & set(listed)
    assert {"mujoco", "mujoco-core", "pybullet", "pyarrow", "av", "pydantic"} <= set(listed)
    assert len(listed) < len(lock)


def test_runtime_list_is_what_the_job_imports_now(tmp_path):
    """Regenerating the list (from a tree whose deps/pip*.toml prebundle what the committed
    header names) gives the committed file byte for byte: it is generated, and has not drifted
    from what the job imports."""
    repo = tmp_path / "IsaacSim"
    (repo / "deps").mkdir(parents=True)
    pins = ",\n".join(f'    "{n}=={v}"' for n, v in _provided().items())
    (repo / "deps/pip_all.toml").write_text(f"packages = [\n{pins}\n]\n")
    commit_and_tag(repo, "v5.1.0")
    out = tmp_path / "requirements-isaacsim.txt"
    args = ["--git-dir", str(repo / ".git"), "--tag", "v5.1.0", "--out", str(out)]
    assert image_requirements.main(args) == 0
    assert out.read_text() == image_requirements.OUTPUT.read_text()


def test_dockerfile_installs_the_runtime_list_only():
    """No dev lock, no uninstall of what the job imports, --no-deps into Isaac Sim's Python."""
    text = DOCKERFILE.read_text()
    assert "requirements-isaacsim.txt" in text and "requirements.txt /tmp" not in text
    assert "uninstall" not in text and "grep -v" not in text
    assert re.search(
        r"python\.sh -m pip install [^\n]*--no-deps -r /tmp/requirements-isaacsim", text
    )


def test_setup_doc_matches_the_shipped_image():
    """Build path, run command, driver floor and GPU types are stated; no stale Dockerfile."""
    doc = DOC.read_text()
    assert "docker build -f episode-generation-job/Dockerfile.isaacsim" in doc
    assert "docker run --rm --gpus all" in doc
    assert "570.169" in doc and "R570" in doc
    assert all(gpu in doc for gpu in ("L4", "L40S", "RT-core", "H100"))
    assert "GKE" in doc and "Compute Engine" in doc
    assert "```dockerfile" not in doc  # one Dockerfile: the shipped one
