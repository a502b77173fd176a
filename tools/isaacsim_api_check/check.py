"""Check a module's Isaac Sim / Omniverse calls against the pinned snapshot of the release.

`isaacsim.*` calls: the module exists, the name exists (through the module's imports, a
class's bases), positional arguments fit and every keyword is a parameter; a method called
on the class itself must be a classmethod or staticmethod. `omni.*` / `carb.*` calls: the
release's own sources make the same call (same chain), with every keyword we pass.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tools.isaacsim_api_check.chains import Call, ChainResolver
from tools.isaacsim_api_check.snapshot import DEFINITION_ROOT, USAGE_ROOTS

SNAPSHOT_PATH = Path(__file__).with_name("isaacsim-5.1.0.json")
# Past these, a chain is a pxr object (the USD API, checked with usd-core by other tests).
USD_OBJECTS = ("omni.usd.get_context().get_stage().",)


@cache
def load_snapshot(path: Path = SNAPSHOT_PATH) -> dict[str, Any]:
    """The snapshot JSON (cached)."""
    snapshot: dict[str, Any] = json.loads(path.read_text())
    return snapshot


def module_calls(
    text: str, *, module: str = "", returns: Mapping[str, str] | None = None
) -> list[Call]:
    """The calls of a module's source that reach `isaacsim`, `omni` or `carb`."""
    tree = ast.parse(text)
    resolver = ChainResolver(tree, module, returns=returns)
    roots = (DEFINITION_ROOT + ".", *USAGE_ROOTS)
    calls = resolver.calls(tree)
    return [c for c in calls if c.chain.startswith(roots) and not c.chain.startswith(USD_OBJECTS)]


def wrapper_returns(text: str, module: str) -> dict[str, str]:
    """Chains a project module's functions return by annotation (`def f() -> Articulation`),
    keyed by their qualified name, so callers' variables get the Isaac type."""
    tree = ast.parse(text)
    resolver = ChainResolver(tree, module)
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            chain = resolver.annotation(node.returns)
            if chain and chain.startswith(DEFINITION_ROOT + "."):
                out[f"{module}.{node.name}"] = chain
    return out


def _split(chain: str) -> list[str]:
    return chain.split(".")


def _fits(params: list[list[Any]], call: Call, *, bound: bool) -> list[str]:
    """Why the call does not fit the parameters (empty: it fits)."""
    params = params[1:] if bound and params and params[0][1] in ("po", "pk") else params
    problems = []
    positional = [p for p in params if p[1] in ("po", "pk")]
    names = {p[0] for p in params if p[1] in ("pk", "ko")}
    varargs = any(p[1] == "va" for p in params)
    varkw = any(p[1] == "kw" for p in params)
    if not call.splat and not varargs and call.positional > len(positional):
        problems.append(f"{call.positional} positional arguments, at most {len(positional)}")
    for keyword in call.keywords:
        if keyword not in names and not varkw:
            problems.append(f"no parameter {keyword!r}")
    if not call.splat:
        given = {p[0] for p in positional[: call.positional]} | set(call.keywords)
        missing = [p[0] for p in params if p[1] in ("pk", "ko", "po") and not p[2]]
        missing = [m for m in missing if m not in given]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
    return problems


def _method(snapshot: dict[str, Any], cls: str, name: str, depth: int = 0) -> Any:
    info = snapshot["classes"].get(cls)
    if info is None or depth > 10:
        return None
    if name in info["methods"]:
        return info["methods"][name]
    for base in info["bases"]:
        found = _method(snapshot, base, name, depth + 1)
        if found is not None:
            return found
    return None


def check_call(call: Call, snapshot: dict[str, Any]) -> list[str]:
    """Problems of one call against the snapshot (empty: conforms)."""
    if call.chain.startswith(USAGE_ROOTS):
        usage = snapshot["usages"].get(call.chain)
        if usage is None:
            return [f"{call.chain}: never called so by Isaac Sim {snapshot['tag']}'s own sources"]
        problems = [
            f"{call.chain}: keyword {k!r} never passed there"
            for k in call.keywords
            if k not in usage["keywords"]
        ]
        if not call.splat and call.positional > usage["max_positional"]:
            problems.append(
                f"{call.chain}: {call.positional} positional arguments, "
                f"Isaac Sim passes at most {usage['max_positional']}"
            )
        return problems
    parts = _split(call.chain)
    modules = snapshot["modules"]
    cut = max((i for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules), default=0)
    if not cut:
        return [f"{call.chain}: no such module in Isaac Sim {snapshot['tag']}"]
    module, rest = ".".join(parts[:cut]), parts[cut:]
    if not rest:
        return [f"{call.chain}: a module is not callable"]
    target = modules[module].get(rest[0].removesuffix("()"))
    if target is None:
        return [f"{call.chain}: {module} has no {rest[0].removesuffix('()')!r}"]
    kind, qualname = target.split(":", 1)
    if len(rest) == 1:
        if kind == "f":
            return [
                f"{call.chain}: {p}"
                for p in _fits(snapshot["functions"][qualname], call, bound=False)
            ]
        if kind == "c":
            init = _method(snapshot, qualname, "__init__")
            params = init["params"] if init else [["self", "pk", False]]
            return [f"{call.chain}: {p}" for p in _fits(params, call, bound=True)]
        return [f"{call.chain}: not callable"]
    if kind == "c" and len(rest) > 2 and rest[1].endswith("()"):
        return []  # what an Isaac method returns (a warp array, ...) is not in the snapshot
    if kind != "c" or len(rest) != 2:
        return [f"{call.chain}: cannot be followed in the snapshot"]
    instance = rest[0].endswith("()")
    method = _method(snapshot, qualname, rest[1])
    if method is None:
        return [f"{call.chain}: {qualname} has no {rest[1]!r}"]
    if not instance and method["kind"] not in ("classmethod", "staticmethod"):
        return [f"{call.chain}: a {method['kind']} called on the class (not a classmethod)"]
    bound = method["kind"] != "staticmethod"
    return [f"{call.chain}: {p}" for p in _fits(method["params"], call, bound=bound)]


def check_calls(calls: Iterable[Call], snapshot: dict[str, Any]) -> list[str]:
    """Every problem of these calls, one line each with the source line number."""
    return [f"line {c.line}: {p}" for c in calls for p in check_call(c, snapshot)]
