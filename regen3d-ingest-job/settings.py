"""Configuration of the regen3d ingest job (environment variables, validated at start-up)."""

from __future__ import annotations

from pydantic import Field, model_validator

from tools.config import JobSettings


class Regen3dIngestSettings(JobSettings):
    """Variables of the ingest job, on top of the shared ones (SCENE_ID, SCENE_DIR/BUCKET, ...)."""

    METRIC_SCALE: float | None = Field(
        default=None, gt=0, le=1000, description="known metres per 3D-RE-GEN unit (skips priors)"
    )
    REFERENCE_OBJECT: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9 _-]{1,64}$",
        description="3D-RE-GEN label of an object whose size is known, e.g. 'table'",
    )
    REFERENCE_DIMENSION_M: float | None = Field(
        default=None, gt=0, le=100, description="that object's known height in metres"
    )

    @model_validator(mode="after")
    def _reference_pair(self) -> Regen3dIngestSettings:
        if (self.REFERENCE_OBJECT is None) != (self.REFERENCE_DIMENSION_M is None):
            raise ValueError("set REFERENCE_OBJECT and REFERENCE_DIMENSION_M together")
        return self
