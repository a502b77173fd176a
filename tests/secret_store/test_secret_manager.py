"""get_secret_or_env against the real client and an in-process gRPC Secret Manager."""

from __future__ import annotations

import grpc
import pytest

from tools.errors import ConfigError, TransientError
from tools.redaction import scrub
from tools.secret_store import (
    SecretIds,
    SecretUnavailableError,
    configure_secret_manager,
    env_var_for,
    get_secret_or_env,
)
from tools.secret_store.manager import secret_manager_reader
from tools.secret_store.testing import FAKE_PROJECT as PROJECT
from tools.secret_store.testing import FAST_RETRY

GEMINI = SecretIds.GEMINI_API_KEY


def test_found_in_secret_manager(fake_sm, log_lines):
    """A secret in Secret Manager is returned wrapped, and its resolved version is logged."""
    fake_sm.add_version(PROJECT, GEMINI, "old")
    fake_sm.add_version(PROJECT, GEMINI, "gm-key-value\n")
    secret = get_secret_or_env(GEMINI, project_id=PROJECT)
    assert secret.reveal() == "gm-key-value"
    assert f"secret {GEMINI} resolved from Secret Manager version " in "\n".join(log_lines)
    assert f"projects/{PROJECT}/secrets/{GEMINI}/versions/2" in "\n".join(log_lines)
    assert scrub("leak gm-key-value") == "leak [REDACTED]"


def test_project_from_environment_and_cache_per_process(fake_sm, monkeypatch):
    """GOOGLE_CLOUD_PROJECT selects the project; a second call is served from the cache."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    fake_sm.add_version(PROJECT, GEMINI, "cached-value")
    first = get_secret_or_env(GEMINI)
    second = get_secret_or_env(GEMINI)
    assert first is second and first.reveal() == "cached-value"
    assert len(fake_sm.requests) == 1


def test_explicit_version(fake_sm):
    """A version number reads that version, not the latest."""
    fake_sm.add_version(PROJECT, GEMINI, "v1-value")
    fake_sm.add_version(PROJECT, GEMINI, "v2-value")
    assert get_secret_or_env(GEMINI, project_id=PROJECT, version="1").reveal() == "v1-value"
    assert fake_sm.requests == [f"projects/{PROJECT}/secrets/{GEMINI}/versions/1"]


def test_not_found_falls_back_to_the_environment_with_a_warning(fake_sm, monkeypatch, log_lines):
    """A secret missing from Secret Manager is read from its variable, with a warning."""
    monkeypatch.setenv("GEMINI_API_KEY", "from-env-value")
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "from-env-value"
    warning = [line for line in log_lines if line.startswith("WARNING bp.secrets")]
    assert len(warning) == 1
    assert GEMINI in warning[0] and "GEMINI_API_KEY" in warning[0] and "NotFound" in warning[0]


def test_permission_denied_falls_back_to_the_environment(fake_sm, monkeypatch, log_lines):
    """PERMISSION_DENIED is not retried and falls back to the variable outside production."""
    fake_sm.add_version(PROJECT, GEMINI, "denied-value")
    fake_sm.deny(PROJECT, GEMINI)
    monkeypatch.setenv("GEMINI_API_KEY", "env-value")
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "env-value"
    assert len(fake_sm.requests) == 1
    assert any("PermissionDenied" in line for line in log_lines)


def test_unavailable_then_found_is_retried(fake_sm):
    """Transient UNAVAILABLE answers are retried with backoff until the secret comes back."""
    fake_sm.add_version(PROJECT, GEMINI, "eventually")
    fake_sm.fail_next(PROJECT, GEMINI, grpc.StatusCode.UNAVAILABLE, times=2)
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "eventually"
    assert len(fake_sm.requests) == 3


def test_retries_are_bounded(fake_sm, monkeypatch):
    """After the retry budget, an unavailable Secret Manager falls back to the environment."""
    fake_sm.add_version(PROJECT, GEMINI, "unreachable")
    fake_sm.fail_next(PROJECT, GEMINI, grpc.StatusCode.DEADLINE_EXCEEDED, times=10)
    monkeypatch.setenv("GEMINI_API_KEY", "env-value")
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "env-value"
    assert len(fake_sm.requests) == 3


def test_crc_mismatch_is_retried_then_refused(fake_sm, monkeypatch, log_lines):
    """A payload failing its CRC32C is re-read; if it keeps failing it is never returned."""
    fake_sm.add_version(PROJECT, GEMINI, "good-value")
    fake_sm.corrupt_next(PROJECT, GEMINI, times=1)
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "good-value"
    fake_sm.add_version(PROJECT, SecretIds.OPENAI_API_KEY, "corrupted-value")
    fake_sm.corrupt_next(PROJECT, SecretIds.OPENAI_API_KEY, times=10)
    monkeypatch.setenv("OPENAI_API_KEY", "env-value")
    assert get_secret_or_env(SecretIds.OPENAI_API_KEY, project_id=PROJECT).reveal() == "env-value"
    assert any("checksum mismatch" in line for line in log_lines)


@pytest.mark.parametrize(("payload", "problem"), [(b"\xff\xfe", "not UTF-8"), (b"\n", "empty")])
def test_unusable_payload_is_refused(fake_sm, payload, problem):
    """A binary or empty payload is not a usable API key: Secret Manager cannot provide it."""
    fake_sm.add_version(PROJECT, GEMINI, payload)
    with pytest.raises(ConfigError, match=problem):
        get_secret_or_env(GEMINI, project_id=PROJECT)


def test_no_project_reads_the_environment_with_a_warning(monkeypatch, log_lines):
    """Without a project (local runs), the variable is used and the fallback is logged."""
    monkeypatch.setenv("GENIE_SIM_API_KEY", "local-value")
    secret = get_secret_or_env(SecretIds.GENIE_SIM_API_KEY)
    assert secret.reveal() == "local-value"
    assert any(
        "GENIE_SIM_API_KEY" in line and "no Google Cloud project" in line for line in log_lines
    )


def test_env_fallback_without_cloud_credentials(monkeypatch, tmp_path):
    """With a project but no credentials, the real client cannot be built: env is used."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GEMINI_API_KEY", "no-cloud-value")
    assert get_secret_or_env(GEMINI).reveal() == "no-cloud-value"


