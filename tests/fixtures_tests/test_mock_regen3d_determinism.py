"""The mock generator is deterministic, validates its arguments and has a working CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.generate_mock_regen3d import main
from fixtures.mock_regen3d import MockSceneError, generate_mock_scene


def _tree(scene_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(scene_dir)): p.read_bytes()
        for p in sorted(scene_dir.rglob("*"))
        if p.is_file()
    }


def test_same_arguments_give_same_bytes(tmp_path: Path) -> None:
    """Generating twice (CLI, then function) with the same arguments writes identical files."""
    args = ["--scene-id", "det", "--environment", "office", "--extra-objects", "6", "--seed", "5"]
    assert main([*args, "--output-dir", str(tmp_path / "a")]) == 0
    generate_mock_scene("det", tmp_path / "b", "office", 6, 5)
    first, second = _tree(tmp_path / "a" / "det"), _tree(tmp_path / "b" / "det")
    assert len(first) > 20
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_seed_changes_the_scene(tmp_path: Path) -> None:
    """Another seed gives another scene."""
    a = generate_mock_scene("s", tmp_path / "a", "kitchen", 0, 1)
    b = generate_mock_scene("s", tmp_path / "b", "kitchen", 0, 2)
    truth_a = json.loads((a / "ground_truth.json").read_text())
    truth_b = json.loads((b / "ground_truth.json").read_text())
    assert truth_a["objects"] != truth_b["objects"]


def test_regenerating_replaces_the_tree(tmp_path: Path) -> None:
    """A second run into the same folder leaves no stale file in regen3d/ but keeps siblings."""
    scene = generate_mock_scene("r", tmp_path, "kitchen", 0, 3)
    stale = scene / "regen3d" / "output" / "glb" / "stale__(1, 1).glb"
    stale.write_bytes(b"old")
    sibling = scene / "assets" / "keep.txt"
    sibling.parent.mkdir()
    sibling.write_text("keep")
    generate_mock_scene("r", tmp_path, "kitchen", 0, 3)
    assert not stale.exists()
    assert sibling.read_text() == "keep"


@pytest.mark.parametrize(
    ("scene_id", "environment", "extra", "field"),
    [
        ("../up", "kitchen", 0, "scene_id"),
        ("", "kitchen", 0, "scene_id"),
        ("ok", "garage", 0, "environment"),
        ("ok", "kitchen", -1, "extra_objects"),
    ],
)
def test_bad_arguments_are_rejected(
    tmp_path: Path, scene_id: str, environment: str, extra: int, field: str
) -> None:
    """Bad arguments raise MockSceneError naming the argument, before anything is written."""
    with pytest.raises(MockSceneError) as info:
        generate_mock_scene(scene_id, tmp_path, environment, extra, 0)
    assert info.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI exits with 2 and a message for a scene id that is not a folder name."""
    assert main(["--scene-id", "a/b", "--output-dir", str(tmp_path)]) == 2
    assert "scene_id" in capsys.readouterr().err
