"""Ingest, simready, episodes and Genie Sim validations write tools.steps.Check JSON that reads
back."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from episode_generation_job.validation import listed, validate_episodes
from genie_sim_export_job.validation import validate_export
from genie_sim_import_job.step import validate_import
from regen3d_ingest_job.validation import validate_ingest
from simready_job.validation import validate_simready
from tools.steps import Check, checks_report


def test_a_warning_check_round_trips_and_others_keep_five_keys():
    """`warning` is written only when set; both forms read back equal through JSON."""
    warned = Check("dropped_objects", True, "mug: corrupt GLB", warning=True)
    plain = Check("meshes", True, "all present")
    for check in (warned, plain):
        assert Check.from_dict(json.loads(json.dumps(check.as_dict()))) == check
    assert warned.as_dict()["warning"] is True
    assert set(plain.as_dict()) == {"name", "ok", "detail", "figures", "problems"}


def test_checks_report_is_ok_only_when_every_check_is():
    """The validation dict: ok = all checks ok, checks as JSON, extra keys kept."""
    report = checks_report([Check("a", True, "x"), Check("b", False, "y")], dropped={})
    assert report == {
        "ok": False,
        "checks": [Check("a", True, "x").as_dict(), Check("b", False, "y").as_dict()],
        "dropped": {},
    }
    assert checks_report([])["ok"] is True


@pytest.mark.parametrize(
    ("validate", "name", "detail"),
    [
        (validate_ingest, "manifest", "scene_manifest.json"),
        (validate_simready, "manifest", "scene_manifest.json"),
        (validate_episodes, "lerobot_format", "problem(s)"),
        (validate_import, "geniesim_import_dataset", "1 problem(s)"),
        (validate_export, "geniesim_export", "problem(s)"),
    ],
)
def test_each_jobs_validation_writes_typed_checks(tmp_path: Path, validate: Any, name, detail):
    """On an empty scene each validation fails one named check whose JSON is a Check."""
    report = validate(SimpleNamespace(scene_dir=tmp_path))
    report = json.loads(json.dumps(report))
    assert report["ok"] is False
    (check,) = [Check.from_dict(c) for c in report["checks"]]
    assert check.name == name and not check.ok and detail in check.detail
    again = [json.loads(json.dumps(Check.from_dict(c).as_dict())) for c in report["checks"]]
    assert again == report["checks"]


def test_episodes_checks_keep_their_figures_at_the_top_level():
    """The episodes' check JSON is a Check, with its figures also where readers found them."""
    check = Check("replay", True, "2 episode(s) replayed", {"max_state_error": 0.0}, ())
    data = json.loads(json.dumps(listed(check)))
    assert data["max_state_error"] == 0.0 and data["figures"] == {"max_state_error": 0.0}
    assert Check.from_dict(data) == check
