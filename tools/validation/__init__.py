"""The hardening spec's validation names (SPEC-006): the environment checked at start-up."""

from tools.validation.config_schemas import EnvironmentConfigError, validate_environment_config

__all__ = ["EnvironmentConfigError", "validate_environment_config"]
