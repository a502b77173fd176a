"""Optional LLM suggestions for the bundle: the primary policy and distractor labels, validated."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import TransientError
from tools.llm_client import LLMClient, LLMError
from tools.scene_manifest import SceneManifest
from tools.structured_logging import get_logger

log = get_logger("replicator.llm")

MAX_LABELS = 8
_LABEL = re.compile(r"^[a-z][a-z _-]{1,31}$")
SYSTEM = (
    "You help configure domain randomization of a robot-manipulation scene. "
    "Answer with one JSON object only."
)


class Suggestion(BaseModel):
    """What the model must answer; values are filtered against the scene afterwards."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    primary_policy: str = Field(min_length=1, max_length=64)
    distractor_labels: list[str] = Field(default_factory=list, max_length=32)


@dataclass(frozen=True)
class AcceptedSuggestion:
    """A suggestion reduced to what the scene allows, with its provenance."""

    primary_policy: str
    distractor_labels: tuple[str, ...]
    record: dict[str, Any]


def _prompt(manifest: SceneManifest, policies: Sequence[str]) -> str:
    categories = sorted({o.category for o in manifest.objects})
    return (
        f"Scene object categories: {', '.join(categories)}.\n"
        f"Policies this scene supports: {', '.join(policies)}.\n"
        "Which policy best fits the scene, and which everyday objects would be realistic "
        "clutter (distractors) on its work surface? Answer as "
        '{"primary_policy": "<one of the policies>", "distractor_labels": ["<noun>", ...]} '
        f"with at most {MAX_LABELS} short lower-case nouns."
    )


def suggest(
    client: LLMClient | None, manifest: SceneManifest, policies: Sequence[str]
) -> AcceptedSuggestion | None:
    """Ask the LLM (if any) and keep only answers the scene allows.

    Without a client, or when the call fails (even after retries, or with the circuit open)
    or the answer names an unsupported policy,
    None is returned and the step uses its deterministic defaults.

    Args:
        client: the LLM client, or None.
        manifest: the scene manifest (only categories are sent).
        policies: the supported policies.

    Returns:
        The accepted suggestion, or None.
    """
    if client is None or not policies:
        return None
    try:
        answer = client.generate_json(_prompt(manifest, policies), Suggestion, system=SYSTEM)
    except (LLMError, TransientError) as exc:  # optional: never fails the step
        log.warning("llm suggestion unavailable, using defaults: %s", exc)
        return None
    value = answer.value
    if value.primary_policy not in policies:
        log.warning("llm suggested an unsupported policy; using defaults")
        return None
    labels: list[str] = []
    for label in (v.strip().lower() for v in value.distractor_labels):
        if _LABEL.match(label) and label not in labels:
            labels.append(label)
    record = {
        "provider": answer.provider.value,
        "model": answer.model,
        "model_version": answer.model_version,
        "primary_policy": value.primary_policy,
        "distractor_labels": labels[:MAX_LABELS],
    }
    return AcceptedSuggestion(value.primary_policy, tuple(labels[:MAX_LABELS]), record)
