"""API keys and other secrets: Secret Manager first, the environment only where allowed."""

from tools.secret_store.errors import SecretUnavailableError
from tools.secret_store.ids import SecretIds, env_var_for
from tools.secret_store.manager import RetryPolicy, configure_secret_manager
from tools.secret_store.resolve import get_secret_or_env
from tools.secret_store.value import SecretValue

__all__ = [
    "RetryPolicy",
    "SecretIds",
    "SecretUnavailableError",
    "SecretValue",
    "configure_secret_manager",
    "env_var_for",
    "get_secret_or_env",
]
