"""An LLM answer stored beside the asset it is about: asked once, reused while the question holds.

Reruns then stay deterministic and free: a stored answer is reused when the provider, the
model and the prompt's sha256 are unchanged, and only a valid answer is ever reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from tools.errors import PipelineError
from tools.llm_client.client import LLMClient
from tools.structured_logging import get_logger

log = get_logger("llm_client.recorded")


class AnswerModel(BaseModel):
    """Base of a recorded answer's model: keys the model adds are ignored, NaN and Inf refused
    (an answer is validated again when read back from its record)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


M = TypeVar("M", bound=AnswerModel)


@dataclass(frozen=True)
class RecordedAnswer(Generic[M]):
    """A validated answer, where it came from (`llm:<model>`) and whether it was reused."""

    value: M
    source: str
    reused: bool


class RecordedAsker:
    """Asks one LLM client for JSON answers, each stored in (and reused from) a record file.

    Owns the client and two counters: `calls` (requests made, failed ones included) and
    `reused` (answers read back from their records).
    """

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.calls = 0
        self.reused = 0

    def ask(
        self, prompt: str, schema: type[M], record_path: Path, *, system: str, what: str
    ) -> RecordedAnswer[M] | None:
        """The answer to `prompt`, from its record when still valid, else from the LLM.

        Args:
            prompt: the user message.
            schema: the pydantic model the answer must satisfy.
            record_path: where the answer is stored (and looked up).
            system: the system instruction.
            what: names the question in the warning when no answer comes.

        Returns:
            The answer, or None when the LLM could not give one (logged as a warning; the
            caller keeps its priors).
        """
        source = f"llm:{self.client.model}"
        identity = {
            "provider": self.client.provider.value,
            "model": self.client.model,
            "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest(),
        }
        stored = _read_record(record_path, schema)
        if stored is not None and all(stored.get(k) == v for k, v in identity.items()):
            self.reused += 1
            return RecordedAnswer(schema.model_validate(stored["answer"]), source, True)
        try:
            self.calls += 1
            answer = self.client.generate_json(prompt, schema, system=system)
        except PipelineError as exc:
            log.warning("llm %s unavailable: %s", what, exc)
            return None
        record = {
            **identity,
            "model_version": answer.model_version,
            "answer": answer.value.model_dump(mode="json"),
        }
        record_path.parent.mkdir(parents=True, exist_ok=True)
        record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        return RecordedAnswer(answer.value, source, False)


def _read_record(path: Path, schema: type[AnswerModel]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        schema.model_validate(data["answer"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if isinstance(data, dict) else None
