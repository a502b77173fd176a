"""Instruction phrasing: LLM variants must name both objects; errors keep the template."""

from types import SimpleNamespace

from episode_generation_job.phrasing import phrase_with
from tools.llm_client import LLMResponseInvalid
from tools.tasks.task_specifier import template_phrase


class _StubClient:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    def generate_json(self, prompt, schema):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(value=schema(instruction=answer))


def test_variant_naming_both_objects_is_used_and_cached():
    """A faithful variant replaces the template, once per distinct instruction."""
    client = _StubClient(["Place the red cup onto the plate."])
    phrase = phrase_with(client)
    assert phrase("red cup", "plate", "on") == "Place the red cup onto the plate"
    assert phrase("red cup", "plate", "on") == "Place the red cup onto the plate"
    assert client.calls == 1


def test_unfaithful_variant_or_error_keeps_the_template():
    """A variant that drops an object name, or an LLM error, leaves the template sentence."""
    client = _StubClient(["Put it over there.", LLMResponseInvalid("gemini", ["not JSON"])])
    phrase = phrase_with(client)
    assert phrase("red cup", "plate", "on") == template_phrase("red cup", "plate", "on")
    assert phrase("bowl", "tray", "on") == "put the bowl on the tray"


def test_variant_must_keep_in_or_on():
    """A variant that swaps "in the bowl" for "on the bowl" (another task) is dropped."""
    client = _StubClient(["Place the cup on the bowl.", "Drop the mug into the bowl."])
    phrase = phrase_with(client)
    assert phrase("cup", "bowl", "in") == "put the cup in the bowl"
    assert phrase("mug", "bowl", "in") == "Drop the mug into the bowl"