def test_missing_everywhere(monkeypatch):
    """A required secret found nowhere is a ConfigError; an optional one is None."""
    with pytest.raises(ConfigError) as caught:
        get_secret_or_env(GEMINI)
    assert caught.value.variable == "GEMINI_API_KEY" and GEMINI in str(caught.value)
    assert get_secret_or_env(GEMINI, required=False) is None
    monkeypatch.setenv("OPENAI_API_KEY", "openai-value")
    gemini = get_secret_or_env(GEMINI, required=False)
    openai = get_secret_or_env(SecretIds.OPENAI_API_KEY, required=False)
    assert (gemini or openai).reveal() == "openai-value"


def test_custom_environment_variable(monkeypatch):
    """env_var overrides the default variable name derived from the secret id."""
    assert env_var_for("genie-sim-api-key") == "GENIE_SIM_API_KEY"
    monkeypatch.setenv("MY_GEMINI_KEY_VAR", "custom-value")
    assert get_secret_or_env(GEMINI, env_var="MY_GEMINI_KEY_VAR").reveal() == "custom-value"


@pytest.mark.parametrize(
    "arguments",
    [
        {"secret_id": "a/b"},
        {"secret_id": GEMINI, "version": "../1"},
        {"secret_id": GEMINI, "env_var": "A-B"},
        {"secret_id": GEMINI, "project_id": "Bad/Project"},
    ],
)
def test_malformed_arguments_are_refused(arguments):
    """Ids, versions, variable names and projects are checked before any use."""
    with pytest.raises(ValueError, match="malformed"):
        get_secret_or_env(**arguments)


