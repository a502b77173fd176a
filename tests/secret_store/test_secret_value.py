"""SecretValue never shows its value: printing, formatting, logging, pickling, json."""

from __future__ import annotations

import copy
import json
import logging
import pickle

import pytest

from tools.secret_store import SecretValue

CANARY = "sk-canary-0123456789"


def test_reveal_returns_the_value():
    """Only reveal() gives the secret back."""
    assert SecretValue(CANARY).reveal() == CANARY


@pytest.mark.parametrize(
    "render",
    [
        str,
        repr,
        lambda v: f"{v}",
        lambda v: f"{v!r}",
        lambda v: "%s %r" % (v, v),  # noqa: UP031
        lambda v: f"{v:>40}",
        lambda v: str([v, {"k": v}]),
    ],
    ids=["str", "repr", "fstring", "fstring-repr", "percent", "format-spec", "containers"],
)
def test_text_renderings_mask_the_value(render):
    """Every way of turning it into text shows a mask."""
    text = render(SecretValue(CANARY))
    assert CANARY not in text and "*****" in text


def test_pickle_and_json_refuse_without_showing_the_value():
    """Pickling and json encoding fail, and their errors do not contain the value."""
    value = SecretValue(CANARY)
    with pytest.raises(TypeError) as pickled:
        pickle.dumps(value)
    with pytest.raises(TypeError) as encoded:
        json.dumps({"key": value})
    assert CANARY not in str(pickled.value) + str(encoded.value)
    assert CANARY not in json.dumps({"key": value}, default=str)


def test_copies_are_the_same_object_and_truthiness_follows_the_value():
    """copy/deepcopy return the object itself; an empty secret is falsy."""
    value = SecretValue(CANARY)
    assert copy.copy(value) is value and copy.deepcopy({"v": value})["v"] is value
    assert value and not SecretValue("")


def test_logging_the_value_shows_the_mask(caplog):
    """Log calls with the value as argument never emit it."""
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").warning(
            "key=%s repr=%r", SecretValue(CANARY), SecretValue(CANARY)
        )
    assert CANARY not in caplog.text


def test_no_attribute_dictionary():
    """The value has no __dict__ for vars() or serializers to walk."""
    with pytest.raises(TypeError):
        vars(SecretValue(CANARY))
