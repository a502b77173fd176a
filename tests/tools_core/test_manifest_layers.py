"""Manifest layers: each step writes its own file once; one loader merges and validates them."""

import hashlib
import json
from pathlib import Path

import pytest

from tools.errors import InputError, ManifestError
from tools.run_local_pipeline import run_pipeline
from tools.scene_layout import MANIFEST_PATH, SIMREADY_LAYER_PATH, USD_LAYER_PATH
from tools.scene_manifest import Physics, SceneManifest, parse_manifest, save_manifest
from tools.scene_manifest.__main__ import main as manifest_main
from tools.scene_manifest.loader import load_manifest, manifest_sha256, manifest_to_json, save_layer
from tools.testing import sample_manifest_dict, scratch_step

_PHYSICS = Physics(
    mass_kg=0.3,
    static_friction=0.6,
    dynamic_friction=0.5,
    restitution=0.1,
    center_of_mass=(0.0, 0.0, 0.05),
    inertia_diagonal=(1e-4, 1e-4, 1e-4),
)


def _simready_result(manifest: SceneManifest) -> SceneManifest:
    """What simready does to the sample: physics and hulls on the table, the mug dropped."""
    data = manifest.model_dump(mode="json")
    table = next(o for o in data["objects"] if o["id"] == "table_1")
    table["physics"] = _PHYSICS.model_dump(mode="json")
    table["asset"]["collision_paths"] = ["assets/table_1/hull_000.obj"]
    table["provenance"]["notes"] = ["simready: priors"]
    data["objects"] = [table]
    data["provenance"]["dropped_objects"] = {"coffee_mug__(30, 40)": "simready: degenerate"}
    data["provenance"]["tool_versions"] = {"simready.decomposer": "coacd-1.0"}
    return parse_manifest(data)


def _usd_result(manifest: SceneManifest) -> SceneManifest:
    table = manifest.objects[0]
    settled = table.transform.model_copy(update={"position": (0.0, 0.0, 0.001)})
    asset = table.asset.model_copy(update={"usd_path": "assets/table_1/table_1.usda"})
    return manifest.model_copy(
        update={"objects": (table.model_copy(update={"transform": settled, "asset": asset}),)}
    )


@pytest.fixture
def layered_scene(tmp_path: Path) -> Path:
    """The ingest's manifest, simready's layer over it, usd's layer over both."""
    base = parse_manifest(sample_manifest_dict())
    save_manifest(tmp_path, base)
    save_layer(tmp_path, "simready", base, _simready_result(base))
    ready = load_manifest(tmp_path)
    save_layer(tmp_path, "usd", ready, _usd_result(ready))
    return tmp_path


def test_each_step_writes_only_its_own_file(layered_scene: Path):
    """The ingest's file stays as written; the merged manifest is what the steps produced."""
    base = parse_manifest(sample_manifest_dict())
    assert (layered_scene / MANIFEST_PATH).read_bytes() == manifest_to_json(base)
    merged = load_manifest(layered_scene)
    assert merged == _usd_result(_simready_result(base))
    simready = json.loads((layered_scene / SIMREADY_LAYER_PATH).read_text())
    assert simready["removed"] == ["mug_1"]
    assert set(simready["objects"]["table_1"]) == {"physics", "collision_paths", "notes"}
    usd = json.loads((layered_scene / USD_LAYER_PATH).read_text())
    assert set(usd["objects"]["table_1"]) == {"transform", "usd_path"}
    assert manifest_sha256(layered_scene) == _digest(merged)


def _digest(manifest: SceneManifest) -> str:
    return hashlib.sha256(manifest_to_json(manifest)).hexdigest()


def test_a_step_reads_only_the_layers_before_it(layered_scene: Path):
    """A rerun of simready sees the ingest's manifest, never its own or usd's old layer."""
    assert load_manifest(layered_scene, before="simready") == parse_manifest(sample_manifest_dict())
    assert load_manifest(layered_scene, before="usd") == load_manifest(
        layered_scene, through="simready"
    )
    with pytest.raises(ValueError, match="step episodes writes no manifest layer"):
        load_manifest(layered_scene, before="episodes")


def test_a_layer_whose_input_changed_is_stale(layered_scene: Path):
    """Simready rerun with another result: usd's layer is refused, naming the step to rerun."""
    base = load_manifest(layered_scene, before="simready")
    other = _simready_result(base)
    other = other.model_copy(
        update={
            "objects": (
                other.objects[0].model_copy(
                    update={"physics": _PHYSICS.model_copy(update={"mass_kg": 0.4})}
                ),
            )
        }
    )
    save_layer(layered_scene, "simready", base, other)
    assert (
        load_manifest(layered_scene, through="simready").objects[0].physics
        == other.objects[0].physics
    )
    with pytest.raises(InputError) as info:
        load_manifest(layered_scene)
    assert info.value.source == USD_LAYER_PATH
    assert "stale" in str(info.value) and "rerun step usd" in str(info.value)


def test_same_result_keeps_later_layers_valid(layered_scene: Path):
    """A deterministic rerun writes the same bytes, so usd's layer still holds."""
    before = (layered_scene / SIMREADY_LAYER_PATH).read_bytes()
    base = load_manifest(layered_scene, before="simready")
    save_layer(layered_scene, "simready", base, _simready_result(base))
    assert (layered_scene / SIMREADY_LAYER_PATH).read_bytes() == before
    assert load_manifest(layered_scene).objects[0].asset.usd_path == "assets/table_1/table_1.usda"


