"""The import on GCS: the archive is read from the bucket; outputs land there, even on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures.generate_mock_geniesim_output import DEFAULT_TASK as TASK
from genie_sim_import_job.step import STEP
from tools.config import load_settings
from tools.errors import PartialFailureError
from tools.geniesim_format import results as fmt
from tools.job_runner import execute_step
from tools.storage import open_storage

ARCHIVE_KEY = "uploads/genie.tar.gz"


def _bucket_with(gcs_emulator: Any, monkeypatch: pytest.MonkeyPatch, archive: Path) -> str:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    bucket: str = gcs_emulator.create_bucket()
    open_storage(f"gs://{bucket}/scenes/s1").upload_file(archive, ARCHIVE_KEY)
    return bucket


def test_partial_import_on_gcs_keeps_good_episodes_in_the_bucket(
    gcs_emulator: Any, monkeypatch: pytest.MonkeyPatch, partial_archive: Path
) -> None:
    """A configured archive is downloaded; below the threshold the step fails (marker) but the
    dataset, quarantine and report are uploaded."""
    bucket = _bucket_with(gcs_emulator, monkeypatch, partial_archive)
    env = {"SCENE_ID": "s1", "BUCKET": bucket, "GENIESIM_RESULTS": ARCHIVE_KEY}
    with pytest.raises(PartialFailureError):
        execute_step(STEP, load_settings(STEP.settings_cls, {**env, "MIN_SUCCESS_RATE": "0.9"}))
    storage = open_storage(f"gs://{bucket}/scenes/s1")
    keys = storage.list("")
    assert "geniesim/import/lerobot/meta/info.json" in keys
    assert f"geniesim/import/quarantine/{fmt.episode_dir_name(TASK, 4)}/reason.json" in keys
    assert any(k.startswith(".markers/geniesim-import.failed-") for k in keys)
