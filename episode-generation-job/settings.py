"""Configuration of the episode job (environment variables, validated at start-up)."""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field, field_validator, model_validator

from episode_generation_job.cameras import CameraSpec, parse_cameras
from episode_generation_job.local_workers import auto_workers
from tools.config import JobSettings
from tools.robots import DEFAULT_ROBOT, FRANKA_PANDA, RobotType
from tools.tasks.settings import TaskSettings


class EpisodeSettings(JobSettings, TaskSettings):
    """Variables of the episode job, on top of the shared ones (SCENE_ID, SEED, PRODUCTION_MODE)."""

    NUM_EPISODES: int = Field(
        default=12, ge=1, le=100_000, description="successful episodes wanted (one per slot)"
    )
    MAX_ATTEMPTS: int = Field(
        default=3, ge=1, le=20, description="attempts per episode slot before it is given up"
    )
    MIN_SUCCESS_RATE: float = Field(
        default=0.5, ge=0.0, le=1.0, description="below this share of successful attempts: fail"
    )
    BACKEND: Literal["mujoco", "isaacsim"] | None = Field(
        default=None, description="physics engine; default mujoco, isaacsim in production"
    )
    ROBOT: RobotType = Field(
        default=DEFAULT_ROBOT.robot_type,
        description="the arm that runs the episodes: franka_panda or xarm6 (tools/robots)",
    )
    ARTICULATED_TASKS: bool = Field(
        default=False,
        description="also open and close the scene's doors and drawers (tasks from the "
        "manifest's articulation; Franka Panda on mujoco only)",
    )
    WORKERS: int = Field(
        default=0,
        ge=0,
        le=64,
        description="local parallel shard processes; auto (the default, also 0): the CPUs this "
        "process may use, at most one per 4 episodes and per 2 GiB of free memory, and 1 on "
        "Cloud Run, with a BUCKET or on isaacsim (see local_workers.py); the output is the "
        "same whatever the count",
    )
    CAMERAS: str = Field(
        default="scene,wrist",
        description="cameras recorded: scene, wrist, both, empty for none (RGB at "
        "CAMERA_WIDTH x CAMERA_HEIGHT), or a JSON list of {name, mount: scene|wrist, width, "
        "height, modalities: [rgb, depth, segmentation]} (see cameras.py)",
    )
    CAMERA_WIDTH: int = Field(default=128, ge=16, le=1920, multiple_of=2, description="pixels")
    CAMERA_HEIGHT: int = Field(default=128, ge=16, le=1080, multiple_of=2, description="pixels")
    VIDEO_CODEC: Literal["libsvtav1", "h264"] = Field(
        default="h264", description="video codec (AV1 is LeRobot's default, H.264 is faster)"
    )
    CHECKPOINT_EVERY: int = Field(
        default=10, ge=1, le=10, description="publish a part dataset every N successful episodes"
    )
    PREVIEW_EPISODES: int = Field(
        default=3, ge=0, le=20, description="episodes in reports/episodes_preview.mp4 (0: none)"
    )
    RANDOMIZATION: Literal["bundle", "none"] = Field(
        default="bundle",
        description="bundle: the replicator bundle's randomizers per episode (needs "
        "replicator/configs/<POLICY>.json); none: small pose and home jitter only",
    )
    POLICY: str = Field(
        default="pick_and_place",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the bundle policy whose randomizers are applied (RANDOMIZATION=bundle)",
    )
    LLM_PHRASING: bool = Field(
        default=False, description="phrase instructions with tools.llm_client when available"
    )
    SLOT_ASSIGNMENT: Literal["round_robin", "claim"] = Field(
        default="round_robin",
        description="how shards split the episode slots: round_robin (fixed; Cloud Run "
        "tasks) or claim (first come, through files in the shared local scene folder; the "
        "job sets it for its local workers)",
    )
    CLOUD_RUN_TASK_INDEX: int = Field(default=0, ge=0, description="set by Cloud Run: this task")
    CLOUD_RUN_TASK_COUNT: int = Field(default=1, ge=1, description="set by Cloud Run: tasks")

    @field_validator("WORKERS", mode="before")
    @classmethod
    def _auto_is_zero(cls, value: object) -> object:
        return 0 if isinstance(value, str) and value.strip().lower() == "auto" else value

    @field_validator("CAMERAS")
    @classmethod
    def _camera_list(cls, value: str) -> str:
        parse_cameras(value, 128, 128)  # raises one line naming the camera and its field
        return value

    @model_validator(mode="after")
    def _task_in_range(self) -> EpisodeSettings:
        backend = self.BACKEND or ("isaacsim" if self.PRODUCTION_MODE else "mujoco")
        if backend == "isaacsim" and self.ROBOT not in (FRANKA_PANDA.robot_type,):
            raise ValueError(
                f"ROBOT={self.ROBOT} runs on the mujoco backend only (Isaac Sim loads its Franka)"
            )
        if backend == "isaacsim" and any(
            spec.modalities != ("rgb",)
            or (spec.width, spec.height) != (self.CAMERA_WIDTH, self.CAMERA_HEIGHT)
            for spec in self.camera_specs
        ):
            raise ValueError(
                "CAMERAS: depth, segmentation and per-camera sizes need BACKEND=mujoco"
            )
        if self.ARTICULATED_TASKS and (
            backend != "mujoco" or FRANKA_PANDA.robot_type != self.ROBOT
        ):
            raise ValueError(
                "ARTICULATED_TASKS needs ROBOT=franka_panda and BACKEND=mujoco (the open/close "
                "motion is planned for the Panda on MuJoCo)"
            )
        if self.CLOUD_RUN_TASK_INDEX >= self.CLOUD_RUN_TASK_COUNT:
            raise ValueError("CLOUD_RUN_TASK_INDEX must be < CLOUD_RUN_TASK_COUNT")
        if self.CLOUD_RUN_TASK_COUNT > 1 and self.WORKERS > 1:
            raise ValueError("set WORKERS=1 on Cloud Run: tasks are the workers there")
        if self.SLOT_ASSIGNMENT == "claim" and self.BUCKET is not None:
            raise ValueError(
                "SLOT_ASSIGNMENT=claim needs a scene folder the shards share (SCENE_DIR), "
                "not a bucket"
            )
        return self

    @functools.cached_property
    def worker_count(self) -> int:
        """Local shard processes: WORKERS, or for auto (0) `local_workers.auto_workers`,
        resolved once (the free memory it reads changes)."""
        if self.WORKERS:
            return self.WORKERS
        backend = self.BACKEND or ("isaacsim" if self.PRODUCTION_MODE else "mujoco")
        tasks_are_workers = (
            self.CLOUD_RUN_TASK_COUNT > 1
            or self.BUCKET is not None
            or self.SLOT_ASSIGNMENT == "claim"
            or backend == "isaacsim"
        )
        return auto_workers(self.NUM_EPISODES, single=tasks_are_workers)

    @property
    def camera_specs(self) -> tuple[CameraSpec, ...]:
        """Cameras to record (mount, size, modalities), in the order given."""
        return parse_cameras(self.CAMERAS, self.CAMERA_WIDTH, self.CAMERA_HEIGHT)

    @property
    def camera_names(self) -> tuple[str, ...]:
        """Cameras to record, in a stable order."""
        return tuple(spec.name for spec in self.camera_specs)
