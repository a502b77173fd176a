"""The environment variables that decide where secrets come from (read at call time)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.errors import ConfigError

PROJECT_PATTERN = r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$"


class SecretsSettings(BaseSettings):
    """Where secrets are read from; the values are never secrets themselves."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=True, hide_input_in_errors=True
    )

    PRODUCTION_MODE: bool = Field(
        default=False, description="refuse secrets from environment variables (fail fast)"
    )
    ALLOW_ENV_SECRETS: bool = Field(
        default=False, description="with PRODUCTION_MODE, still accept environment variables"
    )
    GOOGLE_CLOUD_PROJECT: str | None = Field(
        default=None,
        pattern=PROJECT_PATTERN,
        description="project whose Secret Manager holds the secrets; unset: environment only",
    )

    @field_validator("GOOGLE_CLOUD_PROJECT", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


def load_secrets_settings(env: Mapping[str, str] | None = None) -> SecretsSettings:
    """Read the secrets settings from the environment (or `env`).

    Args:
        env: variables to use instead of `os.environ`.

    Returns:
        The validated settings.

    Raises:
        ConfigError: a variable breaks its rule (named, its value never shown).
    """
    source = os.environ if env is None else env
    values = {name: source[name] for name in SecretsSettings.model_fields if name in source}
    try:
        return SecretsSettings.model_validate(values)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        variable = ".".join(str(part) for part in error["loc"]) or "secrets settings"
        raise ConfigError(variable, error["msg"]) from None
