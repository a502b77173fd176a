"""Every archive in the project is unpacked through tools.archives, never tarfile/zipfile."""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"tests", ".venv", "build", "dist", "node_modules", "__pycache__"}
ALLOWED = {
    Path("tools/archives"),  # the safe implementation itself
    Path("bench/bench_archives.py"),  # measures tarfile's own extractall as the baseline
}
ARCHIVE_MODULES = {"tarfile", "zipfile", "shutil"}


def _project_files() -> list[Path]:
    files = []
    for current, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        for name in names:
            rel = Path(current, name).relative_to(ROOT)
            if rel.parts[0] in SKIPPED_DIRS or not name.endswith(".py"):
                continue
            if not any(rel == allowed or allowed in rel.parents for allowed in ALLOWED):
                files.append(ROOT / rel)
    return files


def _imports_archive_module(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] in ARCHIVE_MODULES for alias in node.names):
                return True
        elif (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] in ARCHIVE_MODULES
        ):
            return True
    return False


def unsafe_calls(source: str) -> list[str]:
    """Calls that unpack an archive without tools.archives: extractall anywhere, extract or
    unpack_archive in a module that imports tarfile, zipfile or shutil."""
    if "extract" not in source and "unpack_archive" not in source:
        return []
    tree = ast.parse(source)
    archive_module = _imports_archive_module(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "extractall" or (archive_module and name in ("extract", "unpack_archive")):
            found.append(f"line {node.lineno}: {name}()")
    return found


def test_no_code_outside_tools_archives_unpacks_archives():
    """No module outside tests/ and tools/archives/ calls extractall/extract/unpack_archive."""
    offenders = {}
    for path in _project_files():
        calls = unsafe_calls(path.read_text(encoding="utf-8"))
        if calls:
            offenders[str(path.relative_to(ROOT))] = calls
    assert not offenders, f"use tools.archives.safe_extract_tar/zip instead: {offenders}"


def test_the_scan_catches_the_usual_spellings():
    """The scan flags tar.extractall, zf.extract, shutil.unpack_archive and bare extractall."""
    source = (
        "import tarfile, zipfile, shutil\n"
        "tarfile.open('a').extractall('o')\n"
        "zipfile.ZipFile('a').extract('m')\n"
        "shutil.unpack_archive('a', 'o')\n"
        "from shutil import unpack_archive\n"
        "unpack_archive('a')\n"
    )
    assert len(unsafe_calls(source)) == 4
    assert unsafe_calls("df.str.extract('x')\n") == []
    assert len(unsafe_calls("archive.extractall()\n")) == 1
