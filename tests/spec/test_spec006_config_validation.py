"""SPEC-006's start-up pattern, as written: fail fast on bad configuration, defaults applied."""

from __future__ import annotations

import logging
import sys

import pytest

from tools.errors import EXIT_BAD_INPUT, ConfigError

logger = logging.getLogger("spec006")


# --- SPEC-006 "Pattern for Each Job", as written ------------------------------------------
# At the top of main()
from tools.validation.config_schemas import (  # noqa: E402
    EnvironmentConfigError,
    validate_environment_config,
)


def main():
    # Validate environment before proceeding
    try:
        config = validate_environment_config(
            required_vars=[
                "BUCKET",
                "SCENE_ID",
            ],
            optional_vars=[
                ("ROBOT_TYPE", "franka"),
                ("NUM_EPISODES", "100"),
            ],
            validated_patterns={
                "SCENE_ID": r"^[a-zA-Z0-9_-]+$",
            },
        )
    except EnvironmentConfigError as e:
        logger.error(f"Configuration error: {e}")
        sys.exit(1)

    # Proceed with validated config
    bucket = config["BUCKET"]
    scene_id = config["SCENE_ID"]
    # ...
    return bucket, scene_id, config  # added so the test can see what main() proceeds with


# --- end of the spec's text --------------------------------------------------------------


@pytest.fixture
def env(monkeypatch):
    for name in ("BUCKET", "SCENE_ID", "ROBOT_TYPE", "NUM_EPISODES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_valid_environment_proceeds_with_defaults(env):
    """Required variables are read and the optional ones get their defaults."""
    env.setenv("BUCKET", "bp-scenes")
    env.setenv("SCENE_ID", "kitchen_61")
    env.setenv("NUM_EPISODES", "8")
    bucket, scene_id, config = main()
    assert (bucket, scene_id) == ("bp-scenes", "kitchen_61")
    assert config == {
        "BUCKET": "bp-scenes",
        "SCENE_ID": "kitchen_61",
        "ROBOT_TYPE": "franka",
        "NUM_EPISODES": "8",
    }


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({"BUCKET": "b"}, "configuration SCENE_ID: required variable is not set"),
        (
            {"BUCKET": "b", "SCENE_ID": "a;rm -rf /"},
            "configuration SCENE_ID: must match ^[a-zA-Z0-9_-]+$",
        ),
    ],
)
def test_bad_environment_fails_fast_with_one_line(env, caplog, variables, line):
    """A missing or injected variable stops main() with one line naming the variable and its
    rule, never its value. The spec's sample exits 1; ours is stricter: a `ConfigError` is
    permanent and the job runner exits 2 for it, so Cloud Run does not retry a bad setting."""
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(SystemExit) as stop, caplog.at_level(logging.ERROR, "spec006"):
        main()
    assert stop.value.code == 1  # the spec's own sys.exit(1)
    assert caplog.messages == [f"Configuration error: {line}"]
    assert "rm -rf" not in caplog.text
    assert EnvironmentConfigError is ConfigError
    assert ConfigError("SCENE_ID", "x").exit_code == EXIT_BAD_INPUT == 2


def test_an_empty_required_variable_and_a_stray_pattern_are_refused():
    """An empty required value is missing in all but name; a pattern for an undeclared
    variable is a programming error."""
    with pytest.raises(ConfigError, match="configuration BUCKET"):
        validate_environment_config(["BUCKET"], env={"BUCKET": ""})
    with pytest.raises(ValueError, match="ROBOT"):
        validate_environment_config(["BUCKET"], validated_patterns={"ROBOT": "x"}, env={})
