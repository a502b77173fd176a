"""Error tree shared by every job; only `tools.job_runner` turns these into exit codes.

PipelineError                 base; `retryable` alone decides: exit 1 if it is, else exit 2
├── ConfigError               bad or missing configuration (exit 2, permanent)
├── InputError                bad scene input: a file, a field, a value (exit 2, permanent)
│   ├── ManifestError         the scene contract is violated (collects every problem)
│   └── DependencyNotReady    a step this one depends on has no current completion marker
├── TransientError            a dependency failed in a way a retry may fix (exit 1)
│   ├── CircuitOpenError      a circuit breaker refuses calls for a while
│   └── OperationTimeoutError a bounded call ran past its time limit
├── StorageError              storage failed (exit 1 when transient, else 2);
│                             `PreconditionFailed` when a create-only write lost, `ObjectNotFound`
├── PartialFailureError       too few items succeeded; carries successes and failures (exit 2)
└── StepFailedError           a pipeline step failed (raised by the local runner; its cause's)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class PipelineError(Exception):
    """Base of all pipeline errors.

    Attributes:
        retryable: whether another attempt of the same job could succeed; the one property the
            exit code, the failure marker and the retry helpers all read.
        hint: an optional suggestion for the operator.
    """

    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def exit_code(self) -> int:
        """Exit 1 asks Cloud Run for another attempt; exit 2 says no attempt can help."""
        return EXIT_FAILURE if self.retryable else EXIT_BAD_INPUT

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class ConfigError(PipelineError):
    """A configuration variable is missing or breaks its rule; never carries the value."""

    def __init__(self, variable: str, rule: str, *, hint: str | None = None) -> None:
        super().__init__(f"configuration {variable}: {rule}", hint=hint)
        self.variable = variable
        self.rule = rule


class InputError(PipelineError):
    """The scene input is unusable: names the file (or field) and the problem."""

    def __init__(self, source: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{source}: {problem}", hint=hint)
        self.source = source
        self.problem = problem


class ManifestError(InputError):
    """A scene manifest violates the contract; `problems` lists every offending field."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        summary = "; ".join(self.problems[:10])
        more = f" (+{len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(source, f"{len(self.problems)} contract violation(s): {summary}{more}")


class DependencyNotReady(InputError):
    """A dependency's completion marker is missing or stale: its outputs cannot be trusted.

    Permanent for this execution (exit 2): the dependency must complete first.
    """

    def __init__(self, step: str, dependency: str, problem: str) -> None:
        super().__init__(
            f"step {step}",
            f"dependency {dependency} is not ready: {problem}",
            hint=f"run step {dependency} (and what it depends on) first",
        )
        self.step = step
        self.dependency = dependency


class TransientError(PipelineError):
    """A dependency failed in a way that a retry may fix.

    Attributes:
        retry_after_s: seconds the dependency asked to wait before the next attempt (e.g. from
            a Retry-After header), or None; `tools.resilience.retry_transient` honours it.
    """

    retryable = True

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class CircuitOpenError(TransientError):
    """A circuit breaker is open: the service failed repeatedly and calls are refused."""


class OperationTimeoutError(TransientError):
    """A call bounded by `tools.error_handling.timeout` ran past its limit (another attempt
    may be faster: a slow dependency, a loaded machine)."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} ran past its {seconds:g} s time limit")
        self.what = what
        self.seconds = seconds


class StorageError(PipelineError):
    """Reading or writing scene storage failed."""

    retryable = True


class PreconditionFailed(StorageError):
    """A create-only or generation-matched write lost a race; nothing was overwritten."""

    retryable = False

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: already exists or changed (precondition failed)")
        self.path = path


class ObjectNotFound(StorageError):
    """The requested object does not exist."""

    retryable = False

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: not found")
        self.path = path


class PartialFailureError(PipelineError):
    """Too many items failed: carries what succeeded and what failed.

    Built either as `(succeeded, failed, success_rate, threshold)` or in the hardening spec's
    form `(message, successful_items=..., failed_items=...)` (SPEC-005).

    Attributes:
        succeeded: the items that succeeded (ids, or the spec form's items; kept: they are
            checkpointed).
        failed: one entry per failed item (a dict with at least `item` and `error`).
        success_rate: succeeded / attempted.
        threshold: the minimum success rate that was required (None when not given).
    """

    def __init__(
        self,
        succeeded: Sequence[Any] | str,
        failed: Sequence[Any] = (),
        success_rate: float | None = None,
        threshold: float | None = None,
        *,
        successful_items: Sequence[Any] | None = None,
        failed_items: Sequence[Any] | None = None,
    ) -> None:
        message = succeeded if isinstance(succeeded, str) else None
        items = list(successful_items or []) if message is not None else list(succeeded)
        failures = list(failed_items or failed)
        attempted = len(items) + len(failures)
        rate = success_rate if success_rate is not None else len(items) / max(attempted, 1)
        if message is None:
            wanted = f" below threshold {threshold:.1%}" if threshold is not None else ""
            message = (
                f"success rate {rate:.1%}{wanted} "
                f"({len(items)} succeeded, {len(failures)} failed)"
            )
        super().__init__(message)
        self.succeeded = items
        self.failed = failures
        self.success_rate = rate
        self.threshold = threshold


class StepFailedError(PipelineError):
    """A step of the local pipeline failed; its dependants were not run."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step {step} failed: {cause}")
        self.step = step
        self.cause = cause
        # Anything but a pipeline error is a bug or an outage: another attempt may pass.
        self.retryable = cause.retryable if isinstance(cause, PipelineError) else True
