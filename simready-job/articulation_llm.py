"""Optional LLM advice on a facade without visible handles: how many doors and drawers.

Only asked when handles do not decide and a client is configured; the answer is validated,
clamped to what the facade can hold and stored beside the asset (reruns reuse it, so they stay
deterministic and free). Without a client, or on any failure, the category priors decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from simready_job import articulation_priors as pri
from simready_job.articulation_facade import FrontFrame
from simready_job.articulation_layout import PartPlan, split_span
from tools.llm_client.recorded import AnswerModel, RecordedAsker

RECORD_NAME = "articulation_llm.json"  # under assets/<object_id>/
MIN_DOOR_WIDTH_M = 0.25
MIN_DRAWER_HEIGHT_M = 0.12
DRAWER_BAND_M = 0.18  # drawers above doors: each drawer front this tall
SYSTEM = (
    "You describe the doors and drawers of furniture for a robot simulator. "
    "Answer with one JSON object only."
)


class LayoutGuess(AnswerModel):
    """What the model must answer; `clamp_layout` makes it fit the facade."""

    doors: int = Field(ge=0, le=20)
    drawers: int = Field(ge=0, le=20)
    hinge: Literal["left", "right", "bottom"] = "left"


def build_prompt(category: str, label: str, front: FrontFrame) -> str:
    """The user message describing one facade (sizes only; nothing secret)."""
    width = front.u_range[1] - front.u_range[0]
    height = front.z_range[1] - front.z_range[0]
    return (
        f"Furniture category: {category}\nDetector label: {label}\n"
        f"Front face: {width:.2f} m wide, {height:.2f} m tall; depth {front.depth:.2f} m.\n"
        "No handles are visible. How many hinged doors and how many drawers does such a "
        "piece typically have, and on which side are the doors hinged?\n"
        'Answer with JSON: {"doors": int, "drawers": int, "hinge": "left"|"right"|"bottom"}.'
    )


def clamp_layout(guess: LayoutGuess, front: FrontFrame) -> tuple[LayoutGuess, tuple[str, ...]]:
    """Bound counts by what fits the facade; keep at least one part.

    Args:
        guess: the validated answer.
        front: the facade.

    Returns:
        The bounded guess and a note per changed value.
    """
    width = front.u_range[1] - front.u_range[0]
    height = front.z_range[1] - front.z_range[0]
    notes = []
    doors = min(guess.doors, max(1, int(width / MIN_DOOR_WIDTH_M)))
    drawers = min(guess.drawers, max(0, int(height / MIN_DRAWER_HEIGHT_M)))
    if doors and drawers:
        drawers = min(drawers, max(1, int(height / 2 / DRAWER_BAND_M)))
    if doors + drawers == 0:
        doors = 1
    for name, old, new in (("doors", guess.doors, doors), ("drawers", guess.drawers, drawers)):
        if old != new:
            notes.append(f"llm {name} {old} clamped to {new}")
    return LayoutGuess(doors=doors, drawers=drawers, hinge=guess.hinge), tuple(notes)


def plan_from_guess(guess: LayoutGuess, front: FrontFrame) -> list[PartPlan]:
    """Drawers in a band at the top, doors side by side below (or drawers filling the front)."""
    u, z = front.u_range, front.z_range
    top = z[1]
    plans: list[PartPlan] = []
    if guess.drawers:
        band = (top - guess.drawers * DRAWER_BAND_M, top) if guess.doors else z
        for row in reversed(split_span(band, guess.drawers)):
            centre = ((u[0] + u[1]) / 2, (row[0] + row[1]) / 2)
            plans.append(PartPlan("drawer", u, row, None, centre, 0.0))
        top = band[0]
    if guess.doors:
        for k, cell in enumerate(split_span(u, guess.doors)):
            hinge = guess.hinge
            if hinge != "bottom" and guess.doors % 2 == 0:
                hinge = "left" if k % 2 == 0 else "right"  # pairs open from the middle
            free = cell[1] - 0.06 if hinge == "left" else cell[0] + 0.06
            handle = ((cell[0] + cell[1]) / 2, top - 0.05) if hinge == "bottom" else None
            span = (z[0], top)
            plans.append(PartPlan("door", cell, span, hinge, handle or (free, sum(span) / 2), 0.0))
    plans.sort(key=lambda p: (p.z[0], p.u[0]))
    return [p for p in plans if min(p.u[1] - p.u[0], p.z[1] - p.z[0]) >= pri.MIN_PART_M]


@dataclass(frozen=True)
class LayoutAdvice:
    """The plans an LLM answer gave, with its source and clamp notes."""

    plans: list[PartPlan]
    source: str
    notes: tuple[str, ...]


class ArticulationAdvisor(RecordedAsker):
    """Asks the LLM for a facade's layout, reusing the answer stored beside the asset
    (`tools.llm_client.recorded`).

    Owns nothing but the client; records are files under the object's asset folder.
    """

    def advise(
        self, category: str, label: str, front: FrontFrame, record_path: Path
    ) -> LayoutAdvice | None:
        """Plans for a facade without handles, or None (the caller uses the priors).

        Args:
            category: the object's category.
            label: its detector label.
            front: its facade.
            record_path: where the answer is stored (and looked up).

        Returns:
            The advice, or None when the LLM could not give a usable answer.
        """
        prompt = build_prompt(category, label, front)
        what = f"layout for {category}"
        answer = self.ask(prompt, LayoutGuess, record_path, system=SYSTEM, what=what)
        if answer is None:
            return None
        bounded, notes = clamp_layout(answer.value, front)
        return LayoutAdvice(plan_from_guess(bounded, front), answer.source, notes)
