"""MAX_TASKS: the one task cap, read by every step that keeps tasks of the scene's contract."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings

from tools.config import SETTINGS_RULES

# Kept free of the task modules: the episodes entrypoint reads its settings before Kit starts,
# and those modules reach tools.sim (mujoco, pxr).
DEFAULT_MAX_TASKS = 8  # MAX_TASKS: tasks kept per scene by each consumer


class TaskSettings(BaseSettings):
    """Mixed into the settings of the episodes and Genie Sim export jobs (one variable)."""

    model_config = SETTINGS_RULES
    # Variables an earlier release read, and what replaced them (load_settings refuses them).
    RETIRED_VARIABLES: ClassVar[dict[str, str]] = {"GENIESIM_MAX_TASKS": "MAX_TASKS"}

    MAX_TASKS: int = Field(
        default=DEFAULT_MAX_TASKS,
        ge=1,
        le=64,
        description="tasks kept per scene from replicator/scene_tasks.json (after the robot's "
        "feasibility filter)",
    )
