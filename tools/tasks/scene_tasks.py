"""`replicator/scene_tasks.json`: the scene's supports and candidate tasks, decided once.

The replicator step writes it from the settled stage (the first step that reads the scene at
rest); the episodes step and the Genie Sim export read it and keep the candidates their own
robot can do (`tools.tasks.feasibility`). Candidates are robot-independent: which object goes
on or in which, measured on upright boxes; gripper width and reach are each consumer's filter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.errors import InputError, ManifestError
from tools.scene_layout import SCENE_TASKS_PATH
from tools.scene_manifest import SceneManifest
from tools.scene_manifest.loader import format_validation_errors
from tools.storage import LocalStorage, Storage
from tools.tasks.geometry import ObjectBox
from tools.tasks.skills import PlaceSkill
from tools.tasks.surfaces import GoalSurface

# 1.1: each candidate's skill and height change; 1.2: goal surfaces of every piece of
# furniture (tops and shelf boards), named by surface candidates.
SCHEMA_VERSION: Literal["1.2"] = "1.2"
SCHEMA_FILE = Path(__file__).with_name("scene_tasks.schema.json")  # `python -m` this module
Vec3 = tuple[float, float, float]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BoxRecord(_Frozen):
    """An object's upright box at rest (`tools.tasks.geometry.ObjectBox`)."""

    centre: Vec3 = Field(description="box centre in the world, metres")
    half_extents: Vec3 = Field(description="half sizes along the box's x, y and world z")
    yaw: float = Field(description="heading of the box's x axis about world z, radians")

    @model_validator(mode="after")
    def _non_negative(self) -> BoxRecord:
        if min(self.half_extents) < 0:
            raise ValueError("half_extents must be >= 0")
        return self

    def box(self, object_id: str) -> ObjectBox:
        """As the tasks' `ObjectBox`."""
        return ObjectBox(object_id, self.centre, self.half_extents, self.yaw)

    @classmethod
    def of(cls, box: ObjectBox) -> BoxRecord:
        """From an `ObjectBox`."""
        return cls(centre=box.centre, half_extents=box.half_extents, yaw=box.yaw)


class SurfaceRecord(_Frozen):
    """A goal surface: a free horizontal face of furniture (`tools.tasks.surfaces`)."""

    object_id: str = Field(description="the furniture")
    box: BoxRecord = Field(description="the face's footprint; centre z is its height")
    headroom_m: float | None = Field(
        ge=0, description="free height above it up to the next board (None: open above)"
    )
    obstacles: tuple[BoxRecord, ...] = Field(
        default=(), description="the furniture's parts rising through it (posts)"
    )

    def surface(self, surface_id: str) -> GoalSurface:
        """As the tasks' `GoalSurface`."""
        return GoalSurface(
            surface_id,
            self.object_id,
            self.box.box(self.object_id),
            self.headroom_m,
            tuple(o.box(self.object_id) for o in self.obstacles),
        )

    @classmethod
    def of(cls, surface: GoalSurface) -> SurfaceRecord:
        """From a `GoalSurface`."""
        return cls(
            object_id=surface.object_id,
            box=BoxRecord.of(surface.box),
            headroom_m=surface.headroom,
            obstacles=tuple(BoxRecord.of(o) for o in surface.obstacles),
        )


class TaskCandidate(_Frozen):
    """One robot-independent pick-and-place candidate: `target_id` on or in `goal_id`.

    `goal` is "object" (the goal's footprint) or "surface": a free square of a goal surface of
    the furniture `goal_id` (`surface_id`: its top or one of its shelf boards) on the left or
    right of the robot, found by each consumer for its own robot's station and goal band
    (`tools.tasks.feasibility`).
    """

    task_id: str = Field(description="`<target>-to-<goal>`; surface goals add `-<side>` later")
    target_id: str = Field(description="the object to pick")
    support_id: str | None = Field(description="what the target rests on (None: the floor)")
    goal_id: str = Field(description="the object it goes on or in (the work surface)")
    goal: Literal["object", "surface"] = Field(description="a goal object or surface squares")
    relation: Literal["on", "in"] = Field(description='"in" a container, else "on"')
    skill: PlaceSkill = Field(
        description="what the task asks (tools.tasks.skills.PLACE_SKILLS); it picks the judge"
    )
    height_change_m: float = Field(
        description="the goal surface's height minus the surface the target starts on, metres"
    )
    surface_id: str | None = Field(
        default=None, description='the goal surface (`surfaces` key) of a "surface" goal'
    )


