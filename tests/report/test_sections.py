"""The report's sections from a scene's files: steps, episodes, provenance and Genie Sim."""

import json
from pathlib import Path

from tests.report.conftest import markers
from tools.report.episodes_section import (
    UNKNOWN_SKILL,
    UNRECORDED_SKILL,
    _rates,
    episodes_view,
)
from tools.report.provenance_section import geniesim, provenance
from tools.report.scene_files import SceneFiles
from tools.report.steps_section import Notice, notices_in, step_rows
from tools.scene_layout import MANIFEST_PATH, USD_LAYER_PATH
from tools.scene_manifest import parse_manifest, save_layer, save_manifest
from tools.storage import LocalStorage
from tools.testing import sample_manifest_dict


def _files(scene_dir: Path) -> SceneFiles:
    return SceneFiles(LocalStorage(scene_dir))


def test_steps_show_status_duration_figures_checks_and_drops(scene_dir: Path):
    """A completed step shows its duration, figures and what it dropped (with the reason); a
    failed one its error and its failed check with the problem."""
    files = _files(scene_dir)
    rows = {
        r.name: r
        for r in step_rows(files.markers(), files.json_dict("reports/validation_report.json"))
    }
    regen = rows["regen3d"]
    assert (regen.status, regen.duration_s, regen.validated) == ("completed", 0.25, True)
    assert ("objects", "4") in regen.figures
    assert all(label != "manifest_path" for label, _ in regen.figures)  # paths are not figures
    assert Notice("dropped", "lamp_1", "no 3D mesh (floor/wall class)") in regen.notices
    usd = rows["usd"]
    assert (usd.status, usd.duration_s, usd.validated) == ("failed", None, False)
    assert usd.error == "usd/scene.usda: physics scene missing"
    assert usd.figures == [("stages_written", "2")]  # what it saved before failing
    assert "prim /World/cup: no mass" in usd.checks[0].detail and "error 2" in usd.checks[0].detail
    # Steps are listed in the order they last finished.
    assert list(rows) == ["regen3d", "usd", "episodes", "geniesim-export", "geniesim-import"]


def test_run_summary_statuses_win(scene_dir: Path):
    """The local run's summary alone knows a step was skipped or blocked; its order is kept."""
    files = _files(scene_dir)
    summary = {"steps": {"geniesim-import": {"status": "skipped"}, "usd": {"status": "blocked"}}}
    rows = step_rows(files.markers(), {}, summary)
    assert [(r.name, r.status) for r in rows[:2]] == [
        ("geniesim-import", "skipped"),
        ("usd", "blocked"),
    ]
    assert rows[0].duration_s == 0.5  # the earlier run's, shown as such
    assert rows[1].error is None and rows[1].validated is None


def test_notices_are_found_at_any_depth():
    """Warnings, drops and quarantines nested in a result are each one notice with a reason."""
    result = {
        "settling": {"warnings": ["cup tilted 7 deg"]},
        "quarantined": {"ep_3": ["no frames", "task failed"]},
        "given_up": ["ep-000004"],
        "dropped": {},
        "disturbed": [{"object_id": "bowl", "reason": "fell over"}],
    }
    found = notices_in(result)
    assert Notice("warning", "", "cup tilted 7 deg") in found
    assert Notice("quarantined", "ep_3", "no frames; task failed") in found
    assert Notice("given up", "", "ep-000004") in found
    assert len(found) == 3
    assert notices_in({"warnings": [{"object_id": "cup", "reason": "tilted"}]}) == [
        Notice("warning", "cup", "tilted")
    ]


def test_episode_success_per_task_and_skill(scene_dir: Path):
    """Successes come from the episodes table, failed attempts join their slot's task and
    skill (the table's `skill`: place_on, place_at_height, ...)."""
    files = _files(scene_dir)
    view = episodes_view(files, files.json_dict("reports/episodes_summary.json"))
    assert view is not None
    per_task = {r.label: (r.succeeded, r.attempts) for r in view.per_task}
    assert per_task == {
        "put the cup on the plate (cup-to-plate)": (2, 3),
        "put the plate on the table (plate-to-table)": (1, 2),
    }
    per_skill = {r.label: (r.succeeded, r.attempts) for r in view.per_skill}
    assert per_skill == {"place_on": (2, 3), "place_at_height": (1, 2)}
    assert round(view.per_skill[0].percent or 0) == 50  # sorted: place_at_height first
    assert view.failure_reasons == {"not_lifted": 1, "not_upright": 1}
    assert view.ranges == [("light_intensity", 1500.0, 4200.0)]
    assert ("episodes per hour", "250") in view.figures
    assert len(view.episodes) == 3


