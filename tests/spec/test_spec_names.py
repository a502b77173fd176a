"""Every module and name the hardening spec imports exists, with one implementation behind it."""

from __future__ import annotations

import importlib

import pytest

import tools.errors as errors
import tools.geniesim_format as geniesim_format
import tools.resilience as resilience

SPEC_NAMES = {
    "tools.workflow.failure_markers": ["write_failure_marker"],
    "tools.error_handling": [
        "PartialFailureHandler",
        "save_successful_items",
        "PartialFailureError",
        "retry_with_backoff",
        "RetryableError",
        "CircuitBreaker",
        "timeout",
    ],
    "tools.error_handling.partial_failure": ["PartialFailureHandler"],
    "tools.validation.config_schemas": ["validate_environment_config", "EnvironmentConfigError"],
    "tools.structured_logging": ["StructuredLogger"],
    "tools.geniesim_adapter": ["GenieSimRobot", "assets", "results"],
}


@pytest.mark.parametrize("module", sorted(SPEC_NAMES))
def test_spec_module_exports_its_names(module):
    """`from <spec module> import <name>` works for each name the spec's code uses."""
    loaded = importlib.import_module(module)
    assert [n for n in SPEC_NAMES[module] if not hasattr(loaded, n)] == []


def test_spec_names_are_our_objects_not_copies():
    """The spec's error and breaker names are the very classes the pipeline raises and uses."""
    from tools.error_handling import (
        CircuitBreaker,
        PartialFailureError,
        RetryableError,
    )
    from tools.geniesim_adapter import GenieSimRobot
    from tools.validation.config_schemas import EnvironmentConfigError

    assert RetryableError is errors.TransientError
    assert EnvironmentConfigError is errors.ConfigError
    assert PartialFailureError is errors.PartialFailureError
    assert CircuitBreaker is resilience.CircuitBreaker
    assert GenieSimRobot is geniesim_format.GenieSimRobot