class SceneTasks(_Frozen):
    """The written contract: boxes at rest, supports, container facts and candidates."""

    schema_version: Literal["1.2"] = Field(
        description="contract version (older files: rerun the replicator step)"
    )
    scene_id: str = Field(min_length=1, description="the scene")
    generator: str = Field(description="the step that wrote it")
    boxes: dict[str, BoxRecord] = Field(description="object id -> its box at rest")
    supports: dict[str, str | None] = Field(
        description="object id -> the object it rests on (None: the floor or nothing)"
    )
    closed_containers: tuple[str, ...] = Field(
        default=(), description="containers by name whose top is closed (a tissue box): flat"
    )
    rim_objects: tuple[str, ...] = Field(
        default=(), description="objects with a pinchable rim light enough to carry by it"
    )
    surfaces: dict[str, SurfaceRecord] = Field(
        default_factory=dict, description="surface id -> a goal surface of the furniture"
    )
    candidates: tuple[TaskCandidate, ...] = Field(description="every candidate, stable order")

    @model_validator(mode="after")
    def _known_objects(self) -> SceneTasks:
        problems = [f"supports.{k}: unknown object" for k in self.supports if k not in self.boxes]
        problems += [
            f"supports.{k}: support {v} has no box"
            for k, v in self.supports.items()
            if v is not None and v not in self.boxes
        ]
        for i, c in enumerate(self.candidates):
            problems += [
                f"candidates.{i}.{name}: {value} has no box"
                for name, value in (("target_id", c.target_id), ("goal_id", c.goal_id))
                if value not in self.boxes
            ]
            record = self.surfaces.get(c.surface_id or "")
            if c.goal == "surface" and (record is None or record.object_id != c.goal_id):
                problems.append(
                    f"candidates.{i}.surface_id: {c.surface_id} is not a surface of {c.goal_id}"
                )
            if c.goal == "object" and c.surface_id is not None:
                problems.append(f"candidates.{i}.surface_id: an object goal names no surface")
        problems += [
            f"surfaces.{k}.object_id: {v.object_id} has no box"
            for k, v in self.surfaces.items()
            if v.object_id not in self.boxes
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def object_boxes(self) -> dict[str, ObjectBox]:
        """Every box as an `ObjectBox`, by id."""
        return {oid: record.box(oid) for oid, record in self.boxes.items()}

    def goal_surfaces(self) -> dict[str, GoalSurface]:
        """Every goal surface as a `GoalSurface`, by surface id."""
        return {sid: record.surface(sid) for sid, record in self.surfaces.items()}


def parse_scene_tasks(data: Any, source: str = SCENE_TASKS_PATH) -> SceneTasks:
    """Validate a decoded contract; raises `ManifestError` naming every offending field."""
    try:
        return SceneTasks.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(source, format_validation_errors(exc)) from None


def load_scene_tasks(scene: Path | Storage, manifest: SceneManifest) -> SceneTasks:
    """Read and validate `replicator/scene_tasks.json` against the scene's manifest.

    Args:
        scene: the scene folder or storage.
        manifest: the scene contract it was written from.

    Raises:
        InputError: missing or not JSON.
        ManifestError: it breaks the contract or names objects or a scene the manifest does
            not have (written before the manifest changed: rerun the replicator).
    """
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    if not storage.exists(SCENE_TASKS_PATH):
        raise InputError(SCENE_TASKS_PATH, "missing (did the replicator step run?)")
    try:
        data = json.loads(storage.read_bytes(SCENE_TASKS_PATH))
    except json.JSONDecodeError as exc:
        raise InputError(SCENE_TASKS_PATH, f"not valid JSON (line {exc.lineno})") from None
    tasks = parse_scene_tasks(data)
    known = {o.id for o in manifest.objects}
    problems = [
        f"boxes.{oid}: not an object of the manifest" for oid in tasks.boxes if oid not in known
    ]
    if tasks.scene_id != manifest.scene_id:
        problems.insert(0, f"scene_id: {tasks.scene_id} is not the manifest's {manifest.scene_id}")
    if problems:
        raise ManifestError(SCENE_TASKS_PATH, [*problems, "rerun the replicator step"])
    return tasks


def save_scene_tasks(scene: Path | Storage, tasks: SceneTasks) -> None:
    """Write the contract the same way every time (sorted keys, 2-space indent)."""
    storage = LocalStorage(scene) if isinstance(scene, Path) else scene
    payload = json.dumps(tasks.model_dump(mode="json"), indent=2, sort_keys=True)
    storage.write_bytes(SCENE_TASKS_PATH, payload.encode() + b"\n")


def scene_tasks_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) generated from `SceneTasks`."""
    schema = SceneTasks.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://blueprintpipeline.dev/schemas/scene_tasks.schema.json"
    return schema


def render_schema() -> str:
    """The committed schema file's exact text (`tools/tasks/scene_tasks.schema.json`)."""
    return json.dumps(scene_tasks_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_schema())
