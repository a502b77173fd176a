"""Configuration of the simready job (environment variables, validated at start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from simready_job.convex_pieces import ENGINE_MAX_HULL_VERTICES
from tools.config import JobSettings
from tools.llm_client import check_base_url


class SimreadySettings(JobSettings):
    """Variables of the simready job, on top of the shared ones (SCENE_ID, SCENE_DIR/BUCKET...)."""

    SIMREADY_CACHE_DIR: Path | None = Field(
        default=None,
        description="hull and object-geometry cache; default ~/.cache/blueprint-pipeline/hulls",
    )
    SIMREADY_WORKERS: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="processes computing uncached hulls; default the CPUs available",
    )
    SIMREADY_MAX_HULLS: int = Field(default=16, ge=1, le=64, description="hulls per object")
    SIMREADY_MAX_HULL_VERTICES: int = Field(
        default=64, ge=8, le=ENGINE_MAX_HULL_VERTICES, description="vertices per hull"
    )
    SIMREADY_CONVEX_RATIO: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="mesh/hull volume ratio from which one hull replaces decomposition",
    )
    SIMREADY_CONCAVITY: float = Field(
        default=0.08, gt=0, le=1, description="CoACD concavity threshold (smaller: more hulls)"
    )
    SIMREADY_ROOM_SLAB_M: float = Field(
        default=0.1, gt=0, le=1, description="thickness of the room's floor/wall slabs"
    )
    SIMREADY_MIN_SUCCESS_RATE: float = Field(
        default=0.5, ge=0, le=1, description="fail the step below this share of good objects"
    )
    SIMREADY_LLM: Literal["auto", "off", "gemini", "openai"] = Field(
        default="auto", description="LLM physics estimate: auto = whichever key is configured"
    )
    SIMREADY_LLM_MODEL: str | None = Field(
        default=None,
        pattern=r"^(models/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="model name override",
    )
    SIMREADY_LLM_BASE_URL: str | None = Field(
        default=None, description="API root override (https; http only to loopback)"
    )
    SIMREADY_LLM_TIMEOUT_S: float = Field(
        default=30.0, gt=0, le=300, description="per-attempt timeout of an LLM call"
    )

    SIMREADY_ARTICULATION: bool = Field(
        default=True, description="infer doors and drawers of furniture (articulated objects)"
    )

    @field_validator("SIMREADY_LLM_BASE_URL")
    @classmethod
    def _safe_base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)
