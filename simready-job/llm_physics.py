"""Optional LLM estimate of an object's physics: prompt, answer model, clamps, stored record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from simready_job.material_priors import PriorTable, normalize_name
from simready_job.physics_model import mass_bounds
from tools.llm_client.recorded import AnswerModel, RecordedAsker

RECORD_NAME = "physics_llm.json"  # under assets/<object_id>/: the answer reused by reruns
PRIOR_MASS_FACTOR = 4.0  # an LLM mass may differ from the prior's by this factor at most
FRICTION_BOUNDS = (0.05, 1.5)
SYSTEM = (
    "You estimate physical properties of household and warehouse objects for a robot "
    "simulator. Answer with one JSON object only."
)


class PhysicsGuess(AnswerModel):
    """What the model must answer; plausibility is enforced afterwards by `clamp_guess`."""

    material: str = Field(min_length=1, max_length=64)
    mass_kg: float = Field(gt=0)
    static_friction: float = Field(ge=0)
    dynamic_friction: float = Field(ge=0)
    restitution: float


@dataclass(frozen=True)
class ObjectFacts:
    """What the prompt tells the model about one object (nothing secret)."""

    category: str
    label: str
    dimensions_m: tuple[float, float, float]
    enclosed_volume_m3: float
    prior_mass_kg: float
    prior_material: str


@dataclass(frozen=True)
class ClampedGuess:
    """An LLM estimate made plausible, with a note per value that had to be changed."""

    material: str
    mass_kg: float
    static_friction: float
    dynamic_friction: float
    restitution: float
    notes: tuple[str, ...]


def build_prompt(facts: ObjectFacts) -> str:
    """The user message for one object.

    Args:
        facts: the object's description.

    Returns:
        A prompt asking for a JSON object with the PhysicsGuess keys.
    """
    x, y, z = facts.dimensions_m
    return (
        f"Object category: {facts.category}\n"
        f"Detector label: {facts.label}\n"
        f"Bounding box (m): {x:.3f} x {y:.3f} x {z:.3f}\n"
        f"Enclosed mesh volume (m^3): {facts.enclosed_volume_m3:.6g}\n"
        f"Our prior: {facts.prior_material}, about {facts.prior_mass_kg:.3g} kg\n"
        "Estimate the object as typically found (hollow items empty, closed drinks full).\n"
        'Answer with JSON: {"material": str, "mass_kg": number, "static_friction": number, '
        '"dynamic_friction": number, "restitution": number} where frictions are against a '
        "dry wooden table and restitution is in [0, 1]."
    )


def clamp_guess(guess: PhysicsGuess, facts: ObjectFacts, table: PriorTable) -> ClampedGuess:
    """Bound an estimate: mass near the prior and within the bulk-density bounds, friction
    within FRICTION_BOUNDS with dynamic <= static, restitution within [0, 1].

    Args:
        guess: the validated answer.
        facts: the object's description (prior mass, volume).
        table: the prior table (bulk-density bounds, known materials).

    Returns:
        The clamped estimate with notes naming each changed value.
    """
    notes: list[str] = []
    low, high = mass_bounds(table, facts.enclosed_volume_m3)
    low = max(low, facts.prior_mass_kg / PRIOR_MASS_FACTOR)
    high = min(high, facts.prior_mass_kg * PRIOR_MASS_FACTOR)
    mass = _clamp("mass_kg", guess.mass_kg, low, max(low, high), notes)
    static = _clamp("static_friction", guess.static_friction, *FRICTION_BOUNDS, notes)
    dynamic = _clamp("dynamic_friction", guess.dynamic_friction, FRICTION_BOUNDS[0], static, notes)
    restitution = _clamp("restitution", guess.restitution, 0.0, 1.0, notes)
    material = normalize_name(guess.material)[:40] or facts.prior_material
    return ClampedGuess(material, mass, static, dynamic, restitution, tuple(notes))


def _clamp(name: str, value: float, low: float, high: float, notes: list[str]) -> float:
    bounded = min(max(value, low), high)
    if bounded != value:
        notes.append(f"llm {name} {value:.4g} clamped to {bounded:.4g}")
    return bounded


@dataclass(frozen=True)
class LLMEstimate:
    """A usable estimate and its provenance."""

    guess: PhysicsGuess
    source: str  # "llm:<model>"


class LLMPhysicsEstimator(RecordedAsker):
    """Asks an LLM for physics, reusing the answer stored beside the asset when the prompt,
    provider and model are unchanged (`tools.llm_client.recorded`).

    Owns nothing but the client; records are files under the object's asset folder.
    """

    def estimate(self, facts: ObjectFacts, record_path: Path) -> LLMEstimate | None:
        """An estimate for one object, or None when the LLM could not give one.

        Args:
            facts: the object's description.
            record_path: where the answer is stored (and looked up).

        Returns:
            The estimate, or None (the caller keeps its priors).
        """
        what = f"estimate for {facts.category}"
        answer = self.ask(build_prompt(facts), PhysicsGuess, record_path, system=SYSTEM, what=what)
        return None if answer is None else LLMEstimate(answer.value, answer.source)
