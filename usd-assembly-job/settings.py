"""Configuration of the usd assembly job (environment variables, validated at start-up)."""

from __future__ import annotations

from pydantic import Field

from tools.config import JobSettings


class UsdAssemblySettings(JobSettings):
    """Variables of the usd job, on top of the shared ones (SCENE_ID, SCENE_DIR/BUCKET, ...)."""

    RENDER_PREVIEW: bool = Field(
        default=True, description="render reports/scene_preview.png (needs EGL or OSMesa)"
    )
    PREVIEW_MAX_SIDE: int = Field(
        default=640, ge=32, le=4096, description="longest side of the preview in pixels"
    )
    SIM_TIMESTEP: float = Field(
        default=0.002, gt=0, le=0.01, description="MuJoCo step of the settle test, seconds"
    )
    SETTLE_SECONDS: float = Field(
        default=2.0, gt=0, le=30, description="simulated time of the settle test"
    )
    SETTLE_MAX_TRANSLATION_M: float = Field(
        default=0.01, gt=0, description="largest displacement of a free object while settling"
    )
    SETTLE_MAX_ROTATION_DEG: float = Field(
        default=5.0, gt=0, description="largest rotation of a free object while settling"
    )
    SETTLE_MAX_PENETRATION_M: float = Field(
        default=0.005, gt=0, description="deepest contact penetration allowed at any step"
    )
    SETTLE_POSES: bool = Field(
        default=True,
        description="simulate free objects to rest before writing the scene; use those poses",
    )
    SETTLE_POSES_MAX_MOVE_M: float = Field(
        default=0.05, gt=0, description="settling moves an object at most this far, else reports it"
    )
    SETTLE_POSES_MAX_TURN_DEG: float = Field(
        default=45.0, gt=0, le=180, description="settling turns an object at most this much"
    )
    SETTLE_POSES_MAX_SECONDS: float = Field(
        default=5.0, gt=0, le=60, description="simulated time cap of the settling"
    )
