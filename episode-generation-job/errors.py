"""Errors of the episode job.

PipelineError (tools.errors)
├── EpisodeFailedError      one attempt failed a success check (recorded, never raised out)
└── BackendUnavailableError the requested engine cannot run here (permanent, exit 2)
"""

from __future__ import annotations

from tools.errors import PipelineError


class EpisodeFailedError(PipelineError):
    """An attempt did not succeed; `reason` is the first failed check (e.g. not_lifted)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class BackendUnavailableError(PipelineError):
    """The requested simulation backend is not importable here; nothing falls back silently."""

    def __init__(self, backend: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"backend {backend}: {problem}", hint=hint)
        self.backend = backend
        self.problem = problem
