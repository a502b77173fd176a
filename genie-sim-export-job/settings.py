"""Configuration of the Genie Sim export job (environment variables, validated at start-up)."""

from __future__ import annotations

from pydantic import Field, field_validator

from tools.config import JobSettings
from tools.geniesim_format import DEFAULT_ROBOT, genie_sim_robot
from tools.tasks.settings import TaskSettings


class GenieSimExportSettings(JobSettings, TaskSettings):
    """Variables of the export job, on top of the shared ones (SCENE_ID, SEED, MAX_TASKS...)."""

    GENIESIM_ROBOT: str = Field(
        default=DEFAULT_ROBOT, description="Genie Sim robot of the task configs: G1 or G2"
    )
    GENIESIM_EPISODES_PER_TASK: int = Field(
        default=10, ge=1, le=10_000, description="recording_setting.num_of_episode of each task"
    )

    @field_validator("GENIESIM_ROBOT")
    @classmethod
    def _supported_robot(cls, value: str) -> str:
        genie_sim_robot(value)  # raises with the list of supported robots
        return value
