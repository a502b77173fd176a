"""Configuration of the Genie Sim import job (environment variables, validated at start-up)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tools.config import JobSettings
from tools.geniesim_format.results import DEFAULT_RESULTS_PATH

_RELATIVE_PATH = r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$"  # no leading '/', no backslash


class GenieSimImportSettings(JobSettings):
    """Variables of the import job, on top of the shared ones (SCENE_ID, SCENE_DIR/BUCKET, ...)."""

    GENIESIM_RESULTS: str = Field(
        default=DEFAULT_RESULTS_PATH,
        pattern=_RELATIVE_PATH,
        description="Genie Sim results archive (.tar.gz/.tar/.zip), relative to the scene",
    )
    MIN_SUCCESS_RATE: float = Field(
        default=0.5, ge=0.0, le=1.0, description="below this share of importable episodes: fail"
    )
    VIDEO_CODEC: Literal["libsvtav1", "h264"] = Field(
        default="h264", description="codec of the LeRobot videos (as the episodes job)"
    )
    GENIESIM_MAX_UNPACKED_GB: float = Field(
        default=16.0, gt=0, le=1024, description="refuse archives that expand beyond this"
    )

    @field_validator("GENIESIM_RESULTS")
    @classmethod
    def _inside_scene(cls, value: str) -> str:
        if any(part in ("", ".", "..") for part in value.split("/")):
            raise ValueError("must be a path inside the scene (no '..', '.' or empty parts)")
        return value