def test_production_refuses_the_environment(fake_sm, monkeypatch):
    """With PRODUCTION_MODE=true an env secret is refused with a ConfigError naming the secret."""
    monkeypatch.setenv("PRODUCTION_MODE", "true")
    monkeypatch.setenv("GEMINI_API_KEY", "env-value")
    with pytest.raises(ConfigError) as no_project:
        get_secret_or_env(GEMINI)
    assert "GOOGLE_CLOUD_PROJECT" in str(no_project.value) and "PRODUCTION_MODE" in str(
        no_project.value
    )
    fake_sm.deny(PROJECT, GEMINI)
    with pytest.raises(ConfigError, match="PermissionDenied") as denied:
        get_secret_or_env(GEMINI, project_id=PROJECT)
    assert not denied.value.retryable and denied.value.hint


def test_production_transient_failure_is_retryable(fake_sm, monkeypatch):
    """In production, an unavailable Secret Manager raises a retryable error, not ConfigError."""
    monkeypatch.setenv("PRODUCTION_MODE", "true")
    fake_sm.fail_next(PROJECT, GEMINI, grpc.StatusCode.UNAVAILABLE, times=10)
    with pytest.raises(SecretUnavailableError) as caught:
        get_secret_or_env(GEMINI, project_id=PROJECT)
    assert isinstance(caught.value, TransientError) and caught.value.retryable
    assert caught.value.secret_id == GEMINI


def test_production_with_allow_env_secrets_falls_back(fake_sm, monkeypatch):
    """ALLOW_ENV_SECRETS=true re-enables the environment fallback in production."""
    monkeypatch.setenv("PRODUCTION_MODE", "true")
    monkeypatch.setenv("ALLOW_ENV_SECRETS", "true")
    monkeypatch.setenv("GEMINI_API_KEY", "allowed-value")
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "allowed-value"


def test_production_reads_secret_manager(fake_sm, monkeypatch):
    """Production mode is satisfied by Secret Manager itself."""
    monkeypatch.setenv("PRODUCTION_MODE", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    fake_sm.add_version(PROJECT, GEMINI, "prod-value")
    assert get_secret_or_env(GEMINI).reveal() == "prod-value"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PRODUCTION_MODE", "maybe-secret-text"), ("GOOGLE_CLOUD_PROJECT", "Not A Project")],
)
def test_bad_settings_fail_fast_without_their_value(monkeypatch, variable, value):
    """A malformed setting is a ConfigError naming the variable, never echoing the value."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        get_secret_or_env(GEMINI)
    assert caught.value.variable == variable and value not in str(caught.value)


def test_empty_project_means_unset(monkeypatch):
    """GOOGLE_CLOUD_PROJECT= (empty) is treated as unset."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "")
    monkeypatch.setenv("GEMINI_API_KEY", "env-value")
    assert get_secret_or_env(GEMINI).reveal() == "env-value"


def test_client_is_built_lazily_once_and_again_after_fork(fake_sm, monkeypatch):
    """No client without a project; one client for many secrets; a new one after a fork."""
    builds = []

    def factory():
        builds.append(1)
        return fake_sm.client()

    configure_secret_manager(factory, FAST_RETRY)
    monkeypatch.setenv("GEMINI_API_KEY", "env-value")
    get_secret_or_env(GEMINI)
    assert builds == []
    fake_sm.add_version(PROJECT, GEMINI, "one")
    fake_sm.add_version(PROJECT, SecretIds.OPENAI_API_KEY, "two")
    get_secret_or_env(GEMINI, project_id=PROJECT)
    get_secret_or_env(SecretIds.OPENAI_API_KEY, project_id=PROJECT)
    assert len(builds) == 1
    secret_manager_reader().forget_client()  # what the at-fork hook does in the child
    assert get_secret_or_env(GEMINI, project_id=PROJECT).reveal() == "one"  # cached
    fake_sm.add_version(PROJECT, SecretIds.GENIE_SIM_API_KEY, "three")
    get_secret_or_env(SecretIds.GENIE_SIM_API_KEY, project_id=PROJECT)
    assert len(builds) == 2
