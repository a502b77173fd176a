"""The hardening spec's error-handling names (SPEC-005, SPEC-008), each on our one implementation.

| spec name | implementation |
|---|---|
| `PartialFailureHandler`, `save_successful_items` | `partial_failure`, on `tools.partial_failure` |
| `PartialFailureError` | `tools.errors.PartialFailureError` |
| `retry_with_backoff`, `RetryableError` | `retry`, on `tools.resilience.retry_transient` |
| `CircuitBreaker`, `CircuitState`, `CircuitOpenError` | `tools.resilience`, `tools.errors` |
| `timeout`, `OperationTimeoutError` | `timeout` here, `tools.errors` |
"""

from tools.error_handling.partial_failure import (
    ItemResult,
    PartialFailureHandler,
    save_successful_items,
)
from tools.error_handling.retry import RetryableError, retry_with_backoff
from tools.error_handling.timeout import timeout
from tools.errors import CircuitOpenError, OperationTimeoutError, PartialFailureError
from tools.resilience import CircuitBreaker, CircuitState, is_retryable, retry_transient

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "ItemResult",
    "OperationTimeoutError",
    "PartialFailureError",
    "PartialFailureHandler",
    "RetryableError",
    "is_retryable",
    "retry_transient",
    "retry_with_backoff",
    "save_successful_items",
    "timeout",
]
