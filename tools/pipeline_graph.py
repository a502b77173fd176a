"""The step dependency graph: which steps to run, in which order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tools.errors import ConfigError
from tools.steps import StepSpec


def resolve_steps(requested: Iterable[str] | None, specs: Mapping[str, StepSpec]) -> list[str]:
    """The requested steps plus everything they depend on, dependencies first.

    Args:
        requested: step names, or None for every registered step.
        specs: the registry.

    Raises:
        ConfigError: an unknown step (the message lists the valid ones) or a dependency cycle.
    """
    names = list(specs) if requested is None else [s.strip() for s in requested if s.strip()]
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ConfigError(
            "--steps", f"unknown step(s) {', '.join(unknown)}; valid steps: {', '.join(specs)}"
        )
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ConfigError("--steps", f"dependency cycle through step {name}")
        visiting.add(name)
        for dep in specs[name].depends_on:
            if dep not in specs:
                raise ConfigError("--steps", f"step {name} depends on unregistered step {dep}")
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(names, key=lambda n: list(specs).index(n)):
        visit(name)
    return ordered


def dependants(step: str, order: list[str], specs: Mapping[str, StepSpec]) -> set[str]:
    """Every step in `order` that depends on `step`, directly or not."""
    blocked = {step}
    for name in order:
        if any(dep in blocked for dep in specs[name].depends_on):
            blocked.add(name)
    blocked.discard(step)
    return blocked