def test_unsound_simulations_judge_no_skill(tmp_path: Path):
    """An attempt whose simulation went unsound counts against no skill, and is shown; a
    failed slot that never succeeded has no known skill; a table without skills says so."""
    failed = {"ep-000009/attempt-0": "sim_unstable", "ep-000008/attempt-0": "not_lifted"}
    view = episodes_view(
        SceneFiles(LocalStorage(tmp_path)), {"shards": [{"failed_attempts": failed}]}
    )
    assert view is not None
    assert [(r.label, r.succeeded, r.attempts) for r in view.per_skill] == [
        (UNKNOWN_SKILL, 0, 1),
        ("simulation sound", 1, 2),
    ]
    assert view.per_task[0].label == "(task unknown: its slot never succeeded)"
    assert episodes_view(SceneFiles(LocalStorage(tmp_path)), {}) is None
    old_rows = [{"episode_key": "ep-000000", "task_id": "cup-to-plate"}]
    _, per_skill = _rates(old_rows, {})
    assert [(r.label, r.succeeded, r.attempts) for r in per_skill] == [(UNRECORDED_SKILL, 1, 1)]


def test_provenance_names_source_code_seeds_and_hashes(scene_dir: Path):
    """The data source comes from the manifest (mock is flagged), with code, seeds, hashes."""
    files = _files(scene_dir)
    record = provenance(files.json_dict("assets/scene_manifest.json"), files.markers(), {})
    assert record.data_source == "mock-fixture" and record.banner_class == "mock"
    assert "MOCK FIXTURE" in record.banner_text
    assert record.code["git_commit"] == "abc123"
    assert ("scene (mock generator / ingest)", "7") in record.seeds and (
        "regen3d",
        "0",
    ) in record.seeds
    hashed = {(step, what) for step, what, _, _ in record.hashes}
    assert {("regen3d", "assets/scene_manifest.json"), ("episodes", "run_fingerprint")} <= hashed
    assert ("geniesim-import", "archive_sha256") in hashed
    assert all(len(short) == 16 and full.startswith(short) for _, _, short, full in record.hashes)


def test_data_source_falls_back_to_markers_then_unknown():
    """Without a manifest the markers name the source; with neither the banner says unknown."""
    real = {"x.complete.json": {"provenance": {"data_source": "reconstruction"}}}
    assert provenance({}, real, {}).banner_class == "real"
    unknown = provenance({}, {}, {})
    assert (unknown.data_source, unknown.banner_class) == (None, "unknown")


def test_geniesim_lists_exports_skips_imports_and_quarantines():
    """Genie Sim: tasks exported and skipped, episodes imported and quarantined with reasons."""
    view = geniesim(markers(), [])
    assert view is not None
    assert view.exported_tasks == ["tiny__cup_to_plate"] and view.robot == "G2"
    assert view.skipped_tasks == {"cup-to-table-right": "goal is a region, not an object"}
    assert view.imported == ["cup_to_plate_0", "cup_to_plate_1"]
    assert view.quarantined == {"cup_to_plate_2": ["task failed (task_status=False)"]}
    only_files = geniesim({}, ["geniesim/export/tasks/a__b.json"])
    assert only_files is not None and only_files.exported_tasks == ["a__b"]
    assert geniesim({}, []) is None


def test_the_report_reads_the_merged_manifest_or_falls_back_to_the_base(tmp_path: Path):
    """Layers merged when they load; a broken layer shows the ingest's file, never no page."""
    base = parse_manifest(sample_manifest_dict())
    save_manifest(tmp_path, base)
    table = base.objects[0]
    moved = table.model_copy(
        update={"transform": table.transform.model_copy(update={"position": (0.0, 0.0, 0.01)})}
    )
    save_layer(tmp_path, "usd", base, base.model_copy(update={"objects": (moved, base.objects[1])}))
    assert _files(tmp_path).manifest()["objects"][0]["transform"]["position"][2] == 0.01
    (tmp_path / USD_LAYER_PATH).write_text("{")
    assert _files(tmp_path).manifest() == json.loads((tmp_path / MANIFEST_PATH).read_text())
    assert SceneFiles(LocalStorage(tmp_path / "none")).manifest() == {}
