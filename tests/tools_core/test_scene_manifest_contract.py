"""Contract tests of the scene manifest: schema in sync, round trip, every bad field named."""

import json
from pathlib import Path

import pytest

from tools.errors import InputError, ManifestError
from tools.scene_manifest import load_manifest, parse_manifest, save_manifest
from tools.scene_manifest.schema import SCHEMA_FILE, render_schema
from tools.testing import sample_manifest_dict


def test_committed_schema_matches_models():
    """The committed JSON Schema is exactly what the models generate (run `make schema`)."""
    assert SCHEMA_FILE.read_text() == render_schema()


def test_round_trip_is_lossless(tmp_path: Path):
    """Saving then loading a manifest gives an equal model and identical bytes."""
    manifest = parse_manifest(sample_manifest_dict())
    save_manifest(tmp_path, manifest)
    first = (tmp_path / "assets/scene_manifest.json").read_bytes()
    again = load_manifest(tmp_path)
    assert again == manifest
    save_manifest(tmp_path, again)
    assert (tmp_path / "assets/scene_manifest.json").read_bytes() == first


def test_every_offending_field_is_named():
    """A manifest with several problems lists each one with its dotted path."""
    data = sample_manifest_dict()
    data["objects"][0]["id"] = "Table 1"  # unsafe id
    data["objects"][1]["transform"]["rotation_wxyz"] = [1.0, 1.0, 0.0, 0.0]  # not normalized
    data["objects"][1]["asset"]["mesh_path"] = "../../etc/passwd"
    data["units"] = {"up_axis": "Y"}
    with pytest.raises(ManifestError) as info:
        parse_manifest(data)
    text = " | ".join(info.value.problems)
    assert "objects.0.id" in text
    assert "objects.1.transform.rotation_wxyz" in text
    assert "objects.1.asset.mesh_path" in text
    assert "units.up_axis" in text
    assert len(info.value.problems) >= 4


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["objects"].append(d["objects"][0]), "unique"),
        (
            lambda d: d["objects"][1]["relationships"].append(
                {"type": "on_top_of", "target": "nope"}
            ),
            "unknown",
        ),
        (lambda d: d["robot"].update(work_surface="missing_table"), "work_surface"),
        (lambda d: d.update(unexpected=1), "unexpected"),
        (lambda d: d["objects"][0]["transform"].update(scale=[1.0, 0.0, 1.0]), "scale"),
        (lambda d: d["room_bounds"].update(min=[0, 0, 0], max=[0, 1, 1]), "room bounds"),
        (lambda d: d.update(schema_version="0.9"), "schema_version"),
    ],
)
def test_contract_rules(mutate, needle):
    """Each contract rule is enforced and its message says which rule."""
    data = sample_manifest_dict()
    mutate(data)
    with pytest.raises(ManifestError) as info:
        parse_manifest(data)
    assert needle in str(info.value)


def test_physics_friction_order_and_nan_refused():
    """dynamic_friction above static_friction and NaN values are contract violations."""
    data = sample_manifest_dict()
    physics = {
        "mass_kg": 0.3,
        "static_friction": 0.4,
        "dynamic_friction": 0.6,
        "restitution": 0.1,
        "center_of_mass": [0.0, 0.0, 0.05],
        "inertia_diagonal": [1e-4, 1e-4, 1e-4],
    }
    data["objects"][1]["physics"] = physics
    with pytest.raises(ManifestError, match="dynamic_friction"):
        parse_manifest(data)
    physics["dynamic_friction"] = 0.3
    physics["mass_kg"] = float("nan")
    with pytest.raises(ManifestError, match="mass_kg"):
        parse_manifest(data)


def test_missing_and_malformed_files_are_input_errors(tmp_path: Path):
    """A missing or non-JSON manifest fails with the file named."""
    with pytest.raises(InputError, match=r"scene_manifest\.json: missing"):
        load_manifest(tmp_path)
    path = tmp_path / "assets/scene_manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_manifest(tmp_path)


def test_schema_rejects_what_models_reject():
    """The generated schema forbids unknown keys like the models do."""
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["additionalProperties"] is False
    assert "objects" in schema["required"]
