"""Errors of the LeRobot dataset writer, merger and validator.

PipelineError (tools.errors)
├── InputError
│   ├── FeatureError          a feature spec or an episode's data breaks the format (names it)
│   └── InvalidDatasetError   a dataset on disk is not a valid v3.0 tree (collects every problem)
└── DatasetStateError         the writer cannot do this now: closed, failed, empty, or root taken
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.errors import InputError, PipelineError


class FeatureError(InputError):
    """A feature declaration or an episode's data breaks the format; names the field."""

    def __init__(self, field: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(field, problem, hint=hint)
        self.field = field


class InvalidDatasetError(InputError):
    """A dataset directory is not a valid LeRobot v3.0 tree; `problems` lists every finding."""

    def __init__(self, root: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        summary = "; ".join(self.problems[:10])
        more = f" (+{len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(root, f"{len(self.problems)} problem(s): {summary}{more}")


class DatasetStateError(PipelineError):
    """The writer cannot perform the call in its current state (or the target root is taken)."""
