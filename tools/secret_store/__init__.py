"""API keys and other secrets: Secret Manager first, the environment only where allowed."""

from tools.secrets.errors import SecretUnavailableError
from tools.secrets.ids import SecretIds, env_var_for
from tools.secrets.manager import RetryPolicy, configure_secret_manager
from tools.secrets.resolve import get_secret_or_env
from tools.secrets.value import SecretValue

__all__ = [
    "RetryPolicy",
    "SecretIds",
    "SecretUnavailableError",
    "SecretValue",
    "configure_secret_manager",
    "env_var_for",
    "get_secret_or_env",
]
