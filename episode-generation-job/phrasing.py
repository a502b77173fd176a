"""Optional LLM phrasing of task instructions; the deterministic template without a key."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.errors import PipelineError
from tools.llm_client import AUTO, LLMClient, create_llm_client
from tools.structured_logging import get_logger
from tools.tasks.task_specifier import Phraser, template_phrase

log = get_logger("episodes.phrasing")
_PROMPT = (
    "Rephrase this robot instruction as one short imperative English sentence. Keep the object "
    'names exactly as written. Answer as JSON {{"instruction": "..."}}.\nInstruction: {text}'
)


# A variant must keep the relation: "in the bowl" is a different task from "on the bowl".
_RELATION_WORDS = {
    "in": (" in ", " into ", " inside "),
    "on": (" on ", " onto ", " on top of "),
}


def relation_of(template: str) -> str:
    """The relation a skill's template says before its goal: "in" or "on"."""
    return "in" if " in the {goal}" in template else "on"


def _keeps(relation: str, lowered: str) -> bool:
    """Whether a lowered, space-padded variant still says the relation and not the other."""
    words = _RELATION_WORDS[relation]
    opposite = [w for r, ws in _RELATION_WORDS.items() if r != relation for w in ws]
    return any(w in lowered for w in words) and not any(w in lowered for w in opposite)


class _Instruction(BaseModel):
    """The JSON answer expected from the LLM."""

    instruction: str = Field(min_length=5, max_length=160)


def phrase_with(client: LLMClient) -> Phraser:
    """A phraser asking `client` for a natural variant of each template sentence.

    The variant is kept only if it still names the target and the goal verbatim and says the
    skill's relation ("in" or "on"); any LLM error keeps the template. Answers are cached so
    every episode of a task has the same text.

    Args:
        client: a configured LLM client.

    Returns:
        The phraser.
    """
    cache: dict[str, str] = {}

    def phrase(target: str, goal: str, template: str) -> str:
        baseline = template_phrase(target, goal, template)
        if baseline not in cache:
            try:
                answer = client.generate_json(_PROMPT.format(text=baseline), _Instruction)
                text = answer.value.instruction.strip().rstrip(".")
            except PipelineError as exc:  # an LLM outage must not stop data generation
                log.warning("LLM phrasing failed (%s): template kept", type(exc).__name__)
                text = baseline
            lowered = f" {text.lower()} "
            relation = relation_of(template)
            faithful = target in lowered and goal in lowered and _keeps(relation, lowered)
            cache[baseline] = text if faithful else baseline
        return cache[baseline]

    return phrase


def llm_phraser() -> Phraser:
    """The LLM phraser when a provider key is configured, else the deterministic template.

    Returns:
        The phraser to use.
    """
    client = create_llm_client(AUTO)
    if client is None:
        log.info("LLM_PHRASING: no LLM key configured, instructions use templates")
        return template_phrase
    return phrase_with(client)
