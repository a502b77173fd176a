# ruff: noqa: E402, I001 - the spec's template keeps its own docstring and import order
"""SPEC-008's retry test template, as written, against tools.error_handling."""

# --- SPEC-008 "Example Test Template", as written -----------------------------------------
"""Tests for tools/error_handling/retry.py"""
import pytest
from unittest.mock import Mock, patch  # noqa: F401 - the spec imports patch too
from tools.error_handling import retry_with_backoff, RetryableError


class TestRetryWithBackoff:
    def test_succeeds_on_first_attempt(self):
        mock_fn = Mock(return_value="success")

        @retry_with_backoff(max_retries=3)
        def test_fn():
            return mock_fn()

        result = test_fn()

        assert result == "success"
        assert mock_fn.call_count == 1

    def test_retries_on_failure_then_succeeds(self):
        mock_fn = Mock(side_effect=[Exception(), Exception(), "success"])

        @retry_with_backoff(max_retries=3, base_delay=0.01)
        def test_fn():
            return mock_fn()

        result = test_fn()

        assert result == "success"
        assert mock_fn.call_count == 3

    def test_raises_after_max_retries(self):
        mock_fn = Mock(side_effect=Exception("always fails"))

        @retry_with_backoff(max_retries=3, base_delay=0.01)
        def test_fn():
            return mock_fn()

        with pytest.raises(Exception, match="always fails"):
            test_fn()

        assert mock_fn.call_count == 3


# --- end of the spec's text --------------------------------------------------------------


def test_retryable_error_is_retried_and_a_permanent_error_is_not():
    """`RetryableError` (our TransientError) is retried; a ConfigError fails at once even though
    the spec's default retries any Exception: no retry fixes a bad setting (ours, stricter)."""
    from tools.errors import ConfigError, TransientError

    assert RetryableError is TransientError
    flaky = Mock(side_effect=[RetryableError("503"), "ok"])
    assert retry_with_backoff(max_retries=2, base_delay=0.001)(flaky)() == "ok"
    bad = Mock(side_effect=ConfigError("SCENE_ID", "required variable is not set"))
    with pytest.raises(ConfigError):
        retry_with_backoff(max_retries=3, base_delay=0.001)(bad)()
    assert bad.call_count == 1
