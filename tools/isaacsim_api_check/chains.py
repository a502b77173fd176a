"""Static call chains of a Python module: which imported API each call reaches.

A chain is the dotted path of a call target through imports, variables and annotations, with
`()` after a call's result: `omni.timeline.get_timeline_interface().play`,
`isaacsim.core.experimental.prims.Articulation().set_dof_gains`. An annotation `x: C` makes
`x` a `C()`, as if assigned from a call. Aliases are flow-insensitive (per module, functions
and `self.` attributes): enough for code that names its Isaac Sim objects consistently.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_NOT_API = ("typing.", "collections.", "pathlib.", "numpy.", "__future__.")


@dataclass(frozen=True)
class Call:
    """One call reaching an external API."""

    chain: str
    positional: int
    keywords: tuple[str, ...]
    splat: bool  # *args or an unresolved **kwargs: arity and keywords cannot be told
    line: int


def relative_module(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of `from <level dots><name> import ...` inside `module`."""
    parts = module.split(".") if module else []
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, *([name] if name else [])])


class ChainResolver:
    """Resolves expressions of one module to chains.

    Args:
        tree: the module's AST.
        module: its dotted name ("" when not importable); resolves relative imports.
        is_package: the file is an `__init__.py`.
        returns: chains that known functions return (e.g. a project wrapper `f` -> `C()`).
    """

    def __init__(
        self,
        tree: ast.Module,
        module: str = "",
        *,
        is_package: bool = False,
        returns: Mapping[str, str] | None = None,
    ) -> None:
        self.aliases: dict[str, str] = {}
        self.returns = dict(returns or {})
        self.constants: dict[str, tuple[str, ...]] = {}  # module-level dict literals' keys
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        root = alias.name.split(".")[0]
                        self.aliases.setdefault(root, root)
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    source = relative_module(module, is_package, node.level, node.module)
                for alias in node.names:  # the first import of a name wins (fallbacks follow)
                    if alias.name != "*":
                        self.aliases.setdefault(
                            alias.asname or alias.name, f"{source}.{alias.name}"
                        )
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                keys = tuple(k.value for k in node.value.keys if isinstance(k, ast.Constant))
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = tuple(str(k) for k in keys)
        self.variables: dict[str, str] = {}
        for _ in range(3):  # a few passes: variables assigned from other variables
            for node in ast.walk(tree):
                self._learn(node)

    def _learn(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            key = _target_key(node.targets[0])
            chain = self.chain(node.value)
            if key and chain:
                self.variables[key] = chain
        elif isinstance(node, ast.AnnAssign):
            key = _target_key(node.target)
            chain = self.annotation(node.annotation)
            if key and chain:
                self.variables[key] = chain
        elif isinstance(node, ast.arg) and node.annotation is not None:
            chain = self.annotation(node.annotation)
            if chain:
                self.variables[node.arg] = chain
        elif isinstance(node, ast.FunctionDef) and node.returns is not None:
            chain = self.annotation(node.returns)
            if chain:
                self.returns.setdefault(node.name, chain)

    def annotation(self, node: ast.expr) -> str | None:
        """`C` or `"C"` as an instance chain `C()`, when C resolves to an imported name."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.Name | ast.Attribute):
            chain = self.chain(node)
            if chain and "." in chain and not chain.startswith(_NOT_API):
                return chain + "()"
        return None

    def chain(self, node: ast.expr) -> str | None:
        """The chain of an expression, or None when it reaches no import."""
        if isinstance(node, ast.Name):
            if node.id in self.variables:
                return self.variables[node.id]
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            key = _target_key(node)
            if key and key in self.variables:
                return self.variables[key]
            base = self.chain(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in self.returns:
                return self.returns[node.func.id]
            base = self.chain(node.func)
            if base is None:
                return None
            return self.returns.get(base, base + "()")
        if isinstance(node, ast.Subscript):  # an element of a tuple result: not followed
            return None
        return None

    def calls(self, tree: ast.AST) -> Iterator[Call]:
        """Every call in `tree` whose target resolves to a chain."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            chain = self.chain(node.func)
            if chain is None:
                continue
            keywords: list[str] = []
            splat = any(isinstance(a, ast.Starred) for a in node.args)
            for keyword in node.keywords:
                if keyword.arg is not None:
                    keywords.append(keyword.arg)
                elif isinstance(keyword.value, ast.Name) and keyword.value.id in self.constants:
                    keywords.extend(self.constants[keyword.value.id])
                else:
                    splat = True
            yield Call(chain, len(node.args), tuple(keywords), splat, node.lineno)


def _target_key(node: ast.expr) -> str | None:
    """`x` or `self.x` (the names aliases are kept under)."""
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    ):
        return f"self.{node.attr}"
    return None
