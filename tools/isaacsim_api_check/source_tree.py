"""Isaac Sim's Python sources at one tag, read from a git checkout or mirror (no work tree needed).

Extensions live in `source/extensions/<ext>/`; their `premake5.lua` links or copies source
folders into the package (`{ "python/impl/*.py", ext.target_dir .. "/isaacsim/core/utils" }`),
which decides module names. Without a rule: a `python/` folder is the module `<ext>`, or the
package path is spelled out (`isaacsim/storage/native/...`). The top-level `isaacsim` package
is `source/python_packages/isaacsim/`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = "source/extensions/"
PYTHON_PACKAGES = "source/python_packages/"
SOURCE_ROOT = "source/"
PREMAKE = "premake5.lua"
_RULE = re.compile(r'\{\s*"([^"]+)"\s*,\s*ext\.target_dir\s*\.\.\s*"/([^"]+)"\s*\}')


def premake_rules(text: str) -> list[tuple[str, str]]:
    """(source, packaged path) pairs of an extension's premake5.lua link and copy rules."""
    return [(src, dst) for src, dst in _RULE.findall(text) if dst.split("/")[0].isidentifier()]


def _packaged(rest: str, rules: list[tuple[str, str]]) -> str | None:
    """Where a file of the extension lands in the package, by the longest matching rule."""
    best: tuple[int, str] | None = None
    for src, dst in rules:
        if src.endswith("/*.py"):
            folder = src[: -len("/*.py")]
            if rest.startswith(folder + "/") and "/" not in rest[len(folder) + 1 :]:
                candidate = (len(folder), f"{dst}/{rest[len(folder) + 1 :]}")
            else:
                continue
        elif rest.startswith(src + "/"):
            candidate = (len(src), f"{dst}/{rest[len(src) + 1 :]}")
        else:
            continue
        if best is None or candidate[0] > best[0]:
            best = candidate
    return None if best is None else best[1]


@dataclass(frozen=True)
class SourceFile:
    """One Python file of the tree: its module name (None: not importable) and text."""

    path: str
    module: str | None
    text: str


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True
    ).stdout


def module_name(path: str, rules: list[tuple[str, str]] | None = None) -> str | None:
    """The importable module of a file in the tree, or None (tests, examples, tools).

    Args:
        path: path inside the repository, e.g.
            `source/extensions/isaacsim.core.utils/python/impl/stage.py`.
        rules: the extension's premake link/copy rules (`premake_rules`).
    """
    if not path.endswith(".py") or "/tests/" in path or "/docs/" in path:
        return None
    if path.startswith(PYTHON_PACKAGES):
        parts = path[len(PYTHON_PACKAGES) : -3].split("/")
    elif path.startswith(EXTENSIONS):
        ext, _, rest = path[len(EXTENSIONS) :].partition("/")
        packaged = _packaged(rest, rules or [])
        if packaged is not None:
            parts = packaged[:-3].split("/")
        elif rest.startswith("python/"):
            parts = ext.split(".") + rest[len("python/") : -3].split("/")
        elif rest.startswith(ext.split(".")[0] + "/"):
            parts = rest[:-3].split("/")
        else:
            return None
    else:
        return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if all(p.isidentifier() for p in parts) else None


def read_tree(git_dir: Path, tag: str) -> tuple[str, Iterator[SourceFile]]:
    """The commit of `tag` and every Python file under `source/` at it.

    Args:
        git_dir: a clone or bare mirror of github.com/isaac-sim/IsaacSim.
        tag: e.g. "v5.1.0".

    Returns:
        The commit id and the files (module None for non-importable ones, e.g. examples).
    """
    commit = _git(git_dir, "rev-parse", f"{tag}^{{commit}}").decode().strip()
    names = _git(git_dir, "ls-tree", "-r", "--name-only", commit, SOURCE_ROOT).decode().split("\n")
    paths = [n for n in names if n.endswith(".py")]
    rules: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        if name.startswith(EXTENSIONS) and name.count("/") == 3 and name.endswith("/" + PREMAKE):
            text = _git(git_dir, "show", f"{commit}:{name}").decode("utf-8", errors="replace")
            rules[name.split("/")[2]] = premake_rules(text)

    def files() -> Iterator[SourceFile]:
        for path in paths:
            text = _git(git_dir, "show", f"{commit}:{path}").decode("utf-8", errors="replace")
            ext = path.split("/")[2] if path.startswith(EXTENSIONS) else ""
            yield SourceFile(path, module_name(path, rules.get(ext)), text)

    return commit, files()
