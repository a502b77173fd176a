"""The articulation block of a scene object: its parts (rigid links) and the joints between them.

Every coordinate is in the object's asset frame (Z-up, metres, origin at the bottom centre of
its bounding box), the frame `transform` maps to the world. A joint's `axis` is oriented so that
a positive joint position opens the part: `lower` is the closed position (0) and `upper` the
fully open one (radians for revolute, metres for prismatic). A joint may carry a spring
(`spring`, manifest 1.2.0): a counterbalance for a part its own weight turns (an oven flap).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ARTICULATION_VERSION: Literal["1.0"] = "1.0"
_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_UNIT_TOLERANCE = 1e-6
_MAX_REVOLUTE_RAD = math.pi  # a door never swings past 180 degrees
_MAX_PRISMATIC_M = 2.0

PartName = Annotated[str, Field(pattern=_NAME, description="lower-case a-z, 0-9, _ and -")]
Vec3 = tuple[float, float, float]
PartKind = Literal["body", "door", "drawer"]
HingeSide = Literal["left", "right", "bottom", "top"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _unit(value: Vec3) -> Vec3:
    norm = math.sqrt(sum(c * c for c in value))
    if abs(norm - 1.0) > _UNIT_TOLERANCE:
        raise ValueError(f"must be a unit vector (norm {norm:.6f})")
    return value


def _relative_path(value: str) -> str:
    if not value or value.startswith("/") or "\\" in value or "\x00" in value:
        raise ValueError("must be a relative POSIX path")
    if any(part == ".." for part in value.split("/")):
        raise ValueError("must not contain '..'")
    return value


class ArticulatedPart(_Model):
    """One rigid link: the fixed body (carcass) or a door or drawer, with its own files."""

    name: PartName
    kind: PartKind
    mesh_path: str = Field(description="visual mesh of the part (asset frame), scene-relative")
    collision_paths: tuple[str, ...] = Field(
        min_length=1, description="convex collision meshes of the part (asset frame)"
    )
    mass_kg: float = Field(gt=0)
    bounds_min: Vec3 = Field(description="closed-pose bounding box, asset frame")
    bounds_max: Vec3
    handle: Vec3 | None = Field(default=None, description="grasp point, asset frame (closed)")

    @field_validator("mesh_path")
    @classmethod
    def _safe_mesh_path(cls, value: str) -> str:
        return _relative_path(value)

    @field_validator("collision_paths")
    @classmethod
    def _safe_collision_paths(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            _relative_path(value)
        return values

    @model_validator(mode="after")
    def _ordered_bounds(self) -> ArticulatedPart:
        if any(lo >= hi for lo, hi in zip(self.bounds_min, self.bounds_max, strict=True)):
            raise ValueError(f"part {self.name}: bounds_min must be < bounds_max on every axis")
        return self


class JointSpring(_Model):
    """A joint spring: it pushes with -stiffness * (position - rest) (torque or force)."""

    stiffness: float = Field(gt=0, description="N m/rad (revolute) or N/m (prismatic)")
    rest: float = Field(
        description="position of zero spring force: radians or metres; may lie beyond the limits"
    )


class ArticulationJoint(_Model):
    """A revolute (hinge) or prismatic (slide) joint from a parent part to a child part."""

    name: PartName
    type: Literal["revolute", "prismatic"]
    parent_part: PartName
    child_part: PartName
    axis: Vec3 = Field(description="unit vector, asset frame; positive motion opens")
    origin: Vec3 = Field(description="a point on the joint axis, asset frame")
    lower: float = Field(description="closed position: radians or metres")
    upper: float = Field(description="fully open position: radians or metres")
    damping: float = Field(ge=0, description="N m s/rad (revolute) or N s/m (prismatic)")
    friction: float = Field(ge=0, description="N m (revolute) or N (prismatic) dry friction")
    hinge_side: HingeSide | None = Field(
        default=None, description="revolute only: the hinge's side seen from the front"
    )
    spring: JointSpring | None = Field(
        default=None, description="counterbalance spring (a part its weight turns); None: none"
    )

    @field_validator("axis")
    @classmethod
    def _unit_axis(cls, value: Vec3) -> Vec3:
        return _unit(value)

    @model_validator(mode="after")
    def _limits(self) -> ArticulationJoint:
        if self.lower >= self.upper:
            raise ValueError(f"joint {self.name}: lower must be < upper")
        bound = _MAX_REVOLUTE_RAD if self.type == "revolute" else _MAX_PRISMATIC_M
        if self.lower < -bound or self.upper > bound:
            raise ValueError(f"joint {self.name}: limits must lie within +-{bound:g}")
        if self.parent_part == self.child_part:
            raise ValueError(f"joint {self.name}: parent_part and child_part must differ")
        if self.type == "prismatic" and self.hinge_side is not None:
            raise ValueError(f"joint {self.name}: a prismatic joint has no hinge_side")
        if self.spring is not None and abs(self.spring.rest) > 2 * bound:
            raise ValueError(f"joint {self.name}: spring.rest must lie within +-{2 * bound:g}")
        return self


class Articulation(_Model):
    """Parts and joints of an articulated object (doors, drawers); one part is the fixed body."""

    version: Literal["1.0"] = ARTICULATION_VERSION
    front: Vec3 = Field(description="outward unit normal of the front face, asset frame")
    source: str = Field(
        min_length=1, description="priors | llm:<model> | authored (who decided the parts)"
    )
    parts: tuple[ArticulatedPart, ...] = Field(min_length=2)
    joints: tuple[ArticulationJoint, ...] = Field(min_length=1)

    @field_validator("front")
    @classmethod
    def _unit_front(cls, value: Vec3) -> Vec3:
        return _unit(value)

    @model_validator(mode="after")
    def _tree(self) -> Articulation:
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError("part names must be unique")
        roots = [p.name for p in self.parts if p.kind == "body"]
        if len(roots) != 1:
            raise ValueError(f"exactly one part must be the body; found {len(roots)}")
        known = set(names)
        children = [j.child_part for j in self.joints]
        for joint in self.joints:
            for ref in (joint.parent_part, joint.child_part):
                if ref not in known:
                    raise ValueError(f"joint {joint.name}: part {ref} unknown")
        if roots[0] in children or len(set(children)) != len(children):
            raise ValueError("every moving part has exactly one joint; the body has none")
        if set(children) != known - {roots[0]}:
            raise ValueError("every part except the body must be the child of a joint")
        joint_names = [j.name for j in self.joints]
        if len(set(joint_names)) != len(joint_names):
            raise ValueError("joint names must be unique")
        return self

    def part(self, name: str) -> ArticulatedPart:
        """The part with this name; raises KeyError."""
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(name)

    @property
    def body(self) -> ArticulatedPart:
        """The fixed part every joint hangs from."""
        return next(p for p in self.parts if p.kind == "body")