def test_a_rewritten_manifest_without_layers_still_loads(tmp_path: Path):
    """An older scene (simready and usd rewrote the one file) loads as it is."""
    base = parse_manifest(sample_manifest_dict())
    rewritten = _usd_result(_simready_result(base))
    save_manifest(tmp_path, rewritten)
    assert load_manifest(tmp_path) == rewritten


def test_a_cleared_field_is_kept_as_null(tmp_path: Path):
    """A layer can set a field back to null (e.g. an articulation a rerun no longer finds)."""
    base = _simready_result(parse_manifest(sample_manifest_dict()))
    save_manifest(tmp_path, base)
    cleared = base.model_copy(
        update={"objects": (base.objects[0].model_copy(update={"physics": None}),)}
    )
    save_layer(tmp_path, "simready", base, cleared)
    layer = json.loads((tmp_path / SIMREADY_LAYER_PATH).read_text())
    assert layer["objects"] == {"table_1": {"physics": None}}
    assert load_manifest(tmp_path).objects[0].physics is None


def test_a_change_a_layer_cannot_hold_is_refused(tmp_path: Path):
    """A step may not rename the scene or move the robot: that is the ingest's file."""
    base = parse_manifest(sample_manifest_dict())
    save_manifest(tmp_path, base)
    renamed = base.model_copy(update={"scene_id": "other"})
    with pytest.raises(ValueError, match="step simready changed manifest fields"):
        save_layer(tmp_path, "simready", base, renamed)
    with pytest.raises(ValueError, match="step replicator writes no manifest layer"):
        save_layer(tmp_path, "replicator", base, base)
    assert not (tmp_path / SIMREADY_LAYER_PATH).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "not valid JSON"),
        ('{"step": "simready"}', "based_on_sha256: Field required"),
    ],
)
def test_a_bad_layer_names_its_file_and_field(tmp_path: Path, content: str, expected: str):
    save_manifest(tmp_path, parse_manifest(sample_manifest_dict()))
    (tmp_path / SIMREADY_LAYER_PATH).write_text(content)
    with pytest.raises(InputError) as info:
        load_manifest(tmp_path)
    assert info.value.source == SIMREADY_LAYER_PATH and expected in str(info.value)


def test_a_merge_that_breaks_the_contract_is_refused(tmp_path: Path):
    """A layer keeping a relationship to an object it removed fails validation, by file."""
    base = parse_manifest(sample_manifest_dict())
    save_manifest(tmp_path, base)
    layer = {
        "layer_version": "1.0.0",
        "step": "simready",
        "based_on_sha256": _digest(base),
        "removed": ["table_1"],
    }
    (tmp_path / SIMREADY_LAYER_PATH).write_text(json.dumps(layer))
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert info.value.source == SIMREADY_LAYER_PATH
    assert "relationship target table_1 unknown" in str(info.value)


def test_the_merged_manifest_prints_from_the_command_line(layered_scene: Path, capsys):
    """`python -m tools.scene_manifest SCENE_DIR` prints what every reader sees."""
    assert manifest_main([str(layered_scene)]) == 0
    assert capsys.readouterr().out.encode() == manifest_to_json(load_manifest(layered_scene))
    (layered_scene / USD_LAYER_PATH).write_text("{")
    assert manifest_main([str(layered_scene)]) == 2
    assert capsys.readouterr().err.startswith("error: usd/scene_state.json: not valid JSON")
    assert manifest_main([]) == 2


def test_a_simready_rerun_after_usd_makes_the_runner_rerun_usd(tmp_path: Path):
    """Resume: simready forced again with another result leaves usd's layer stale (refused, not
    merged); the next run reruns usd, whose dependency completed again, and all loads."""
    knob = tmp_path / "mass.txt"
    knob.write_text("0.3")

    def ingest(ctx):
        save_manifest(ctx.scene_dir, parse_manifest(sample_manifest_dict()))

    def simready(ctx):
        before = load_manifest(ctx.scene_dir, before="simready")
        physics = _PHYSICS.model_copy(update={"mass_kg": float(knob.read_text())})
        table = before.objects[0].model_copy(update={"physics": physics})
        after = before.model_copy(update={"objects": (table, *before.objects[1:])})
        save_layer(ctx.scene_dir, "simready", before, after)

    def usd(ctx):
        before = load_manifest(ctx.scene_dir, before="usd")
        table = before.objects[0]
        asset = table.asset.model_copy(update={"usd_path": "assets/table_1/table_1.usda"})
        after = before.model_copy(
            update={"objects": (table.model_copy(update={"asset": asset}), *before.objects[1:])}
        )
        save_layer(ctx.scene_dir, "usd", before, after)

    specs = {
        "regen3d": scratch_step("regen3d", ingest, inputs=("in.txt",), outputs=("assets/",)),
        "simready": scratch_step("simready", simready, depends_on=("regen3d",)),
        "usd": scratch_step("usd", usd, depends_on=("simready",), outputs=("usd/",)),
    }
    (tmp_path / "in.txt").write_text("x")
    assert run_pipeline(tmp_path, specs=specs)["ok"]
    knob.write_text("0.4")
    run_pipeline(tmp_path, steps=["simready"], force=True, specs=specs)
    with pytest.raises(InputError, match="rerun step usd"):
        load_manifest(tmp_path)
    summary = run_pipeline(tmp_path, specs=specs)
    assert summary["steps"]["usd"]["status"] == "completed", summary
    table = load_manifest(tmp_path).objects[0]
    assert table.physics is not None and table.physics.mass_kg == 0.4
    assert table.asset.usd_path == "assets/table_1/table_1.usda"
