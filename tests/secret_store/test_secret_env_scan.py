"""Only tools/secret_store reads secret-bearing environment variables."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"tests", ".venv", "build", "dist", "node_modules", "__pycache__"}
ALLOWED = Path("tools/secret_store")
SECRET_NAME = re.compile(r"API_KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
_READERS = {"getenv", "get", "pop", "setdefault"}


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "..."` assignments, to follow `os.getenv(NAME)`."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _env_key(node: ast.AST) -> ast.AST | None:
    """The variable-name expression if `node` reads the environment, else None."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Name):
            return node.args[0] if func.id == "getenv" else None
        if isinstance(func, ast.Attribute) and func.attr in _READERS:
            return node.args[0] if func.attr == "getenv" or _is_environ(func.value) else None
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    if isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
        return node.left
    return None


def _settings_fields(node: ast.AST) -> list[str]:
    """Secret-looking fields of a pydantic-settings class (read from the environment)."""
    if not isinstance(node, ast.ClassDef):
        return []
    if not any("Settings" in ast.unparse(base) for base in node.bases):
        return []
    return [
        item.target.id
        for item in node.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and SECRET_NAME.search(item.target.id)
    ]


def secret_env_reads(source: str) -> list[str]:
    """Names of secret-looking variables read from the environment in `source`."""
    if "environ" not in source and "getenv" not in source and "Settings" not in source:
        return []
    tree = ast.parse(source)
    constants = _constants(tree)
    names = []
    for node in ast.walk(tree):
        key = _env_key(node)
        name = ""
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            name = key.value
        elif isinstance(key, ast.Name):
            name = constants.get(key.id, "")
        if SECRET_NAME.search(name):
            names.append(name)
        names += _settings_fields(node)
    return names


def test_no_secret_env_reads_outside_tools_secret_store():
    """No module outside tests/ and tools/secret_store/ reads an *API_KEY*, *TOKEN*, *SECRET*
    or *PASSWORD* variable."""
    offenders = {}
    for current, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        for name in names:
            rel = Path(current, name).relative_to(ROOT)
            if not name.endswith(".py") or rel.parts[0] in SKIPPED_DIRS or ALLOWED in rel.parents:
                continue
            found = secret_env_reads((ROOT / rel).read_text(encoding="utf-8"))
            if found:
                offenders[str(rel)] = found
    assert not offenders, f"use tools.secret_store.get_secret_or_env instead: {offenders}"


def test_the_scan_catches_the_usual_spellings():
    """getenv, environ.get/[]/pop, `in environ`, constants and settings fields are all caught."""
    source = (
        "import os\nfrom os import environ, getenv\n"
        "KEY = 'OPENAI_API_KEY'\n"
        "os.getenv('GEMINI_API_KEY')\n"
        "getenv(KEY)\n"
        "os.environ.get('HF_TOKEN')\n"
        "environ['DB_PASSWORD']\n"
        "os.environ.pop('CLIENT_SECRET', None)\n"
        "'GENIE_SIM_API_KEY' in os.environ\n"
        "class S(BaseSettings):\n    gemini_api_key: str\n    scene_id: str\n"
    )
    assert sorted(secret_env_reads(source)) == sorted(
        [
            "GEMINI_API_KEY",
            "OPENAI_API_KEY",
            "HF_TOKEN",
            "DB_PASSWORD",
            "CLIENT_SECRET",
            "GENIE_SIM_API_KEY",
            "gemini_api_key",
        ]
    )
    assert secret_env_reads("import os\nos.getenv('SCENE_ID')\nd.get('API_KEY')\n") == []
