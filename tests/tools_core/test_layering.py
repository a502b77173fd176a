"""Imports point down only: tools/ imports no job package, and no job imports another job."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "setuptools"
]["package-dir"]
JOBS = {name for name in PACKAGE_DIRS if name.endswith("_job")}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(["tools", *JOBS]))
def test_imports_point_down(package):
    """A package imports only tools/ and itself among the project's packages."""
    allowed = {"tools", package}
    offenders = {}
    for path in (ROOT / PACKAGE_DIRS[package]).rglob("*.py"):
        bad = (_imported_roots(path) & (JOBS | {"fixtures"})) - allowed
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders
