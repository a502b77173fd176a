"""SPEC-006's `validate_environment_config` on our one configuration loader (`tools.config`).

The jobs declare their variables as pydantic-settings models (`tools.config.JobSettings` and
each job's subclass); this entry point builds such a model from the spec's lists, so both
report a bad variable the same way: one line naming the variable and its rule, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.config import SETTINGS_RULES, load_settings
from tools.errors import ConfigError

EnvironmentConfigError = ConfigError
"""The spec's name for a bad or missing variable (ours: `tools.errors.ConfigError`, exit 2)."""


class _EnvironmentConfig(BaseSettings):
    """Base of the models `validate_environment_config` builds (same rules as JobSettings)."""

    # The spec's patterns are Python regular expressions (pydantic's default engine is Rust's).
    model_config = SettingsConfigDict(**SETTINGS_RULES, regex_engine="python-re")


def validate_environment_config(
    required_vars: Sequence[str] = (),
    optional_vars: Sequence[tuple[str, str]] = (),
    validated_patterns: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Read and check environment variables, failing fast on the first bad one.

    Args:
        required_vars: variables that must be set and non-empty.
        optional_vars: (variable, default) pairs; the default applies when unset.
        validated_patterns: variable -> regular expression its value (or default) must match.
        env: the variables to read (default: `os.environ`).

    Returns:
        Every required and optional variable by name, defaults applied.

    Raises:
        EnvironmentConfigError: names the variable and the rule it breaks, never its value.
        ValueError: a pattern names a variable that is neither required nor optional.
    """
    patterns = dict(validated_patterns or {})
    declared = [*required_vars, *(name for name, _ in optional_vars)]
    unknown = sorted(set(patterns) - set(declared))
    if unknown:
        raise ValueError(f"validated_patterns names undeclared variable(s): {', '.join(unknown)}")
    fields: dict[str, Any] = {
        name: (str, Field(min_length=1, pattern=patterns.get(name))) for name in required_vars
    }
    for name, default in optional_vars:
        fields[name] = (str, Field(default=default, pattern=patterns.get(name)))
    model = create_model("EnvironmentConfig", __base__=_EnvironmentConfig, **fields)
    return {k: str(v) for k, v in load_settings(model, env).model_dump().items()}
