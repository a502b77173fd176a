"""A pinned snapshot of Isaac Sim's Python API, generated from its sources at one tag.

Two parts:
- `modules`, `functions`, `classes`: every name each `isaacsim.*` module exposes (resolved
  through its imports) and the signature of each function and method, with how a method is
  bound (method, classmethod, staticmethod, property);
- `usages`: the `omni.*` / `carb.*` calls Isaac Sim's own sources of that tag make, with the
  keywords they pass. Kit's extensions are compiled or closed (not in the repository): the
  release's own use of a call is the evidence it exists there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from tools.isaacsim_api_check.chains import ChainResolver, relative_module
from tools.isaacsim_api_check.source_tree import SourceFile

SNAPSHOT_SCHEMA = 1
USAGE_ROOTS = ("omni.", "carb.")
DEFINITION_ROOT = "isaacsim"


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[list[Any]]:
    """Parameters as [name, kind, has_default]; kind: po, pk, ko, va (*args), kw (**kwargs)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    params: list[list[Any]] = []
    for index, arg in enumerate(positional):
        kind = "po" if index < len(args.posonlyargs) else "pk"
        params.append([arg.arg, kind, index >= first_default])
    if args.vararg:
        params.append([args.vararg.arg, "va", True])
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append([arg.arg, "ko", default is not None])
    if args.kwarg:
        params.append([args.kwarg.arg, "kw", True])
    return params


def _binding(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    names = {
        d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list
    }
    for kind in ("classmethod", "staticmethod", "property"):
        if kind in names:
            return kind
    return "method"


class _Module:
    """Definitions and imports of one module, before names are resolved."""

    def __init__(self, source: SourceFile, tree: ast.Module) -> None:
        assert source.module is not None
        self.name = source.module
        is_package = source.path.endswith("__init__.py")
        self.resolver = ChainResolver(tree, self.name, is_package=is_package)
        self.defined: dict[str, str] = {}  # name -> "f" | "c"
        self.stars: list[str] = []
        self.functions: dict[str, list[list[Any]]] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.defined[node.name] = "f"
                self.functions[node.name] = signature(node)
            elif isinstance(node, ast.ClassDef):
                self.defined[node.name] = "c"
                methods = {
                    item.name: {"kind": _binding(item), "params": signature(item)}
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                }
                bases = [
                    self.resolver.chain(b) or f"{self.name}.{ast.unparse(b)}" for b in node.bases
                ]
                self.classes[node.name] = {"bases": bases, "methods": methods}
            elif isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                source_module = node.module or ""
                if node.level:
                    source_module = relative_module(self.name, is_package, node.level, node.module)
                self.stars.append(source_module)


class _Namespaces:
    """Resolves what each module's names refer to (functions, classes, modules), on demand
    and per query, so import cycles never leave a module with a partial namespace."""

    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.children: dict[str, set[str]] = {}
        for name in modules:
            parent, _, child = name.rpartition(".")
            self.children.setdefault(parent, set()).add(child)

    def target(self, dotted: str, seen: frozenset[str] = frozenset()) -> str | None:
        """ "m:<module>", "f:<qualname>" or "c:<qualname>" for a dotted name, or None."""
        if dotted in self.modules:
            return f"m:{dotted}"
        module, _, name = dotted.rpartition(".")
        if module in self.modules and dotted not in seen:
            return self.lookup(module, name, seen | {dotted})
        return None

    def lookup(self, module: str, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        """What `module.name` is: its own definition, an import, a submodule, a star import."""
        mod = self.modules[module]
        if name in mod.defined:
            return f"{mod.defined[name]}:{module}.{name}"
        dotted = mod.resolver.aliases.get(name)
        if dotted is not None:
            return self.target(dotted, seen) if dotted.startswith(DEFINITION_ROOT) else None
        if name in self.children.get(module, ()):
            return f"m:{module}.{name}"
        for star in mod.stars:
            key = f"{star}.{name}"
            if star in self.modules and not name.startswith("_") and key not in seen:
                found = self.lookup(star, name, seen | {key})
                if found:
                    return found
        return None

    def candidates(self, module: str, seen: set[str] | None = None) -> set[str]:
        """Every name the module may expose."""
        seen = set() if seen is None else seen
        if module in seen:
            return set()
        seen.add(module)
        mod = self.modules[module]
        names = set(mod.defined) | set(mod.resolver.aliases) | self.children.get(module, set())
        for star in mod.stars:
            if star in self.modules:
                names |= {n for n in self.candidates(star, seen) if not n.startswith("_")}
        return names

    def names(self, module: str) -> dict[str, str]:
        """The module's resolved names (those reaching an `isaacsim` definition or module)."""
        out = {}
        for name in sorted(self.candidates(module)):
            found = self.lookup(module, name)
            if found:
                out[name] = found
        return out


def build_snapshot(files: Iterable[SourceFile], *, tag: str, commit: str) -> dict[str, Any]:
    """The snapshot of one tag's sources (see the module docstring).

    Args:
        files: the tree's Python files (`source_tree.read_tree`).
        tag: the release tag, e.g. "v5.1.0".
        commit: its commit id.

    Returns:
        The JSON-ready snapshot.
    """
    modules: dict[str, _Module] = {}
    usages: dict[str, dict[str, Any]] = {}
    for source in files:
        try:
            tree = ast.parse(source.text)
        except SyntaxError:
            continue
        if source.module and source.module.split(".")[0] == DEFINITION_ROOT:
            modules[source.module] = _Module(source, tree)
        resolver = ChainResolver(tree, source.module or "")
        for call in resolver.calls(tree):
            if call.chain.startswith(USAGE_ROOTS):
                entry = usages.setdefault(call.chain, {"keywords": set(), "max_positional": 0})
                entry["keywords"].update(call.keywords)
                entry["max_positional"] = max(entry["max_positional"], call.positional)
    namespaces = _Namespaces(modules)
    out_modules = {m: dict(sorted(namespaces.names(m).items())) for m in sorted(modules)}
    functions = {
        f"{m}.{name}": params
        for m, mod in modules.items()
        for name, params in mod.functions.items()
    }
    classes = {
        f"{m}.{name}": info for m, mod in modules.items() for name, info in mod.classes.items()
    }
    for info in classes.values():  # bases as qualified class names where they resolve
        info["bases"] = [(namespaces.target(b) or "c:" + b)[2:] for b in info["bases"]]
    return {
        "schema": SNAPSHOT_SCHEMA,
        "source": "https://github.com/isaac-sim/IsaacSim",
        "tag": tag,
        "commit": commit,
        "modules": out_modules,
        "functions": dict(sorted(functions.items())),
        "classes": dict(sorted(classes.items())),
        "usages": {
            chain: {"keywords": sorted(u["keywords"]), "max_positional": u["max_positional"]}
            for chain, u in sorted(usages.items())
        },
    }
