"""Packaging: every module imports without sys.path edits and shadows no stdlib module."""

import importlib
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]


def _all_modules() -> list[str]:
    names = []
    for package, folder in PACKAGE_DIRS.items():
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / folder)], prefix=f"{package}."):
            names.append(info.name)
    return sorted(names)


def test_every_job_folder_is_a_mapped_package():
    """Each top-level folder with Python code is listed in pyproject's package mapping."""
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert folders <= set(PACKAGE_DIRS.values())
    assert set(PACKAGE_DIRS) <= set(PYPROJECT["tool"]["setuptools"]["packages"])


def test_no_module_shadows_the_stdlib():
    """No top-level package name is a stdlib module name."""
    assert not set(PACKAGE_DIRS) & set(sys.stdlib_module_names)


def test_importing_everything_leaves_stdlib_unshadowed():
    """After importing every module, `secrets`, `logging` and `json` are still the stdlib ones."""
    code = (
        "import importlib, sys\n"
        f"for name in {_all_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "import secrets, logging, json, tarfile, sysconfig, os\n"
        "stdlib = os.path.realpath(sysconfig.get_paths()['stdlib'])\n"
        "for mod in (secrets, logging, json, tarfile):\n"
        "    assert os.path.realpath(mod.__file__).startswith(stdlib), mod.__file__\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_modules_import_from_anywhere():
    """Job packages import from any working directory (editable install, no sys.path edits)."""
    for name in ("regen3d_ingest_job.step", "tools.run_local_pipeline"):
        assert importlib.import_module(name)


def test_every_subpackage_is_listed_for_wheels():
    """Every folder with files (code or data such as JSON Schemas) is in pyproject's packages:
    a wheel would miss it."""
    found = set()
    for package, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*"):
            rel = path.parent.relative_to(ROOT / folder).parts
            if not path.is_file() or any(p.startswith(".") or p == "__pycache__" for p in rel):
                continue
            found.add(".".join((package, *rel)))
    assert found == set(PYPROJECT["tool"]["setuptools"]["packages"])


def _top_level_names(folder: Path) -> set[str]:
    names = {p.stem for p in folder.glob("*.py")} | {p.parent.name for p in folder.glob("*/*.py")}
    return {n for n in names if not n.startswith("_")}


def test_script_folders_shadow_nothing():
    """Run as a script, a file's folder comes first on sys.path: none of tools/ or fixtures/
    may then take the name of a stdlib module, an installed package or a sibling package."""
    import importlib.metadata

    installed = {
        name
        for name, dists in importlib.metadata.packages_distributions().items()
        if set(dists) != {"blueprint-pipeline"}
    }
    taken = set(sys.stdlib_module_names) | installed | set(PACKAGE_DIRS)
    for folder in ("tools", "fixtures"):
        assert not _top_level_names(ROOT / folder) & taken, folder


def test_spec_commands_work_in_script_form(tmp_path):
    """The spec's script forms (`python tools/run_local_pipeline.py --help`, the Isaac Sim
    check) start from any folder; `make spec-commands` runs the full three in CI."""
    for script in ("tools/run_local_pipeline.py", "fixtures/generate_mock_regen3d.py"):
        proc = subprocess.run(
            [sys.executable, str(ROOT / script), "--help"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage:")
