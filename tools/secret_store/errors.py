"""Errors of secret resolution.

    TransientError (tools.errors)
    └── SecretUnavailableError    Secret Manager failed transiently and no fallback is allowed
    SecretManagerFailure          internal: why Secret Manager did not provide a secret

Missing or refused secrets raise tools.errors.ConfigError (permanent).
"""

from __future__ import annotations

from tools.errors import TransientError


class SecretUnavailableError(TransientError):
    """Secret Manager kept failing transiently and the environment fallback is refused.

    Attributes:
        secret_id: the secret that could not be read.
        reason: what Secret Manager answered (never the value).
    """

    def __init__(self, secret_id: str, reason: str) -> None:
        super().__init__(
            f"secret {secret_id}: Secret Manager unavailable ({reason})",
            hint="retry the job; check Secret Manager status and quotas",
        )
        self.secret_id = secret_id
        self.reason = reason


class SecretManagerFailure(Exception):
    """Secret Manager did not provide a secret; `transient` says whether a retry could help."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
