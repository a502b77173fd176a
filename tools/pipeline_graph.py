"""The step dependency graph: which steps to run, in which order, and whether a step's
dependencies have completed (read from their markers; the graph is the step registry's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tools.errors import ConfigError, DependencyNotReady
from tools.markers import read_complete_marker
from tools.steps import StepSpec
from tools.storage import Storage

DEPENDENCIES_KEY = "dependencies"
"""Completion-marker field: the completion (`completed_at`) of each dependency it ran on."""


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


def ready_dependencies(storage: Storage, spec: StepSpec) -> dict[str, dict[str, Any]]:
    """The completion marker of each of the step's dependencies, all present and current.

    A marker is current when every completion it recorded of its own dependencies
    (`dependencies`: step -> completed_at) is still the latest, all the way up the chain:
    a dependency whose upstream step reran after it describes outputs made from old inputs.

    Raises:
        DependencyNotReady: naming the first missing or stale dependency.
    """
    found: dict[str, dict[str, Any]] = {}
    for name in spec.depends_on:
        marker = read_complete_marker(storage, name)
        if marker is None:
            problem = "its completion marker is missing (it has not run, or it failed)"
            raise DependencyNotReady(spec.name, name, problem)
        stale = _stale_reason(storage, marker, set())
        if stale is not None:
            raise DependencyNotReady(spec.name, name, f"its completion marker is stale: {stale}")
        found[name] = marker
    return found


def dependency_stamps(markers: Mapping[str, Mapping[str, Any] | None]) -> dict[str, str]:
    """What a completion marker records of its dependencies: step -> completed_at (a missing
    one, possible only on a local folder, is not recorded)."""
    return {
        name: str(marker.get("completed_at"))
        for name, marker in sorted(markers.items())
        if marker is not None
    }


def _stale_reason(storage: Storage, marker: Mapping[str, Any], seen: set[str]) -> str | None:
    recorded = marker.get(DEPENDENCIES_KEY)
    if not isinstance(recorded, dict):
        return None  # written before dependency records existed: trusted as it is
    for name, stamp in sorted(recorded.items()):
        if name in seen:
            continue
        seen.add(name)
        current = read_complete_marker(storage, name)
        if current is None:
            return f"step {name} has no completion marker any more"
        if str(current.get("completed_at")) != str(stamp):
            return f"step {name} completed again after it"
        upstream = _stale_reason(storage, current, seen)
        if upstream is not None:
            return upstream
    return None
