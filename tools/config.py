"""Job configuration from the environment, validated at start-up (pydantic-settings)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.errors import ConfigError
from tools.scene_manifest.models import SCENE_ID_PATTERN

BUCKET_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$"

SettingsT = TypeVar("SettingsT", bound=BaseSettings)

# How every settings model reads the environment: immutable, unknown variables ignored, names
# case-sensitive, defaults validated too, and never a value in an error (it may be a secret).
SETTINGS_RULES = SettingsConfigDict(
    frozen=True,
    extra="ignore",
    case_sensitive=True,
    hide_input_in_errors=True,
    validate_default=True,
)


class JobSettings(BaseSettings):
    """Variables every job reads. Subclasses add their own, each documented where declared.

    A scene lives either in a local folder (`SCENE_DIR`) or in a bucket
    (`BUCKET` + `scenes/<SCENE_ID>/`); exactly one of the two.
    """

    model_config = SETTINGS_RULES

    SCENE_ID: str = Field(pattern=SCENE_ID_PATTERN, description="scene identifier, no path parts")
    BUCKET: str | None = Field(
        default=None, pattern=BUCKET_PATTERN, description="GCS bucket holding scenes/<SCENE_ID>/"
    )
    SCENE_DIR: Path | None = Field(default=None, description="local scene folder (instead of GCS)")
    SEED: int = Field(default=0, ge=0, description="seed for every random choice of the job")
    PRODUCTION_MODE: bool = Field(
        default=False, description="refuse local fallbacks (embedded engines, env secrets)"
    )
    STRUCTURED_LOGGING: bool | None = Field(
        default=None, description="JSON log lines; default: on under Cloud Run, off locally"
    )
    FORCE: bool = Field(default=False, description="rerun even if inputs are unchanged")
    LOG_LEVEL: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @model_validator(mode="after")
    def _one_location(self) -> JobSettings:
        if (self.BUCKET is None) == (self.SCENE_DIR is None):
            raise ValueError("set exactly one of BUCKET (GCS) or SCENE_DIR (local folder)")
        return self

    @property
    def scene_uri(self) -> str:
        """Where the scene lives: `gs://<bucket>/scenes/<id>` or the local folder."""
        if self.BUCKET is not None:
            return f"gs://{self.BUCKET}/scenes/{self.SCENE_ID}"
        assert self.SCENE_DIR is not None
        return str(self.SCENE_DIR)

    def public_parameters(self) -> dict[str, Any]:
        """Parameters safe to put in logs and markers (secrets are never settings fields)."""
        return self.model_dump(mode="json")


def load_settings(cls: type[SettingsT], env: Mapping[str, str] | None = None) -> SettingsT:
    """Build `cls` from the environment (or `env`), failing fast on the first bad variable.

    Raises:
        ConfigError: names the variable and the rule it breaks, never its value.
    """
    source = dict(os.environ if env is None else env)
    for retired, successor in getattr(cls, "RETIRED_VARIABLES", {}).items():
        if retired in source:  # silently ignoring it would run with a default instead
            raise ConfigError(retired, f"is no longer read; set {successor} instead")
    fields = cls.model_fields
    values = {name: source[name] for name in fields if name in source}
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        variable = ".".join(str(p) for p in err["loc"]) or "configuration"
        rule = err["msg"]
        if err["type"] == "missing":
            rule = "required variable is not set"
        elif err["type"] == "string_pattern_mismatch":
            pattern = (err.get("ctx") or {}).get("pattern", "")
            rule = f"must match {pattern}"
        raise ConfigError(variable, rule) from None
