"""The manifest's articulation block: a valid tree loads, every broken rule names itself."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from tools.scene_manifest import Articulation, parse_manifest
from tools.scene_manifest.schema import manifest_json_schema
from tools.testing import sample_manifest_dict


def articulation_dict() -> dict[str, Any]:
    """A cabinet body with one left-hinged door."""
    part = {"collision_paths": ["assets/c/parts/body_0.obj"], "mass_kg": 20.0}
    return {
        "front": [0.0, -1.0, 0.0],
        "source": "priors",
        "parts": [
            {
                **part,
                "name": "body",
                "kind": "body",
                "mesh_path": "assets/c/parts/body.glb",
                "bounds_min": [-0.3, -0.3, 0.0],
                "bounds_max": [0.3, 0.3, 0.9],
            },
            {
                **part,
                "name": "door_0",
                "kind": "door",
                "mesh_path": "assets/c/parts/door_0.glb",
                "mass_kg": 3.0,
                "bounds_min": [-0.3, -0.32, 0.05],
                "bounds_max": [0.3, -0.3, 0.85],
                "handle": [0.25, -0.34, 0.5],
            },
        ],
        "joints": [
            {
                "name": "door_0_hinge",
                "type": "revolute",
                "parent_part": "body",
                "child_part": "door_0",
                "axis": [0.0, 0.0, -1.0],
                "origin": [-0.3, -0.3, 0.0],
                "lower": 0.0,
                "upper": math.radians(110),
                "damping": 1.0,
                "friction": 0.3,
                "hinge_side": "left",
            }
        ],
    }


def test_valid_articulation_round_trips_in_a_manifest() -> None:
    """A manifest object with parts and joints parses and keeps them."""
    data = sample_manifest_dict()
    data["objects"][0]["articulation"] = articulation_dict()
    manifest = parse_manifest(data)
    art = manifest.objects[0].articulation
    assert art is not None and art.body.name == "body"
    assert art.part("door_0").handle == (0.25, -0.34, 0.5)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda a: a["joints"][0].update(axis=[0.0, 0.0, 2.0]), "unit vector"),
        (lambda a: a["joints"][0].update(lower=1.0, upper=0.5), "lower must be < upper"),
        (lambda a: a["joints"][0].update(upper=4.0), "limits must lie within"),
        (lambda a: a["joints"][0].update(child_part="shelf"), "part shelf unknown"),
        (lambda a: a["joints"][0].update(damping=-1.0), "greater than or equal to 0"),
        (lambda a: a["parts"][1].update(kind="body"), "exactly one part must be the body"),
        (lambda a: a["parts"][1].update(mesh_path="../x.glb"), "must not contain '..'"),
        (lambda a: a["joints"][0].update(type="prismatic"), "has no hinge_side"),
        (lambda a: a.update(front=[0.0, 0.0, 0.0]), "unit vector"),
    ],
)
def test_broken_articulation_is_refused(edit: Any, message: str) -> None:
    """Each broken rule is reported with its own message."""
    data = articulation_dict()
    edit(data)
    with pytest.raises(ValidationError, match=message):
        Articulation.model_validate(data)


def test_old_manifest_versions_still_load() -> None:
    """1.0.0 (no articulation) and 1.1.0 (joints without springs) load; new ones are 1.2.0."""
    data = sample_manifest_dict()
    data["schema_version"] = "1.0.0"
    assert parse_manifest(data).schema_version == "1.0.0"
    data["schema_version"] = "1.1.0"
    data["objects"][0]["articulation"] = articulation_dict()
    joint = parse_manifest(data).objects[0].articulation.joints[0]  # type: ignore[union-attr]
    assert joint.spring is None
    del data["schema_version"]
    assert parse_manifest(data).schema_version == "1.2.0"


def test_joint_spring_round_trips_and_is_checked() -> None:
    """A counterbalance spring keeps its stiffness and rest; a bad one names its rule."""
    data = articulation_dict()
    data["joints"][0]["spring"] = {"stiffness": 12.5, "rest": -0.16}
    spring = Articulation.model_validate(data).joints[0].spring
    assert spring is not None and (spring.stiffness, spring.rest) == (12.5, -0.16)
    for bad, message in (
        ({"stiffness": 0.0, "rest": 0.0}, "greater than 0"),
        ({"stiffness": 1.0, "rest": 7.0}, "spring.rest must lie within"),
        ({"stiffness": 1.0}, "rest"),
    ):
        data["joints"][0]["spring"] = bad
        with pytest.raises(ValidationError, match=message):
            Articulation.model_validate(data)


def test_schema_describes_parts_and_joints() -> None:
    """The generated JSON Schema carries the articulation's parts and joints."""
    defs = manifest_json_schema()["$defs"]
    assert {"ArticulatedPart", "ArticulationJoint", "Articulation", "JointSpring"} <= set(defs)
