"""`get_secret_or_env`: Secret Manager first, then (outside production) the environment."""

from __future__ import annotations

import base64
import os
import re
from typing import Literal, overload

from tools.errors import ConfigError
from tools.redaction import register_secret_value
from tools.secret_store.errors import SecretManagerFailure, SecretUnavailableError
from tools.secret_store.ids import SECRET_ID_PATTERN, env_var_for
from tools.secret_store.manager import secret_manager_reader
from tools.secret_store.settings import PROJECT_PATTERN, load_secrets_settings
from tools.secret_store.value import SecretValue
from tools.structured_logging import get_logger

log = get_logger("secrets")

_ENV_VAR_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@overload
def get_secret_or_env(
    secret_id: str,
    env_var: str | None = ...,
    project_id: str | None = ...,
    version: str = ...,
    *,
    required: Literal[True] = ...,
) -> SecretValue: ...


@overload
def get_secret_or_env(
    secret_id: str,
    env_var: str | None = ...,
    project_id: str | None = ...,
    version: str = ...,
    *,
    required: bool,
) -> SecretValue | None: ...


def get_secret_or_env(
    secret_id: str,
    env_var: str | None = None,
    project_id: str | None = None,
    version: str = "latest",
    *,
    required: bool = True,
) -> SecretValue | None:
    """Resolve a secret: Secret Manager when a project is configured, else the environment.

    Order: (1) with a project (`project_id`, else GOOGLE_CLOUD_PROJECT), Secret Manager
    version `version` (cached per process, CRC-checked, transient errors retried);
    (2) otherwise, or when Secret Manager cannot provide it, the environment variable
    `env_var`, with a warning naming the secret. With PRODUCTION_MODE=true step (2) is
    refused unless ALLOW_ENV_SECRETS=true. Only the resolved version is logged, never a value.

    Args:
        secret_id: the Secret Manager secret id (see SecretIds).
        env_var: the fallback variable; default derived from the id (`gemini-api-key` ->
            `GEMINI_API_KEY`).
        project_id: the project to read from; default GOOGLE_CLOUD_PROJECT.
        version: a version number or alias.
        required: when False, a secret found nowhere gives None instead of an error.

    Returns:
        The secret wrapped in a SecretValue (registered for log redaction), or None.

    Raises:
        ConfigError: the secret is missing everywhere (and required), or production mode
            refuses the environment fallback after a permanent Secret Manager failure.
        SecretUnavailableError: production mode refuses the fallback after Secret Manager
            kept failing transiently (retryable).
        ValueError: `secret_id`, `version`, `env_var` or `project_id` is malformed.
    """
    _check_arguments(secret_id, env_var, project_id, version)
    env_name = env_var or env_var_for(secret_id)
    settings = load_secrets_settings()
    project = project_id or settings.GOOGLE_CLOUD_PROJECT
    failure: SecretManagerFailure | None = None
    if project:
        try:
            return secret_manager_reader().access(project, secret_id, version)
        except SecretManagerFailure as exc:
            failure = exc
        reason = f"Secret Manager could not provide it ({failure.reason})"
    else:
        reason = "no Google Cloud project is configured (GOOGLE_CLOUD_PROJECT)"
    if settings.PRODUCTION_MODE and not settings.ALLOW_ENV_SECRETS:
        if failure is not None and failure.transient:
            raise SecretUnavailableError(secret_id, failure.reason) from failure
        raise ConfigError(
            f"secret {secret_id}",
            f"{reason}; PRODUCTION_MODE=true refuses the environment fallback",
            hint="create the secret and grant secretmanager.versions.access, "
            "or set ALLOW_ENV_SECRETS=true",
        ) from failure
    raw = os.environ.get(env_name, "").rstrip("\r\n")
    if not raw:
        if required:
            raise ConfigError(env_name, f"secret {secret_id} not found: {reason}, variable unset")
        log.info("secret %s not configured: %s; %s unset", secret_id, reason, env_name)
        return None
    log.warning("secret %s read from environment variable %s: %s", secret_id, env_name, reason)
    register_secret_value(raw)
    register_secret_value(base64.b64encode(raw.encode()).decode())
    return SecretValue(raw)


def _check_arguments(
    secret_id: str, env_var: str | None, project_id: str | None, version: str
) -> None:
    if not SECRET_ID_PATTERN.match(secret_id):
        raise ValueError(f"malformed secret id {secret_id!r}")
    if not SECRET_ID_PATTERN.match(version):
        raise ValueError(f"malformed secret version {version!r}")
    if env_var is not None and not _ENV_VAR_PATTERN.match(env_var):
        raise ValueError(f"malformed environment variable name {env_var!r}")
    if project_id is not None and not re.match(PROJECT_PATTERN, project_id):
        raise ValueError(f"malformed project id {project_id!r}")
