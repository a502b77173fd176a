"""Instruction phrasing: LLM variants must name both objects; errors keep the template."""

from types import SimpleNamespace

from episode_generation_job.phrasing import phrase_with
from tools.llm_client import LLMResponseInvalid
from tools.tasks.skills import (
    PLACE_AT_HEIGHT,
    PLACE_IN,
    PLACE_ON,
    PLACE_SKILLS,
    STACK,
    instruction_template,
)
from tools.tasks.task_specifier import template_phrase

ON, IN = instruction_template(PLACE_ON), instruction_template(PLACE_IN)


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
    assert phrase("red cup", "plate", ON) == "Place the red cup onto the plate"
    assert phrase("red cup", "plate", ON) == "Place the red cup onto the plate"
    assert client.calls == 1


def test_unfaithful_variant_or_error_keeps_the_template():
    """A variant that drops an object name, or an LLM error, leaves the template sentence."""
    client = _StubClient(["Put it over there.", LLMResponseInvalid("gemini", ["not JSON"])])
    phrase = phrase_with(client)
    assert phrase("red cup", "plate", ON) == template_phrase("red cup", "plate", ON)
    assert phrase("bowl", "tray", ON) == "put the bowl on the tray"


def test_variant_must_keep_in_or_on():
    """A variant that swaps "in the bowl" for "on the bowl" (another task) is dropped."""
    client = _StubClient(["Place the cup on the bowl.", "Drop the mug into the bowl."])
    phrase = phrase_with(client)
    assert phrase("cup", "bowl", IN) == "put the cup in the bowl"
    assert phrase("mug", "bowl", IN) == "Drop the mug into the bowl"


def test_each_skill_has_its_own_template():
    """Every pick-and-place skill says something different; height says up or down."""
    texts = {template_phrase("mug", "plate", instruction_template(s)) for s in PLACE_SKILLS}
    assert len(texts) == len(PLACE_SKILLS)
    assert template_phrase("mug", "box", instruction_template(STACK)) == (
        "stack the mug on top of the box"
    )
    up = instruction_template(PLACE_AT_HEIGHT, 0.15)
    down = instruction_template(PLACE_AT_HEIGHT, -0.15)
    assert template_phrase("mug", "shelf", up) == "move the mug up onto the shelf"
    assert template_phrase("mug", "table", down) == "move the mug down onto the table"


def test_stack_variant_keeps_on_and_names_both():
    """The relation checked is the one the skill's template says ("on top of" is on)."""
    client = _StubClient(["Put the mug into the box.", "Set the mug on the crate."])
    phrase = phrase_with(client)
    stack = instruction_template(STACK)
    assert phrase("mug", "box", stack) == "stack the mug on top of the box"
    assert phrase("mug", "crate", stack) == "Set the mug on the crate"
