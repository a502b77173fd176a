"""Configuration of the replicator job (environment variables, validated at start-up)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tools.config import JobSettings
from tools.robots import DEFAULT_ROBOT, RobotType

FRAME_RANDOMIZERS = ("lighting", "object_colors", "background_colors", "camera_jitter")


class ReplicatorSettings(JobSettings):
    """Variables of the replicator job, on top of the shared ones (SCENE_ID, SCENE_DIR, SEED...)."""

    REPLICATOR_SAMPLE_EPISODES: int = Field(
        default=8, ge=1, le=1000, description="episodes pre-sampled and physics-checked per policy"
    )
    REPLICATOR_MAX_DISTRACTORS: int = Field(
        default=3, ge=0, le=32, description="distractor slots (most distractors per episode)"
    )
    REPLICATOR_PER_FRAME: str = Field(
        default="", description=f"comma-separated randomizers drawn per frame: {FRAME_RANDOMIZERS}"
    )
    REPLICATOR_CAMERA_JITTER_M: float = Field(
        default=0.02, ge=0, le=0.5, description="camera position jitter per axis, metres"
    )
    REPLICATOR_CAMERA_JITTER_DEG: float = Field(
        default=2.0, ge=0, le=30, description="camera rotation jitter, degrees"
    )
    REPLICATOR_MIN_REGION_AREA_M2: float = Field(
        default=0.01, gt=0, description="smallest placement region kept"
    )
    REPLICATOR_MIN_CLEARANCE_M: float = Field(
        default=0.05, gt=0, description="geometry lower than this above a surface blocks it"
    )
    ROBOT: RobotType = Field(
        default=DEFAULT_ROBOT.robot_type,
        description="the arm whose reach bounds the workspace regions (tools/robots): "
        "franka_panda or xarm6; episodes with another ROBOT keep only layouts in their own reach",
    )
    REPLICATOR_LLM: Literal["auto", "off", "gemini", "openai"] = Field(
        default="auto", description="LLM suggestions: auto = whichever key is configured"
    )
    REPLICATOR_LLM_MODEL: str | None = Field(default=None, description="model name override")
    REPLICATOR_LLM_TIMEOUT_S: float = Field(
        default=30.0, gt=0, le=300, description="per-attempt timeout of an LLM call"
    )

    @field_validator("REPLICATOR_PER_FRAME")
    @classmethod
    def _known_randomizers(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = sorted(set(names) - set(FRAME_RANDOMIZERS))
        if unknown:
            raise ValueError(f"unknown randomizers {unknown}; choose from {FRAME_RANDOMIZERS}")
        return ",".join(names)

    @property
    def per_frame(self) -> frozenset[str]:
        """The randomizers drawn per frame."""
        return frozenset(n for n in self.REPLICATOR_PER_FRAME.split(",") if n)
