"""The Secret Manager ids of the project's secrets and their environment-variable names."""

from __future__ import annotations

import enum
import re

SECRET_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class SecretIds(enum.StrEnum):
    """Secret Manager secret ids; the member name is the matching environment variable."""

    GEMINI_API_KEY = "gemini-api-key"
    OPENAI_API_KEY = "openai-api-key"
    GENIE_SIM_API_KEY = "genie-sim-api-key"


def env_var_for(secret_id: str) -> str:
    """The default environment variable of a secret: `gemini-api-key` -> `GEMINI_API_KEY`.

    Args:
        secret_id: a Secret Manager secret id.

    Returns:
        The id upper-cased with `-` turned into `_`.
    """
    return secret_id.replace("-", "_").upper()
